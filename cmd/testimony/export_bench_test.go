package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"filippo.io/age"

	"testimony/internal/survey/export"
	"testimony/keys"
)

// BenchmarkExport compares the export of 10,000 sealed survey responses
// (set TESTIMONY_BENCH_RESPONSES for another number) to CSV with a bare
// loop of age.Decrypt over the same files. Both read the files from disk
// (the page cache, after the first pass) with the same unlocked
// post-quantum identity, one of three reviewers each file is sealed to.
// The export does what 'testimony export' does after the passphrase: opens
// every file with envelope.Open (the whole payload authenticated, the
// device signature and the submission ID checked), keeps answers.json,
// parses it, checks k-anonymity, and writes the CSV tables and the
// disclosure record (fsynced) into a new directory. Budget: export ≥ 50 %
// of the bare loop's rate; the ratio is reported as x-of-age.
func BenchmarkExport(b *testing.B) {
	n := 10_000
	if s := os.Getenv("TESTIMONY_BENCH_RESPONSES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("TESTIMONY_BENCH_RESPONSES=%q is not a positive number", s)
		}
	}
	keys.ScryptWorkFactor = 10
	o := newSurveyOrg(b)
	sexes, homes := []string{"f", "m"}, []string{"musan", "hoeryong", "hyesan"}
	for i := range n {
		o.seal(b, o.form, answers(fmt.Sprint(20+i%50), sexes[i%2], homes[i%3]), "2026-11-01")
	}
	files, err := sealedFiles(o.dir)
	if err != nil || len(files) != n {
		b.Fatalf("%d files, %v", len(files), err)
	}
	var total int64
	for _, f := range files {
		fi, _ := os.Stat(f)
		total += fi.Size()
	}
	b.Logf("%d sealed responses, %.1f MiB (%d bytes each on average)", n, float64(total)/(1<<20), total/int64(n))

	var agePerOp time.Duration
	b.Run("age", func(b *testing.B) {
		for b.Loop() {
			for _, path := range files {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				r, err := age.Decrypt(f, o.reviewer)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		}
		agePerOp = b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(n)/agePerOp.Seconds(), "files/s")
	})
	b.Run("export", func(b *testing.B) {
		e := &env{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard}
		admin, err := keys.ParseVerifier(o.adminPub)
		if err != nil {
			b.Fatal(err)
		}
		form, err := pulledForm(o.dir, o.form.ID, o.form.Version, admin, o.roster.Org, e)
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			src := &sealedSource{files: files, form: form, identity: o.reviewer, roster: o.roster, warn: e.warn}
			x, err := export.Prepare(o.form, src.records(e), export.Options{Format: export.CSV, GeoDecimals: 1,
				Generalize: export.Generalization{AgeBand: 10, Province: true}, Suppress: export.SuppressRows})
			if err != nil {
				b.Fatal(err)
			}
			if src.opened != n || len(src.failed) > 0 {
				b.Fatalf("opened %d of %d: %v", src.opened, n, src.failed)
			}
			i++
			out := filepath.Join(b.TempDir(), fmt.Sprintf("survey-%d.csv", i))
			if _, err := writeExport(x, out); err != nil {
				b.Fatal(err)
			}
			if rows := x.Disclosure().Tables[0].Rows; rows != n {
				b.Fatalf("%d rows written, want %d", rows, n)
			}
		}
		perOp := b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(n)/perOp.Seconds(), "files/s")
		if agePerOp > 0 {
			b.ReportMetric(float64(agePerOp)/float64(perOp), "x-of-age")
		}
	})
}
