// Package blobtest is the conformance suite that every [blob.Store] runs: it
// checks the contract written in package blob through the interface alone.
//
// A backend's test calls [Run] with a function that opens an empty store and
// registers its cleanup with t.Cleanup; that cleanup is also the place for
// backend-specific checks, such as that no temporary file was left behind.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"testimony/internal/blob"
)

// Run runs the conformance suite, each case a subtest on a store of its own
// from open. The streaming case puts 256 MiB and is skipped with -short.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	cases := []struct {
		name string
		test func(t *testing.T, s blob.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"GetMissing", testGetMissing},
		{"DigestMismatch", testDigestMismatch},
		{"TooLarge", testTooLarge},
		{"FailingReader", testFailingReader},
		{"CancelledContext", testCancelledContext},
		{"SameTwice", testSameTwice},
		{"DifferentTwice", testDifferentTwice},
		{"InvalidKeys", testInvalidKeys},
		{"Delete", testDelete},
		{"ConcurrentSame", testConcurrentSame},
		{"ConcurrentDifferent", testConcurrentDifferent},
		{"ConcurrentDistinct", testConcurrentDistinct},
		{"Stream", testStream},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.test(t, open(t)) })
	}
}

// key returns the i-th test key: 32 hex digits.
func key(i int) string { return fmt.Sprintf("%032x", 0xb10b0000+i) }

// random returns n reproducible pseudo-random bytes.
func random(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)}).Read(b)
	return b
}

// put stores data under k and fails the test unless that succeeds.
func put(t *testing.T, s blob.Store, k string, data []byte) {
	t.Helper()
	n, err := s.Put(t.Context(), k, bytes.NewReader(data), sha256.Sum256(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Put(%s, %d bytes): %v", k, len(data), err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Put(%s, %d bytes) returned size %d", k, len(data), n)
	}
}

// checkContent fails the test unless the blob under k is want, with the size
// Get returns matching.
func checkContent(t *testing.T, s blob.Store, k string, want []byte) {
	t.Helper()
	rc, size, err := s.Get(t.Context(), k)
	if err != nil {
		t.Fatalf("Get(%s): %v", k, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", k, err)
	}
	if size != int64(len(want)) {
		t.Errorf("Get(%s) size %d, want %d", k, size, len(want))
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%s) returned %d bytes that differ from the %d stored", k, len(got), len(want))
	}
}

// checkMissing fails the test unless Get finds nothing under k.
func checkMissing(t *testing.T, s blob.Store, k string) {
	t.Helper()
	rc, _, err := s.Get(t.Context(), k)
	if err == nil {
		rc.Close()
		t.Fatalf("Get(%s) found a blob, want %v", k, blob.ErrNotFound)
	}
	if !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get(%s): %v, want %v", k, err, blob.ErrNotFound)
	}
}

func testRoundTrip(t *testing.T, s blob.Store) {
	for i, size := range []int{0, 1, 64 << 10, 3 << 20} {
		data := random(size, uint64(i))
		put(t, s, key(i), data)
		checkContent(t, s, key(i), data)
	}
	// A suffixed key is a blob of its own, and the limit is inclusive.
	data := random(100, 9)
	put(t, s, key(0)+".reid", data)
	checkContent(t, s, key(0)+".reid", data)
	checkContent(t, s, key(0), nil)
}

func testGetMissing(t *testing.T, s blob.Store) {
	checkMissing(t, s, key(0))
	put(t, s, key(0)+".reid", []byte("x"))
	checkMissing(t, s, key(0))
	checkMissing(t, s, key(0)+".rei")
}

func testDigestMismatch(t *testing.T, s blob.Store) {
	data := random(1000, 1)
	wrong := sha256.Sum256(data[1:])
	_, err := s.Put(t.Context(), key(0), bytes.NewReader(data), wrong, 1<<20)
	if !errors.Is(err, blob.ErrDigestMismatch) {
		t.Fatalf("Put with a wrong digest: %v, want %v", err, blob.ErrDigestMismatch)
	}
	checkMissing(t, s, key(0))

	// Over an existing blob, claiming its digest: still a mismatch, and the
	// first blob stays.
	put(t, s, key(1), data)
	_, err = s.Put(t.Context(), key(1), bytes.NewReader(data[1:]), sha256.Sum256(data), 1<<20)
	if !errors.Is(err, blob.ErrDigestMismatch) {
		t.Fatalf("Put of other bytes under the stored digest: %v, want %v", err, blob.ErrDigestMismatch)
	}
	checkContent(t, s, key(1), data)
}

func testTooLarge(t *testing.T, s blob.Store) {
	data := random(100, 2)
	_, err := s.Put(t.Context(), key(0), bytes.NewReader(data), sha256.Sum256(data), 99)
	if !errors.Is(err, blob.ErrTooLarge) {
		t.Fatalf("Put of 100 bytes with limit 99: %v, want %v", err, blob.ErrTooLarge)
	}
	checkMissing(t, s, key(0))

	// An endless body stops at the limit instead of being read forever.
	_, err = s.Put(t.Context(), key(1), newGenerator(-1), [32]byte{}, 1<<20)
	if !errors.Is(err, blob.ErrTooLarge) {
		t.Fatalf("Put of an endless reader with limit 1 MiB: %v, want %v", err, blob.ErrTooLarge)
	}
	checkMissing(t, s, key(1))
}

// failingReader returns the first n bytes of data, then err.
type failingReader struct {
	data []byte
	n    int
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	m := copy(p[:min(len(p), r.n)], r.data)
	r.data, r.n = r.data[m:], r.n-m
	return m, nil
}

func testFailingReader(t *testing.T, s blob.Store) {
	errBroken := errors.New("connection broken")
	data := random(256<<10, 3)
	r := &failingReader{data: data, n: len(data) / 2, err: errBroken}
	_, err := s.Put(t.Context(), key(0), r, sha256.Sum256(data), 1<<20)
	if !errors.Is(err, errBroken) {
		t.Fatalf("Put from a reader that failed halfway: %v, want it to wrap %v", err, errBroken)
	}
	checkMissing(t, s, key(0))
}

// cancellingReader calls cancel once it has returned n bytes, and goes on.
type cancellingReader struct {
	r      io.Reader
	n      int
	cancel func()
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	m, err := r.r.Read(p)
	if r.n -= m; r.n <= 0 {
		r.cancel()
	}
	return m, err
}

func testCancelledContext(t *testing.T, s blob.Store) {
	data := random(1<<20, 4)
	ctx, cancel := context.WithCancel(t.Context())
	r := &cancellingReader{r: bytes.NewReader(data), n: len(data) / 2, cancel: cancel}
	_, err := s.Put(ctx, key(0), r, sha256.Sum256(data), 1<<20)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put cancelled halfway: %v, want it to wrap %v", err, context.Canceled)
	}
	checkMissing(t, s, key(0))

	// Cancelled as the last byte is read: the store may finish or not, but
	// what it answers must be what it did.
	ctx, cancel = context.WithCancel(t.Context())
	r = &cancellingReader{r: bytes.NewReader(data), n: len(data), cancel: cancel}
	_, err = s.Put(ctx, key(1), r, sha256.Sum256(data), 1<<20)
	if err != nil {
		checkMissing(t, s, key(1))
	} else {
		checkContent(t, s, key(1), data)
	}

	// Cancelled before: nothing is stored.
	_, err = s.Put(ctx, key(2), bytes.NewReader(data), sha256.Sum256(data), 1<<20)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context: %v, want it to wrap %v", err, context.Canceled)
	}
	checkMissing(t, s, key(2))
}

func testSameTwice(t *testing.T, s blob.Store) {
	data := random(64<<10, 5)
	put(t, s, key(0), data)
	put(t, s, key(0), data)
	checkContent(t, s, key(0), data)
}

func testDifferentTwice(t *testing.T, s blob.Store) {
	first, second := random(64<<10, 6), random(64<<10, 7)
	put(t, s, key(0), first)
	_, err := s.Put(t.Context(), key(0), bytes.NewReader(second), sha256.Sum256(second), 1<<20)
	if !errors.Is(err, blob.ErrExists) {
		t.Fatalf("second Put with other bytes: %v, want %v", err, blob.ErrExists)
	}
	checkContent(t, s, key(0), first)

	// Same size, one byte changed, and an empty blob: still others.
	changed := bytes.Clone(first)
	changed[len(changed)-1] ^= 1
	for _, other := range [][]byte{changed, {}} {
		_, err = s.Put(t.Context(), key(0), bytes.NewReader(other), sha256.Sum256(other), 1<<20)
		if !errors.Is(err, blob.ErrExists) {
			t.Fatalf("Put of %d other bytes: %v, want %v", len(other), err, blob.ErrExists)
		}
	}
	checkContent(t, s, key(0), first)
}

// watchedReader records whether it was read.
type watchedReader struct {
	io.Reader
	read bool
}

func (r *watchedReader) Read(p []byte) (int, error) {
	r.read = true
	return r.Reader.Read(p)
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	good := key(0)
	bad := []string{
		"", ".", "..", "/", "../x", "x/y", "../" + good, "./" + good, good + "/",
		"/" + good, "..\\" + good, "x\\y",
		"ABCDEF0123456789ABCDEF0123456789", // upper case
		"0123456789abcdef0123456789abcdeF", // one upper-case digit
		good[:31], good + "0",              // 31 and 33 digits
		"0123456789abcdef0123456789abcdeg", // not hex
		"\uff10" + good[1:],                // fullwidth digit zero
		good[:31] + "\u0430",               // Cyrillic a
		good[:31] + "\u0441",               // Cyrillic es, like c
		good[:31] + "\u0662",               // Arabic-Indic digit two
		good + "\n", "\n" + good, good + "\r\n", " " + good, good + " ",
		good + "\x00", good[:16] + "\x00" + good[16:], "\x00",
		good + ".", good + ".REID", good + ".re1d", good + ".toolongsx",
		good + ".reid.x", good + "..", good + "/.reid", good + ".\u0440\u0435", // Cyrillic "re"
		good + "\u200b", "\ufeff" + good, // zero width space, BOM
		good + ".reid\n",
	}
	for _, k := range bad {
		if blob.ValidKey(k) {
			t.Errorf("ValidKey(%q) = true; the suite's list of bad keys is wrong", k)
			continue
		}
		data := []byte("not for this key")
		r := &watchedReader{Reader: bytes.NewReader(data)}
		_, err := s.Put(t.Context(), k, r, sha256.Sum256(data), 1<<20)
		if !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Put(%q): %v, want %v", k, err, blob.ErrInvalidKey)
		}
		if r.read {
			t.Errorf("Put(%q) read the body before refusing the key", k)
		}
		rc, _, err := s.Get(t.Context(), k)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Get(%q): %v, want %v", k, err, blob.ErrInvalidKey)
		}
		if err := s.Delete(t.Context(), k); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Delete(%q): %v, want %v", k, err, blob.ErrInvalidKey)
		}
	}
	// Nothing landed under the key the bad ones were made from.
	checkMissing(t, s, good)
	checkMissing(t, s, good+".reid")
}

func testDelete(t *testing.T, s blob.Store) {
	first, second := random(1000, 8), random(2000, 9)
	put(t, s, key(0), first)
	put(t, s, key(1), first)
	if err := s.Delete(t.Context(), key(0)); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	checkMissing(t, s, key(0))
	checkContent(t, s, key(1), first)
	if err := s.Delete(t.Context(), key(0)); err != nil {
		t.Fatalf("Delete of a deleted key: %v, want nil", err)
	}
	if err := s.Delete(t.Context(), key(2)); err != nil {
		t.Fatalf("Delete of a missing key: %v, want nil", err)
	}
	// A deleted key is free again.
	put(t, s, key(0), second)
	checkContent(t, s, key(0), second)
}

// parallel runs f(0) … f(n-1) at once and returns their errors.
func parallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrentSame(t *testing.T, s blob.Store) {
	data := random(64<<10, 10)
	errs := parallel(100, func(int) error {
		n, err := s.Put(t.Context(), key(0), bytes.NewReader(data), sha256.Sum256(data), 1<<20)
		if err == nil && n != int64(len(data)) {
			err = fmt.Errorf("returned size %d, want %d", n, len(data))
		}
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("Put %d: %v", i, err)
		}
	}
	checkContent(t, s, key(0), data)
}

func testConcurrentDifferent(t *testing.T, s blob.Store) {
	const n = 20
	datas := make([][]byte, n)
	for i := range datas {
		datas[i] = random(64<<10, uint64(100+i))
	}
	errs := parallel(n, func(i int) error {
		_, err := s.Put(t.Context(), key(0), bytes.NewReader(datas[i]), sha256.Sum256(datas[i]), 1<<20)
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("Puts %d and %d of different bytes both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, blob.ErrExists):
			t.Errorf("Put %d: %v, want nil or %v", i, err, blob.ErrExists)
		}
	}
	if winner < 0 {
		t.Fatal("no Put succeeded")
	}
	checkContent(t, s, key(0), datas[winner])
}

func testConcurrentDistinct(t *testing.T, s blob.Store) {
	const n = 50
	errs := parallel(n, func(i int) error {
		data := random(4<<10, uint64(200+i))
		_, err := s.Put(t.Context(), key(i), bytes.NewReader(data), sha256.Sum256(data), 1<<20)
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("Put %d: %v", i, err)
		}
	}
	for i := range n {
		checkContent(t, s, key(i), random(4<<10, uint64(200+i)))
	}
}

// generator is a reader of size reproducible bytes (endless if size < 0)
// that holds only a short pattern in memory. If peak is set, it records the
// largest HeapInuse it sees, every 16 MiB and at the end.
type generator struct {
	pattern []byte
	off     int64
	size    int64
	peak    *uint64
}

func newGenerator(size int64) *generator {
	return &generator{pattern: random(65521, 11), size: size} // a prime length: no alignment with buffers
}

func (g *generator) Read(p []byte) (int, error) {
	if g.size >= 0 {
		if g.off >= g.size {
			g.sample()
			return 0, io.EOF
		}
		p = p[:min(int64(len(p)), g.size-g.off)]
	}
	n := 0
	for n < len(p) {
		n += copy(p[n:], g.pattern[(g.off+int64(n))%int64(len(g.pattern)):])
	}
	if g.off/(16<<20) != (g.off+int64(n))/(16<<20) {
		g.sample()
	}
	g.off += int64(n)
	return n, nil
}

func (g *generator) sample() {
	if g.peak == nil {
		return
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	*g.peak = max(*g.peak, m.HeapInuse)
}

// hashOf returns the SHA-256 of r and how many bytes it read.
func hashOf(t *testing.T, r io.Reader) ([32]byte, int64) {
	t.Helper()
	h := sha256.New()
	n, err := io.CopyBuffer(h, r, make([]byte, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil)), n
}

// testStream puts 256 MiB and checks that the heap did not grow by more than
// 32 MiB while the store read them: Put streams. The heap is sampled from
// inside the reader (every 16 MiB and at EOF, when a store that buffers holds
// everything) and after Put returns, without collecting garbage in between.
func testStream(t *testing.T, s blob.Store) {
	if testing.Short() {
		t.Skip("puts 256 MiB")
	}
	const size = 256 << 20
	digest, _ := hashOf(t, newGenerator(size))

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	g := newGenerator(size)
	g.peak = new(uint64)
	n, err := s.Put(t.Context(), key(0), g, digest, size)
	g.sample()
	if err != nil {
		t.Fatalf("Put of 256 MiB: %v", err)
	}
	if n != size {
		t.Fatalf("Put of 256 MiB returned size %d", n)
	}
	growth := int64(*g.peak) - int64(before.HeapInuse)
	t.Logf("heap in use grew by %.1f MiB during a Put of 256 MiB", float64(growth)/(1<<20))
	if growth > 32<<20 {
		t.Errorf("heap in use grew by %d MiB during a Put of 256 MiB; Put must stream", growth>>20)
	}

	rc, got, err := s.Get(t.Context(), key(0))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	if got != size {
		t.Errorf("Get size %d, want %d", got, size)
	}
	if d, n := hashOf(t, rc); d != digest || n != size {
		t.Errorf("Get returned %d bytes that differ from the 256 MiB stored", n)
	}
	if err := s.Delete(t.Context(), key(0)); err != nil {
		t.Errorf("Delete: %v", err)
	}
}
