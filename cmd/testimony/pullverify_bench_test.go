package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"testimony/internal/envelope"
	"testimony/keys"
	"testimony/server"
)

// BenchmarkPullVerify measures `testimony pull` and then `testimony
// verify` of n sealed files as a reviewer runs them: each is a child
// process of the built binary, with the reviewer's token file, the pinned
// roster and the admin key, against a real `testimony serve` on the
// embedded default (SQLite and a blob directory) over loopback.
//
// For each n (5,000 and 50,000; TESTIMONY_BENCH_PULL="500,2000" sets
// others) a server is filled once per run with n small sealed notes (the
// 7.6 KiB file of BenchmarkServeIntake: two post-quantum reviewers, a
// 300-byte note), pushed over HTTP by 32 clients. Then:
//
//   - n=…/pull: pull of all n into an empty directory, which checks each
//     file's inclusion in the log and its SHA-256 and keeps a receipt for
//     each;
//   - n=…/verify: verify of the n receipts the last pull kept, which
//     checks each against the log and fetches and hashes each file again.
//
// Each reports wall time (ns/op), files/s and the child's peak resident
// memory (peak-RSS-MiB, from getrusage). It fails if pull did not take
// all n files or verify did not pass with n receipts. Pull and verify do
// not open the reviewer's identity, so no passphrase is involved.
//
//	go test ./cmd/testimony -run '^$' -bench BenchmarkPullVerify -benchtime 1x -count 2 -timeout 60m
func BenchmarkPullVerify(b *testing.B) {
	sizes := []int{5000, 50000}
	if s := os.Getenv("TESTIMONY_BENCH_PULL"); s != "" {
		sizes = nil
		for f := range strings.SplitSeq(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("TESTIMONY_BENCH_PULL=%q: want sizes like 500,2000", s)
			}
			sizes = append(sizes, n)
		}
	}
	bin := buildTestimony(b)
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			o := newPullOrg(b, bin, n)
			// The inbox of the last pull: verify checks its receipts.
			var inbox string
			b.Run("pull", func(b *testing.B) {
				var peak int64
				var elapsed time.Duration
				for range b.N {
					b.StopTimer()
					if inbox != "" {
						os.RemoveAll(inbox) // the previous pull's 50,000 files
					}
					inbox = filepath.Join(o.dir, fmt.Sprintf("inbox-%d", time.Now().UnixNano()))
					b.StartTimer()
					rss, d := o.pull(b, inbox)
					peak, elapsed = max(peak, rss), elapsed+d
				}
				b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "files/s")
				b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
			})
			b.Run("verify", func(b *testing.B) {
				if inbox == "" { // only verify was asked for
					b.StopTimer()
					inbox = filepath.Join(o.dir, "inbox")
					o.pull(b, inbox)
					b.StartTimer()
				}
				var peak int64
				var elapsed time.Duration
				for range b.N {
					rss, d := o.verify(b, filepath.Join(inbox, "receipts"))
					peak, elapsed = max(peak, rss), elapsed+d
				}
				b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "files/s")
				b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
			})
		})
	}
}

// pullOrg is an organisation whose server holds n sealed files, and the
// files a reviewer needs to pull and verify them.
type pullOrg struct {
	bin, dir, url string
	srv           *serveProc
	n             int
}

// newPullOrg makes the keys and roster, initializes and starts a server
// on the embedded default, and pushes n sealed notes into it.
func newPullOrg(b *testing.B, bin string, n int) *pullOrg {
	b.Helper()
	o := &pullOrg{bin: bin, dir: b.TempDir(), n: n}
	p := func(name string) string { return filepath.Join(o.dir, name) }
	must := func(args ...string) string {
		b.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); err != nil {
			b.Fatalf("testimony %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return strings.TrimSpace(stdout.String())
	}
	nopass := "--insecure-no-passphrase"
	os.WriteFile(p("admin.pub"), []byte(must("keygen", "--signing", "--name", "admin", "--out", p("admin.key"), nopass)), 0o644)
	os.WriteFile(p("laptop.pub"), []byte(must("keygen", "--signing", "--name", "laptop-1", "--out", p("laptop.key"), nopass)), 0o644)
	fingerprint, err := keyFingerprint(p("laptop.pub"))
	if err != nil {
		b.Fatal(err)
	}
	roster := p("roster.txt")
	admin := []string{"--roster", roster, "--admin-key", p("admin.key")}
	must("roster", "init", "--org", "Example NGO", "--admin-key", p("admin.key"), "--out", roster)
	for i := range 2 {
		pub := p(fmt.Sprintf("reviewer%d.pub", i+1))
		os.WriteFile(pub, []byte(must("keygen", "--out", p(fmt.Sprintf("reviewer%d.key", i+1)), nopass)), 0o644)
		must(append([]string{"roster", "add-reviewer", "--label", fmt.Sprintf("reviewer %d", i+1), "--recipient", pub}, admin...)...)
	}
	must(append([]string{"roster", "add-device", "--id", "laptop-1", "--public-key", p("laptop.pub"), "--fingerprint", fingerprint}, admin...)...)
	logPub := must("server", "init", "--data", p("srv"), "--admin-pub", p("admin.pub"), "--roster", roster)
	must(append([]string{"roster", "set-log-key", "--key", logPub}, admin...)...)
	for _, role := range []string{"admin", "reviewer"} {
		os.WriteFile(p(role+".token"), []byte(must("admin", "token", "--data", p("srv"), "--role", role, "--label", role+" 1")), 0o600)
	}
	code := must("admin", "enroll", "--data", p("srv"), "--role", "interviewer", "--label", "laptop 1", "--device-id", "laptop-1")
	o.srv = startServe(b, bin, "--data", p("srv"), "--max-conns", "-1")
	o.url = o.srv.base
	must("roster", "publish", "--server", o.url, "--token-file", p("admin.token"), "--roster", roster)
	must("enroll", "--server", o.url, "--code", code, "--device-key", p("laptop.key"), "--out", p("laptop.token"))

	r, err := loadRoster(roster, p("admin.pub"), "", false)
	if err != nil {
		b.Fatal(err)
	}
	device, err := keys.LoadSigningKey(p("laptop.key"), keys.Unlock{})
	if err != nil {
		b.Fatal(err)
	}
	laptopToken, err := os.ReadFile(p("laptop.token"))
	if err != nil {
		b.Fatal(err)
	}
	// 32 clients seal and push, each a note at a time.
	start := time.Now()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: time.Minute}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Bool
	for range 32 {
		wg.Go(func() {
			for !failed.Load() {
				if next.Add(1) > int64(n) {
					return
				}
				var buf bytes.Buffer
				id := envelope.NewID()
				if _, err := envelope.Seal(&buf, envelope.Contents{Note: bytes.Repeat([]byte("x"), 300)}, envelope.Options{Roster: r, Device: device, DeviceID: "laptop-1", ID: id}); err != nil {
					b.Error(err)
					failed.Store(true)
					return
				}
				req, _ := http.NewRequest("PUT", o.url+"/api/v1/submissions/"+id, bytes.NewReader(buf.Bytes()))
				req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(laptopToken)))
				req.Header.Set("Content-Digest", server.ContentDigest(sha256.Sum256(buf.Bytes())))
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					failed.Store(true)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Errorf("push: status %d", resp.StatusCode)
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		b.FailNow()
	}
	b.Logf("the server holds %d sealed files, sealed and pushed in %v", n, time.Since(start).Round(time.Second))
	return o
}

// cli runs the built testimony as a child process with args and returns
// its stdout and stderr, its peak resident memory in KiB and its wall
// time. It fails the benchmark if the command fails.
//
// The peak is measured by GNU time, not taken from the child's rusage
// here: Go starts a child with vfork, so the kernel counts the
// benchmark's own peak (its mm at the exec) into the child's ru_maxrss,
// which then never reads less than this process's peak. GNU time forks
// the command from a process of about 1 MiB.
func (o *pullOrg) cli(b *testing.B, args ...string) (stdout, stderr string, maxrss int64, d time.Duration) {
	b.Helper()
	rssFile := filepath.Join(o.dir, "maxrss")
	cmd := exec.Command(gnuTime(b), append([]string{"-f", "%M", "-o", rssFile, o.bin}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	d = time.Since(start)
	if err != nil {
		b.Fatalf("testimony %s: %v\nstdout:\n%s\nstderr:\n%s", args[0], err, tail(out.String()), tail(errOut.String()))
	}
	rss, err := os.ReadFile(rssFile)
	if err == nil {
		maxrss, err = strconv.ParseInt(strings.TrimSpace(string(rss)), 10, 64)
	}
	if err != nil {
		b.Fatalf("GNU time did not give the peak memory of testimony %s: %v (%q)", args[0], err, rss)
	}
	return out.String(), errOut.String(), maxrss, d
}

// gnuTime returns the path of GNU time, or skips.
func gnuTime(b *testing.B) string {
	const path = "/usr/bin/time"
	if out, err := exec.Command(path, "--version").CombinedOutput(); err != nil || !strings.Contains(string(out), "GNU") {
		b.Skipf("this benchmark needs GNU time at %s to measure a child's peak memory (apt-get install time)", path)
	}
	return path
}

// tail returns the end of a long output.
func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

// pull runs the reviewer's pull into the empty directory inbox and checks
// that it took all n files.
func (o *pullOrg) pull(b *testing.B, inbox string) (maxrss int64, d time.Duration) {
	b.Helper()
	p := func(name string) string { return filepath.Join(o.dir, name) }
	_, stderr, maxrss, d := o.cli(b, "pull", "--server", o.url, "--token-file", p("reviewer.token"),
		"--roster", p("roster.txt"), "--admin-pub", p("admin.pub"), "--out", inbox)
	if want := fmt.Sprintf("pulled %d new file(s) into %s (0 already there)", o.n, inbox); !strings.Contains(stderr, want) {
		b.Fatalf("pull did not say %q:\n%s", want, tail(stderr))
	}
	files, err := filepath.Glob(filepath.Join(inbox, "*.age"))
	if err != nil || len(files) != o.n {
		b.Fatalf("pull left %d files in %s, want %d (%v)", len(files), inbox, o.n, err)
	}
	receipts, err := filepath.Glob(filepath.Join(inbox, "receipts", "*.json"))
	if err != nil || len(receipts) != o.n {
		b.Fatalf("pull kept %d receipts, want %d (%v)", len(receipts), o.n, err)
	}
	return maxrss, d
}

// verify runs the reviewer's verify of the receipts in dir and checks
// that it passed with all n of them.
func (o *pullOrg) verify(b *testing.B, dir string) (maxrss int64, d time.Duration) {
	b.Helper()
	p := func(name string) string { return filepath.Join(o.dir, name) }
	stdout, _, maxrss, d := o.cli(b, "verify", "--server", o.url, "--token-file", p("reviewer.token"),
		"--roster", p("roster.txt"), "--admin-pub", p("admin.pub"), "--receipts", dir)
	if want := fmt.Sprintf("OK: %d receipt(s) checked", o.n); !strings.HasPrefix(stdout, want) || strings.Contains(stdout, "PROBLEM") {
		b.Fatalf("verify did not say %q:\n%s", want, tail(stdout))
	}
	return maxrss, d
}
