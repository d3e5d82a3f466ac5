package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"testimony/internal/blob"
	"testimony/internal/blob/blobtest"
)

// The tests run against a real S3-compatible server named by
// TESTIMONY_TEST_S3 (an endpoint URL such as http://127.0.0.1:7070), with
// the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Each test
// makes a bucket of its own and removes it, with everything in it, at the
// end. Without the variable they skip, or fail if TESTIMONY_REQUIRE_TOOLS=1.

// testEndpoint returns the test server's endpoint, or skips the test.
func testEndpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv("TESTIMONY_TEST_S3")
	if ep == "" {
		const msg = "no S3-compatible server: set TESTIMONY_TEST_S3 to its endpoint URL (such as http://127.0.0.1:7070) and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY to its credentials"
		if os.Getenv("TESTIMONY_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg + "; TESTIMONY_REQUIRE_TOOLS=1 requires it")
		}
		t.Skip(msg)
	}
	return ep
}

// admin returns a client of the test server, outside the Store.
func admin(t testing.TB, endpoint string) *minio.Client {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("TESTIMONY_TEST_S3: %v", err)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewEnvAWS(),
		Secure:       u.Scheme == "https",
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testBucket makes a bucket with a random name and returns a Config for it
// with the given prefix. At cleanup it checks that the bucket holds nothing
// but blobs under the prefix and no unfinished upload, then empties and
// removes it.
func testBucket(t testing.TB, prefix string) (Config, *minio.Client) {
	t.Helper()
	ep := testEndpoint(t)
	c := admin(t, ep)
	bucket := "testimony-test-" + strings.ToLower(rand.Text()[:16])
	if err := c.MakeBucket(t.Context(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("failed to make test bucket: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				t.Errorf("listing the test bucket: %v", o.Err)
				break
			}
			if k, ok := strings.CutPrefix(o.Key, prefix); !ok || !blob.ValidKey(k) {
				t.Errorf("left in the bucket: %q", o.Key)
			}
			if err := c.RemoveObject(ctx, bucket, o.Key, minio.RemoveObjectOptions{}); err != nil {
				t.Errorf("emptying the test bucket: %v", err)
			}
		}
		core := minio.Core{Client: c}
		res, err := core.ListMultipartUploads(ctx, bucket, "", "", "", "", 1000)
		if err != nil {
			t.Errorf("listing unfinished uploads: %v", err)
		}
		for _, u := range res.Uploads {
			t.Errorf("unfinished upload left: %q", u.Key)
			core.AbortMultipartUpload(ctx, bucket, u.Key, u.UploadID)
		}
		if err := c.RemoveBucket(ctx, bucket); err != nil {
			t.Errorf("removing the test bucket: %v", err)
		}
	})
	return Config{Bucket: bucket, Prefix: prefix, Endpoint: ep, Region: "us-east-1"}, c
}

// openTest opens a store on a fresh bucket, with 5 MiB parts so that
// multipart uploads are exercised by modest blobs.
func openTest(t testing.TB, prefix string) (*Store, *minio.Client) {
	t.Helper()
	cfg, c := testBucket(t, prefix)
	cfg.PartSize = minPartSize
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, c
}

func TestConformance(t *testing.T) {
	testEndpoint(t) // skip once, not in every case
	for _, prefix := range []string{"", "testimony/blobs/"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) blob.Store {
				s, _ := openTest(t, prefix)
				return s
			})
		})
	}
}

// TestConformanceDefaultPartSize: the suite with the default 16 MiB parts
// (the streaming case then sends 16 parts of 16 MiB).
func TestConformanceDefaultPartSize(t *testing.T) {
	testEndpoint(t)
	blobtest.Run(t, func(t *testing.T) blob.Store {
		cfg, _ := testBucket(t, "")
		s, err := Open(t.Context(), cfg)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

const key = "0123456789abcdef0123456789abcdef"

// pattern returns n bytes that are not all alike.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>13)
	}
	return b
}

// failAfter returns the first n bytes of data, then err.
type failAfter struct {
	r   io.Reader
	n   int
	err error
}

func (r *failAfter) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, r.err
	}
	m, err := r.r.Read(p[:min(len(p), r.n)])
	r.n -= m
	return m, err
}

// cancelAfter cancels after n bytes and goes on reading.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (r *cancelAfter) Read(p []byte) (int, error) {
	m, err := r.r.Read(p)
	if r.n -= m; r.n <= 0 {
		r.cancel()
	}
	return m, err
}

// TestInterrupted: a Put that stops early, in the first part or after some
// parts were uploaded, leaves nothing under the key and no unfinished upload
// (the bucket's cleanup checks both), and says why.
func TestInterrupted(t *testing.T) {
	s, c := openTest(t, "p/")
	errBroken := errors.New("client went away")
	for _, size := range []int{100 << 10, 13 << 20} { // one request; three parts
		data := pattern(size)
		digest := sha256.Sum256(data)
		cases := []struct {
			name  string
			put   func() error
			want  error
			bytes int // how much of data the reader gives at most
		}{
			{"reader error", func() error {
				_, err := s.Put(t.Context(), key, &failAfter{bytes.NewReader(data), size * 2 / 3, errBroken}, digest, int64(size))
				return err
			}, errBroken, 0},
			{"cancelled", func() error {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				_, err := s.Put(ctx, key, &cancelAfter{bytes.NewReader(data), size * 2 / 3, cancel}, digest, int64(size))
				return err
			}, context.Canceled, 0},
			{"deadline", func() error {
				ctx, cancel := context.WithTimeout(t.Context(), 0)
				defer cancel()
				_, err := s.Put(ctx, key, bytes.NewReader(data), digest, int64(size))
				return err
			}, context.DeadlineExceeded, 0},
			{"digest mismatch", func() error {
				other := bytes.Clone(data)
				other[size-1] ^= 1
				_, err := s.Put(t.Context(), key, bytes.NewReader(other), digest, int64(size))
				return err
			}, blob.ErrDigestMismatch, 0},
			{"over the limit by one", func() error {
				_, err := s.Put(t.Context(), key, bytes.NewReader(data), digest, int64(size-1))
				return err
			}, blob.ErrTooLarge, 0},
			{"endless", func() error {
				_, err := s.Put(t.Context(), key, endless{}, digest, int64(size))
				return err
			}, blob.ErrTooLarge, 0},
		}
		for _, tc := range cases {
			err := tc.put()
			if !errors.Is(err, tc.want) {
				t.Errorf("%d bytes, %s: %v, want %v", size, tc.name, err, tc.want)
			}
			if _, err := c.StatObject(t.Context(), s.bucket, "p/"+key, minio.StatObjectOptions{}); !isNotFound(err) {
				t.Errorf("%d bytes, %s: something under the key: %v", size, tc.name, err)
			}
			checkNoUploads(t, s)
		}
		// The key is still free for the whole blob.
		if n, err := s.Put(t.Context(), key, bytes.NewReader(data), digest, int64(size)); err != nil || n != int64(size) {
			t.Fatalf("%d bytes: Put after the interrupted ones: %d, %v", size, n, err)
		}
		if err := s.Delete(t.Context(), key); err != nil {
			t.Fatal(err)
		}
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) { return len(p), nil }

// checkNoUploads fails the test if an unfinished upload is left.
func checkNoUploads(t *testing.T, s *Store) {
	t.Helper()
	res, err := s.core.ListMultipartUploads(t.Context(), s.bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range res.Uploads {
		t.Errorf("unfinished upload left: %s", u.Key)
	}
}

// hookReader calls hook before every read.
type hookReader struct {
	r    io.Reader
	hook func()
}

func (r *hookReader) Read(p []byte) (int, error) {
	r.hook()
	return r.r.Read(p)
}

// TestNotVisibleBeforeDone: while a multipart Put reads, and when it has
// read everything, neither a GET nor a listing shows anything under the key.
func TestNotVisibleBeforeDone(t *testing.T) {
	s, c := openTest(t, "")
	data := pattern(12 << 20)
	var checks atomic.Int32
	r := &hookReader{r: bytes.NewReader(data), hook: func() {
		if checks.Add(1)%64 != 1 {
			return // not on every 32 KiB read
		}
		if _, err := c.StatObject(t.Context(), s.bucket, key, minio.StatObjectOptions{}); !isNotFound(err) {
			t.Errorf("visible under the key while being written: %v", err)
		}
		for o := range c.ListObjects(t.Context(), s.bucket, minio.ListObjectsOptions{Recursive: true}) {
			t.Errorf("listed while being written: %q %v", o.Key, o.Err)
		}
	}}
	if _, err := s.Put(t.Context(), key, r, sha256.Sum256(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if checks.Load() < 3 {
		t.Errorf("checked only %d times", checks.Load())
	}
}

// TestAbortStaleUploads: an upload a crashed Put left is aborted once it is
// old enough, and only then: a running Put of another process is left alone.
func TestAbortStaleUploads(t *testing.T) {
	cfg, _ := testBucket(t, "p/")
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// What a Put that crashed after its first part leaves.
	id, err := s.core.NewMultipartUpload(t.Context(), s.bucket, "p/"+key, s.uploadOptions([32]byte{}))
	if err != nil {
		t.Fatal(err)
	}
	part := pattern(1000)
	if _, err := s.core.PutObjectPart(t.Context(), s.bucket, "p/"+key, id, 1, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
		t.Fatal(err)
	}
	// Another upload outside the prefix is none of the store's business.
	other, err := s.core.NewMultipartUpload(t.Context(), s.bucket, "elsewhere", minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.core.AbortMultipartUpload(context.Background(), s.bucket, "elsewhere", other)

	// A new Open leaves a fresh upload alone.
	if _, err := Open(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if got := uploads(t, s); len(got) != 2 {
		t.Fatalf("Open removed a fresh upload: %q left", got)
	}
	// Once old enough, it is aborted.
	time.Sleep(1100 * time.Millisecond) // S3 times have a resolution of a second
	if err := s.AbortStaleUploads(t.Context(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got := uploads(t, s); len(got) != 1 || got[0] != "elsewhere" {
		t.Fatalf("after AbortStaleUploads: %q, want only the one outside the prefix", got)
	}
	// The key was never visible, and is free.
	data := pattern(100)
	if _, err := s.Put(t.Context(), key, bytes.NewReader(data), sha256.Sum256(data), 100); err != nil {
		t.Fatal(err)
	}
}

func uploads(t *testing.T, s *Store) []string {
	t.Helper()
	res, err := s.core.ListMultipartUploads(t.Context(), s.bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range res.Uploads {
		keys = append(keys, u.Key)
	}
	return keys
}

// TestGetDetectsChange: a blob changed or cut behind the store's back is
// read to the end with an error instead of io.EOF.
func TestGetDetectsChange(t *testing.T) {
	s, c := openTest(t, "")
	data := pattern(100 << 10)
	if _, err := s.Put(t.Context(), key, bytes.NewReader(data), sha256.Sum256(data), 1<<20); err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{metaDigest: strings.Repeat("00", 32)}
	info, err := c.StatObject(t.Context(), s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	meta[metaDigest] = info.Metadata.Get("X-Amz-Meta-Sha256")
	changed := bytes.Clone(data)
	changed[5000] ^= 1
	for name, b := range map[string][]byte{"one bit": changed, "cut": data[:len(data)-1]} {
		if _, err := c.PutObject(t.Context(), s.bucket, key, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{UserMetadata: meta}); err != nil {
			t.Fatal(err)
		}
		rc, _, err := s.Get(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(rc)
		rc.Close()
		if err == nil {
			t.Errorf("%s: Get read a changed blob without error", name)
		}
	}
}

// TestPutExistingLarge: a multipart-sized Put of a blob already stored
// reads and checks the body but does not upload it again; another blob is
// refused before it is uploaded.
func TestPutExistingLarge(t *testing.T) {
	s, _ := openTest(t, "")
	data := pattern(11 << 20)
	digest := sha256.Sum256(data)
	if _, err := s.Put(t.Context(), key, bytes.NewReader(data), digest, 1<<30); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Put(t.Context(), key, bytes.NewReader(data), digest, 1<<30); err != nil || n != int64(len(data)) {
		t.Fatalf("same blob again: %d, %v", n, err)
	}
	other := bytes.Clone(data)
	other[len(other)-1] ^= 1
	if _, err := s.Put(t.Context(), key, bytes.NewReader(other), digest, 1<<30); !errors.Is(err, blob.ErrDigestMismatch) {
		t.Fatalf("other bytes under the stored digest: %v, want %v", err, blob.ErrDigestMismatch)
	}
	if _, err := s.Put(t.Context(), key, bytes.NewReader(other), sha256.Sum256(other), 1<<30); !errors.Is(err, blob.ErrExists) {
		t.Fatalf("another blob: %v, want %v", err, blob.ErrExists)
	}
	checkNoUploads(t, s)
}

// TestOpenChecks: Open refuses a missing bucket, missing credentials, a
// credentials file every user can read, and reads a proper one.
func TestOpenChecks(t *testing.T) {
	cfg, _ := testBucket(t, "")
	missing := cfg
	missing.Bucket += "-missing"
	if _, err := Open(t.Context(), missing); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open of a missing bucket: %v", err)
	}

	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	file := filepath.Join(t.TempDir(), "credentials")
	content := "[testimony]\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_ACCESS_KEY", "")
	t.Setenv("AWS_SECRET_KEY", "")
	if _, err := Open(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("Open without credentials: %v", err)
	}
	withFile := cfg
	withFile.CredentialsFile, withFile.Profile = file, "testimony"
	_, err := Open(t.Context(), withFile)
	if err == nil || !strings.Contains(err.Error(), "every user") {
		t.Errorf("Open with a world-readable credentials file: %v", err)
	}
	if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), id)) {
		t.Errorf("the error shows the credentials: %v", err)
	}
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), withFile)
	if err != nil {
		t.Fatalf("Open with a credentials file: %v", err)
	}
	data := []byte("through the file's credentials")
	if _, err := s.Put(t.Context(), key, bytes.NewReader(data), sha256.Sum256(data), 100); err != nil {
		t.Fatal(err)
	}
	wrong := withFile
	wrong.Profile = "missing"
	if _, err := Open(t.Context(), wrong); err == nil {
		t.Error("Open with a missing profile succeeded")
	}

	// Wrong credentials fail at Open, without showing the secret.
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(bad, []byte("[default]\naws_access_key_id = "+id+"\naws_secret_access_key = not-the-secret-XYZ\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wrong = cfg
	wrong.CredentialsFile = bad
	if _, err := Open(t.Context(), wrong); err == nil || strings.Contains(err.Error(), "not-the-secret-XYZ") {
		t.Errorf("Open with a wrong secret: %v", err)
	}
}

// TestServerSideEncryption: with SSE-S3 asked for, a server that supports
// it stores and returns blobs; one that does not makes Open fail clearly.
func TestServerSideEncryption(t *testing.T) {
	cfg, c := testBucket(t, "")
	cfg.ServerSideEncryption = true
	cfg.PartSize = minPartSize
	s, err := Open(t.Context(), cfg)
	if err != nil {
		if !strings.Contains(err.Error(), "server-side encryption") {
			t.Fatalf("Open with SSE-S3: %v", err)
		}
		t.Skipf("the test server does not encrypt (and Open says so): %v", err)
	}
	for _, size := range []int{1000, 6 << 20} {
		data := pattern(size)
		if _, err := s.Put(t.Context(), key, bytes.NewReader(data), sha256.Sum256(data), 1<<30); err != nil {
			t.Fatal(err)
		}
		info, err := c.StatObject(t.Context(), s.bucket, key, minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Metadata.Get("X-Amz-Server-Side-Encryption"); got != "AES256" {
			t.Errorf("%d bytes: x-amz-server-side-encryption: %q, want AES256", size, got)
		}
		rc, _, err := s.Get(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read back %d, %v", size, len(got), err)
		}
		if err := s.Delete(t.Context(), key); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTwoStoresRace: two Stores on one bucket, as two server processes
// would be (no lock in common), Put different blobs under the same keys at
// once, small and multipart: for each key exactly one wins, the others get
// ErrExists, and the key holds the winner's bytes. Only the server's
// conditional write (If-None-Match: *) can make this hold.
func TestTwoStoresRace(t *testing.T) {
	cfg, _ := testBucket(t, "")
	cfg.PartSize = minPartSize
	var stores [2]*Store
	for i := range stores {
		s, err := Open(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	t.Logf("conditional writes: %v", stores[0].conditional)
	for round, size := range []int{4 << 10, 4 << 10, 4 << 10, 6 << 20} {
		k := strings.Repeat(string("0123"[round]), 32)
		const n = 6
		datas := make([][]byte, n)
		for i := range datas {
			datas[i] = pattern(size)
			datas[i][0] = byte(i)
		}
		errs := make([]error, n)
		start := make(chan struct{})
		done := make(chan int)
		for i := range n {
			go func() {
				<-start
				_, errs[i] = stores[i%2].Put(t.Context(), k, bytes.NewReader(datas[i]), sha256.Sum256(datas[i]), 1<<30)
				done <- i
			}()
		}
		close(start)
		for range n {
			<-done
		}
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("round %d (%d bytes): Puts %d and %d of different blobs both succeeded", round, size, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, blob.ErrExists):
				t.Errorf("round %d: Put %d: %v, want nil or ErrExists", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no Put succeeded", round)
		}
		rc, _, err := stores[0].Get(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, datas[winner]) {
			t.Errorf("round %d: the key holds other bytes than the winner's (%v)", round, err)
		}
	}
}

// gen is a reader of size bytes that holds only a short pattern.
type gen struct {
	pattern []byte
	off     int64
	size    int64
}

func (g *gen) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.size-g.off)]
	n := 0
	for n < len(p) {
		n += copy(p[n:], g.pattern[(g.off+int64(n))%int64(len(g.pattern)):])
	}
	g.off += int64(n)
	return n, nil
}

// rss returns the process's resident set size and its peak since the last
// resetPeak, in bytes, from /proc (0, 0 elsewhere).
func rss(t *testing.T) (cur, peak int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for line := range strings.Lines(string(b)) {
		var kb int64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &kb); err == nil {
			cur = kb << 10
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			peak = kb << 10
		}
	}
	return cur, peak
}

// resetPeak resets the peak RSS the kernel keeps (Linux: clear_refs 5).
func resetPeak() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// TestStreamMemory puts and gets 256 MiB with the default part size and
// reports how much the heap and the resident set grew; it fails if either
// grew by more than 48 MiB (one 16 MiB part, the client's buffers, garbage
// not yet collected). Run it alone for clean figures:
//
//	go test -run StreamMemory -v ./internal/blob/s3/
func TestStreamMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("puts 256 MiB")
	}
	cfg, _ := testBucket(t, "")
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	const size = 256 << 20
	newGen := func() *gen { return &gen{pattern: pattern(65521), size: size} }
	h := sha256.New()
	io.Copy(h, newGen())
	digest := [32]byte(h.Sum(nil))

	measure := func(what string, f func()) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rss0, _ := rss(t)
		resetPeak()
		start := time.Now()
		f()
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		_, peak := rss(t)
		heap := int64(after.HeapInuse) - int64(before.HeapInuse)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s of 256 MiB: %.0f MiB/s; heap in use +%.1f MiB, allocated %.1f MiB in all, peak RSS +%.1f MiB (from %.1f MiB)",
			what, size/elapsed.Seconds()/(1<<20), float64(heap)/(1<<20), float64(alloc)/(1<<20), float64(peak-rss0)/(1<<20), float64(rss0)/(1<<20))
		if heap > 48<<20 || (rss0 > 0 && peak-rss0 > 48<<20) {
			t.Errorf("%s of 256 MiB: memory grew too much", what)
		}
	}
	measure("Put", func() {
		if n, err := s.Put(t.Context(), key, newGen(), digest, size); err != nil || n != size {
			t.Fatalf("Put: %d, %v", n, err)
		}
	})
	measure("Get", func() {
		rc, n, err := s.Get(t.Context(), key)
		if err != nil || n != size {
			t.Fatalf("Get: %d, %v", n, err)
		}
		defer rc.Close()
		h := sha256.New()
		if _, err := io.CopyBuffer(h, rc, make([]byte, 64<<10)); err != nil || [32]byte(h.Sum(nil)) != digest {
			t.Fatalf("Get returned other bytes: %v", err)
		}
	})
}

// TestLimitExtremes: the largest limit admits a blob (no overflow at
// limit+1), and a limit of exactly the size admits it, small and multipart.
func TestLimitExtremes(t *testing.T) {
	s, _ := openTest(t, "")
	for i, size := range []int{0, 1000, 6 << 20} {
		data := pattern(size)
		k := fmt.Sprintf("%032x", i)
		for _, limit := range []int64{math.MaxInt64, int64(size)} {
			if n, err := s.Put(t.Context(), k, bytes.NewReader(data), sha256.Sum256(data), limit); err != nil || n != int64(size) {
				t.Errorf("Put of %d bytes with limit %d: %d, %v", size, limit, n, err)
			}
		}
	}
}
