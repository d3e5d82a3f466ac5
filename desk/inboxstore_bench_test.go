package desk

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"testimony/internal/envelope"
	"testimony/keys"
)

// The reviewer desk at scale. Fixtures are made once per run in a
// temporary directory: a reviewer profile whose keys are protected by a
// passphrase at the real scrypt work factor (18), and an inbox store of n
// testimonies. Making 100,000 sealed files and opening each would take
// minutes, so the store's rows are written directly (each with a note of
// about 1 KiB of mixed Hangul and Latin text and a few answers), and each
// sealed file is an empty placeholder with the size and time the row
// records, so that the background scan finds nothing to import, as on a
// desk that imported everything at pull. One real sealed file, with a
// 64 MiB recording, serves the memory measurement.
//
//	go test ./desk -run '^$' -bench 'BenchmarkDesk' -benchtime 5x -timeout 60m

const benchPass = "correct horse battery staple"

// benchFixture is a reviewer home with n testimonies in its store.
type benchFixture struct {
	home   string
	real   string // the ID of the real sealed file with an attachment
	device *keys.SigningKey
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[int]*benchFixture{}
)

// words for the notes: Hangul and Latin, so that both scripts are searched.
var benchWords = strings.Fields(`그날 밤 우리는 강을 건넜다 국경 경비대 혜산 양강도 장마당 배급 
	어머니 동생 브로커 중국 연길 단속 보위부 조사 수용소 노동 단련대 
	crossed the river at night border guards market ration mother brother broker China 
	Yanji detention security interrogation labour camp Hyesan Ryanggang`)

// makeFixture returns the fixture of n testimonies, made once while tb
// runs and removed when it ends: pass a benchmark that has sub-benchmarks,
// which runs once.
func makeFixture(tb testing.TB, n int) *benchFixture {
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f := fixtures[n]; f != nil {
		return f
	}
	dir, err := os.MkdirTemp("", "testimony-desk-bench-")
	if err != nil {
		tb.Fatal(err)
	}
	f := &benchFixture{home: filepath.Join(dir, "reviewer")}
	admin := must(keys.GenerateSigningKey("admin"))
	f.device = must(keys.GenerateSigningKey("laptop-1"))
	id := must(keys.GenerateIdentity(keys.Hybrid))
	r := must(keys.NewRoster("Example NGO"))
	r.Add(keys.Reviewer, "reviewer 1", id.Recipient())
	r.AddDevice("laptop-1", must(keys.ParseVerifier(f.device.Verifier())))
	r.SetLog(must(keys.ParseVerifier(must(keys.GenerateSigningKey("testimony-log")).Verifier())))
	signed := must(r.Sign(admin))
	// Keys as users have them: the tests turn scrypt down, real files use 18.
	wf := keys.ScryptWorkFactor
	keys.ScryptWorkFactor = 18
	err = Create(f.home, Setup{Role: Reviewer, Label: "reviewer 1", Server: "http://127.0.0.1:9", AdminPub: admin.Verifier(),
		Roster: signed, Token: "tmy_0123456789abcdef_" + strings.Repeat("A", 43), Passphrase: must(keys.NewPassphrase(benchPass)), Identity: id})
	keys.ScryptWorkFactor = wf
	if err != nil {
		tb.Fatal(err)
	}
	roster := must(keys.VerifyRoster(signed, must(keys.ParseVerifier(admin.Verifier())), nil))
	inboxDir := filepath.Join(f.home, "inbox")
	s, _, err := openInboxStore(inboxDir, id)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.close()
	rnd := rand.New(rand.NewPCG(uint64(n), 1))
	var batch []storedItem
	for i := range n {
		tid := envelope.NewID()
		var note strings.Builder
		for note.Len() < 1024 {
			note.WriteString(benchWords[rnd.IntN(len(benchWords))])
			note.WriteByte(' ')
		}
		// A word that occurs in one testimony in a thousand, to search for.
		if i%1000 == 7 {
			note.WriteString("드문낱말 Rareword")
		}
		m := &envelope.Manifest{ID: tid, Format: envelope.FormatV2, Form: "note/1", Day: fmt.Sprintf("20%02d-%02d-%02d", 10+i%16, 1+i%12, 1+i%28),
			Language: "ko", Subject: "김영석", Device: "laptop-1"}
		answers := []byte(fmt.Sprintf(`{"birth_year":%d,"county":"혜산시","left":%d}`, 1950+i%50, 2000+i%25))
		path := filepath.Join(inboxDir, tid+".age")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			tb.Fatal(err)
		}
		fi := must(os.Stat(path))
		batch = append(batch, storedItem{t: &testimony{ID: tid, M: m, Logged: true}, size: fi.Size(), mtime: fi.ModTime().UnixNano(),
			search: searchText(note.String(), flattenAnswers(answers), m), answers: answers})
		if len(batch) == 1000 || i == n-1 {
			if err := s.put(batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	// One real sealed file with a 64 MiB recording, opened and stored as a
	// pull would.
	f.real = envelope.NewID()
	out := must(os.Create(filepath.Join(inboxDir, f.real+".age")))
	rec := envelope.Attachment{Ext: "m4a", Size: 64 << 20, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(io.LimitReader(zeros{}, 64<<20)), nil
	}}
	if _, err := envelope.Seal(out, envelope.Contents{Note: []byte("녹음이 있는 증언"), Attachments: []envelope.Attachment{rec}},
		envelope.Options{Roster: roster, Device: f.device, DeviceID: "laptop-1", ID: f.real, Day: "2026-12-01", Language: "ko"}); err != nil {
		tb.Fatal(err)
	}
	out.Close()
	in := &inbox{dir: inboxDir, identity: id, roster: func() *keys.Roster { return roster }, store: s, items: map[string]*testimony{}}
	if err := (&Desk{}).importInbox(in); err != nil {
		tb.Fatal(err)
	}
	if t := in.items[f.real]; t == nil || t.M == nil {
		tb.Fatalf("the real sealed file did not import: %+v", t)
	}
	fixtures[n] = f
	tb.Cleanup(func() {
		fixturesMu.Lock()
		defer fixturesMu.Unlock()
		delete(fixtures, n)
		os.RemoveAll(dir)
	})
	return f
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// BenchmarkDeskUnlock is unlocking a reviewer desk (two scrypt-protected
// key files, the store key, the list) and rendering the first inbox page,
// with 1,000 and 100,000 testimonies. search-ready-s is how long after the
// start of unlocking the search text was all in memory.
func BenchmarkDeskUnlock(b *testing.B) {
	parent := b
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			f := makeFixture(parent, n)
			d := must(New(Config{Home: f.home}))
			pass := must(keys.ExistingPassphrase(benchPass))
			var ready time.Duration
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				u, err := d.unlockWith(context.Background(), pass)
				if err != nil {
					b.Fatal(err)
				}
				w := httptest.NewRecorder()
				d.inboxPage(w, httptest.NewRequest(http.MethodGet, "/", nil), u)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/t/") {
					b.Fatalf("inbox page: %d", w.Code)
				}
				b.StopTimer()
				<-u.inbox.searchReady
				ready += time.Since(start)
				if got := len(u.inbox.items); got != n+1 {
					b.Fatalf("%d testimonies listed, want %d", got, n+1)
				}
				u.forget()
				b.StartTimer()
			}
			b.ReportMetric(ready.Seconds()/float64(b.N), "search-ready-s")
		})
	}
}

// BenchmarkDeskSearch is one search over 100,000 testimonies, once their
// search text is in memory: a word in one testimony in a thousand, in
// Hangul and in Latin letters (case folded), and a pseudonym (both
// scripts).
func BenchmarkDeskSearch(b *testing.B) {
	const n = 100000
	f := makeFixture(b, n)
	d := must(New(Config{Home: f.home}))
	u, err := d.unlockWith(context.Background(), must(keys.ExistingPassphrase(benchPass)))
	if err != nil {
		b.Fatal(err)
	}
	defer u.forget()
	<-u.inbox.searchReady
	// The baseline: one scan of all the search text, joined, for the
	// Hangul word; no per-testimony work at all.
	var all strings.Builder
	u.inbox.mu.RLock()
	for _, b := range u.inbox.text.blocks {
		all.Write(b.text)
	}
	u.inbox.mu.RUnlock()
	joined := all.String()
	b.Run("bare-scan", func(b *testing.B) {
		for range b.N {
			if strings.Count(joined, "드문낱말") != n/1000 {
				b.Fatal("the bare scan miscounted")
			}
		}
	})
	for _, q := range []struct {
		name, q string
		want    int
	}{{"hangul", "드문낱말", n / 1000}, {"latin", "RAREWORD", n / 1000}, {"pseudonym", "김영석", n}} {
		b.Run(q.name, func(b *testing.B) {
			for range b.N {
				v := d.inboxData(context.Background(), u, q.q, 1)
				if v.Matches != q.want || v.Searching {
					b.Fatalf("%q found %d, want %d", q.q, v.Matches, q.want)
				}
			}
		})
	}
}

// BenchmarkDeskPeakMemory measures, in a child process, the desk's peak
// resident memory (VmHWM) over unlocking with 100,000 testimonies, reading
// their search text, a search, opening the testimony with a 64 MiB
// recording and streaming the recording. The budget is 400 MiB.
func BenchmarkDeskPeakMemory(b *testing.B) {
	f := makeFixture(b, 100000)
	b.Run("n=100000", func(b *testing.B) { peakMemory(b, f) })
}

func peakMemory(b *testing.B, f *benchFixture) {
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDeskMemoryChild$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTIMONY_DESK_MEMORY_HOME="+f.home, "TESTIMONY_DESK_MEMORY_REAL="+f.real)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		var kib int64
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "VmHWM-KiB "); ok {
				kib, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if kib == 0 {
			b.Fatalf("the child reported no peak:\n%s", out)
		}
		b.ReportMetric(float64(kib)/1024, "peak-MiB")
		if kib > 400<<10 {
			b.Errorf("peak resident memory %d MiB, over the 400 MiB budget", kib>>10)
		}
	}
}

// TestDeskMemoryChild is BenchmarkDeskPeakMemory's child; it runs only
// when the benchmark starts it.
func TestDeskMemoryChild(t *testing.T) {
	home := os.Getenv("TESTIMONY_DESK_MEMORY_HOME")
	if home == "" {
		t.Skip("run by BenchmarkDeskPeakMemory")
	}
	real := os.Getenv("TESTIMONY_DESK_MEMORY_REAL")
	d := must(New(Config{Home: home}))
	u, err := d.unlockWith(context.Background(), must(keys.ExistingPassphrase(benchPass)))
	if err != nil {
		t.Fatal(err)
	}
	defer u.forget()
	w := httptest.NewRecorder()
	d.inboxPage(w, httptest.NewRequest(http.MethodGet, "/?q=rareword", nil), u)
	if w.Code != http.StatusOK {
		t.Fatalf("search: %d", w.Code)
	}
	w = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/t/"+real, nil)
	req.SetPathValue("id", real)
	d.testimonyPage(w, req, u)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "01.m4a") {
		t.Fatalf("testimony page: %d", w.Code)
	}
	req = httptest.NewRequest(http.MethodGet, "/t/"+real+"/a/01.m4a", nil)
	req.SetPathValue("id", real)
	req.SetPathValue("n", "01.m4a")
	cw := &countingWriter{h: http.Header{}}
	d.attachment(cw, req, u)
	if cw.n != 64<<20 {
		t.Fatalf("streamed %d bytes of the recording, want %d", cw.n, 64<<20)
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status here")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			fmt.Printf("VmHWM-KiB %s\n", strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
}

// countingWriter is a ResponseWriter that counts the body and keeps none.
type countingWriter struct {
	h    http.Header
	code int
	n    int64
}

func (c *countingWriter) Header() http.Header         { return c.h }
func (c *countingWriter) WriteHeader(code int)        { c.code = code }
func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
