package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"testimony/internal/blob/disk"
	"testimony/internal/envelope"
	"testimony/internal/store"
	"testimony/internal/store/sqlite"
	"testimony/keys"
	"testimony/server"
)

// BenchmarkIntake measures durable intake of small sealed notes (about
// 4 KiB: two post-quantum reviewers, a short note) from 32 concurrent
// clients over loopback.
//
//   - bare: a handler that only writes the body to a temporary file, fsyncs
//     it and renames it: the floor of durable storage on this disk.
//   - server: the real stack: token check, age header policy, blob store
//     (temp, fsync, link, directory fsync) and the SQLite row (group commit).
//
// Budget: server ≥ 80% of bare, p99 < 50 ms. Reported: files/s and p99-ms.
func BenchmarkIntake(b *testing.B) {
	o := newBenchOrg(b)
	b.Run("bare", func(b *testing.B) {
		dir := b.TempDir()
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, err := os.CreateTemp(dir, ".tmp-*")
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			if _, err := io.Copy(f, r.Body); err != nil || f.Sync() != nil || f.Close() != nil {
				os.Remove(f.Name())
				http.Error(w, "write failed", 500)
				return
			}
			if err := os.Rename(f.Name(), filepath.Join(dir, filepath.Base(r.URL.Path))); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.WriteHeader(http.StatusCreated)
		})
		runIntake(b, o, httptest.NewServer(h), "")
	})
	b.Run("server", func(b *testing.B) {
		dir := b.TempDir()
		st, err := sqlite.Open(filepath.Join(dir, "meta.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		st.Init(ctx, o.admin.Verifier(), o.roster.Version, o.signed)
		tok, id, hash := server.NewToken()
		st.AddToken(ctx, store.Token{ID: id, Role: store.Interviewer, Label: "bench", Device: "laptop-1", DevicePub: o.device.Verifier(), Created: "2026-11-22"}, hash)
		bl, err := disk.Open(filepath.Join(dir, "blobs"))
		if err != nil {
			b.Fatal(err)
		}
		defer bl.Close()
		srv, err := server.New(ctx, server.Config{Store: st, Blobs: bl, RatePerAddress: -1, RatePerToken: -1, LogKey: o.logKey,
			Logger: server.NewLogger(slog.NewJSONHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		runIntake(b, o, httptest.NewServer(srv.Handler()), tok)
	})
}

type benchOrg struct {
	admin  *keys.SigningKey
	logKey *keys.SigningKey
	device *keys.SigningKey
	roster *keys.Roster
	signed []byte
}

func newBenchOrg(b *testing.B) *benchOrg {
	o := &benchOrg{admin: must(keys.GenerateSigningKey("admin")), device: must(keys.GenerateSigningKey("laptop-1"))}
	r := must(keys.NewRoster("Example NGO"))
	for i := range 2 {
		r.Add(keys.Reviewer, fmt.Sprintf("reviewer %d", i+1), must(keys.GenerateIdentity(keys.Hybrid)).Recipient())
	}
	r.AddDevice("laptop-1", must(keys.ParseVerifier(o.device.Verifier())))
	o.logKey = must(keys.GenerateSigningKey("testimony-log-bench"))
	r.SetLog(must(keys.ParseVerifier(o.logKey.Verifier())))
	o.signed = must(r.Sign(o.admin))
	o.roster = must(keys.VerifyRoster(o.signed, must(keys.ParseVerifier(o.admin.Verifier())), nil))
	return o
}

func runIntake(b *testing.B, o *benchOrg, ts *httptest.Server, token string) {
	defer ts.Close()
	// Sealed notes with distinct IDs, made before the clock starts.
	files := make([][]byte, b.N)
	ids := make([]string, b.N)
	for i := range files {
		var buf bytes.Buffer
		ids[i] = envelope.NewID()
		if _, err := envelope.Seal(&buf, envelope.Contents{Note: bytes.Repeat([]byte("x"), 300)}, envelope.Options{Roster: o.roster, Device: o.device, DeviceID: "laptop-1", ID: ids[i]}); err != nil {
			b.Fatal(err)
		}
		files[i] = buf.Bytes()
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	var next int
	var lat []time.Duration
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0))) // 32 clients in all
	b.SetBytes(int64(len(files[0])))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			mu.Lock()
			i := next
			next++
			mu.Unlock()
			req, _ := http.NewRequest("PUT", ts.URL+"/api/v1/submissions/"+ids[i], bytes.NewReader(files[i]))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Digest", server.ContentDigest(sha256.Sum256(files[i])))
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mine = append(mine, time.Since(t0))
			if resp.StatusCode != http.StatusCreated {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "files/s")
	}
}
