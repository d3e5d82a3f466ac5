package backup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"testimony/internal/auditlog"
	"testimony/internal/blob/disk"
	"testimony/internal/store"
	"testimony/internal/store/sqlite"
)

// TestScale measures backup, verify and restore of a server with N
// submissions (TESTIMONY_BACKUP_SCALE=N; skipped without it): the time of
// each and the peak of live heap while it runs, sampled every 5 ms, so
// that runs with different N show whether memory grows with the count.
// Every submission is a 4 KiB note kept inline, every 100th also has a
// 100 KiB attachment file in the blob store and a re-identification
// record.
//
//	TESTIMONY_BACKUP_SCALE=50000 go test ./internal/backup -run TestScale -v
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TESTIMONY_BACKUP_SCALE"))
	if n <= 0 {
		t.Skip("set TESTIMONY_BACKUP_SCALE=N to measure backup and verify of N submissions")
	}
	ctx := context.Background()
	o := newOrg(t)
	// Fill through Restore: one transaction instead of N fsyncs.
	start := time.Now()
	src, err := sqlite.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var recs []store.Record
	o.st.Snapshot(ctx, func(r store.Record) error { recs = append(recs, r); return nil })
	subs := make([]store.Submission, 0, n)
	note := make([]byte, 4096)
	big := make([]byte, 100<<10)
	rand.Read(big)
	bigDigest := sha256.Sum256(big)
	for i := range n {
		rand.Read(note[:32])
		s := store.Submission{ID: fmt.Sprintf("%032x", i+1), Digest: sha256.Sum256(note), Size: int64(len(note)), Device: "laptop-1", Day: "2031-05-06", Seq: int64(i + 1), Leaf: int64(i)}
		s.Body = append([]byte(nil), note...)
		if i%100 == 0 {
			s.Body, s.Digest, s.Size = nil, bigDigest, int64(len(big))
			o.put(t, s.ID, big)
			r := []byte("record " + s.ID)
			s.HasReid, s.ReidSize, s.ReidDigest = true, int64(len(r)), o.put(t, s.ID+".reid", r)
		}
		subs = append(subs, s)
	}
	i, phase := 0, 0
	err = src.Restore(ctx, func() (store.Record, bool, error) {
		switch {
		case i < len(recs):
			i++
			return recs[i-1], true, nil
		case phase < n:
			s := subs[phase]
			l := auditlog.Submission{ID: s.ID, SHA256: s.Digest, Device: s.Device, Day: s.Day}
			if s.HasReid {
				l.Reid = &s.ReidDigest
			}
			data, _ := l.MarshalLeaf()
			phase++
			return store.Record{Leaf: &store.LeafRecord{Index: int64(phase - 1), Data: data}}, true, nil
		case phase < 2*n:
			s := subs[phase-n]
			phase++
			return store.Record{Submission: &s}, true, nil
		}
		return store.Record{}, false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	subs, recs = nil, nil
	t.Logf("filled %d submissions in %v", n, time.Since(start).Round(time.Millisecond))

	out := filepath.Join(t.TempDir(), "backup")
	measure(t, "backup", func() {
		if _, err := Write(ctx, out, Source{Store: src, Blobs: o.bl, LogKey: o.log}, nil); err != nil {
			t.Fatal(err)
		}
	})
	var rep *Report
	measure(t, "verify", func() {
		if rep, err = Verify(ctx, out, Options{AdminPub: o.admin.Verifier()}, nil); err != nil {
			t.Fatal(err)
		}
	})
	dir := t.TempDir()
	dst, err := sqlite.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	bl, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer bl.Close()
	measure(t, "restore", func() {
		if err := Restore(ctx, out, rep, Target{Store: dst, Blobs: bl}, nil); err != nil {
			t.Fatal(err)
		}
	})
	fi, _ := os.Stat(filepath.Join(out, MetaFile))
	t.Logf("meta.jsonl %d MiB, %d blobs; process peak RSS (VmHWM, includes the fill) %s", fi.Size()>>20, rep.Found.Blobs, vmHWM())
}

// measure runs fn and logs its time and the peak of live heap objects
// while it ran.
func measure(t *testing.T, name string, fn func()) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	fn()
	took := time.Since(start)
	close(stop)
	<-done
	grow := int64(peak.Load()) - int64(base)
	t.Logf("%-8s %8v   peak heap %6.1f MiB (%+.1f MiB over the %.1f MiB before)", name, took.Round(time.Millisecond),
		float64(peak.Load())/(1<<20), float64(grow)/(1<<20), float64(base)/(1<<20))
}

func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "unknown"
}
