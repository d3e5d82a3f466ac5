package disk

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"testimony/internal/blob"
	"testimony/internal/blob/blobtest"
)

// open opens a store in <tmp>/blobs and, when the test ends, checks that
// nothing but blobs was left in it (no temporary file after a failed Put)
// and nothing at all next to it (no key escaped the directory).
func open(t *testing.T) (*Store, string) {
	t.Helper()
	parent := t.TempDir()
	dir := filepath.Join(parent, "blobs")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if names := list(t, parent); !slices.Equal(names, []string{"blobs"}) {
			t.Errorf("next to the store: %q", names)
		}
		for _, name := range list(t, dir) {
			if !blob.ValidKey(name) {
				t.Errorf("left in the store: %q", name)
			}
		}
	})
	return s, dir
}

// list returns the names in dir.
func list(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, _ := open(t)
		return s
	})
}

const key = "0123456789abcdef0123456789abcdef"

func put(t *testing.T, s *Store, k string, data []byte) error {
	t.Helper()
	_, err := s.Put(t.Context(), k, bytes.NewReader(data), sha256.Sum256(data), 1<<20)
	return err
}

// TestOpenRemovesTemps: temporary files a crash left are gone after Open;
// blobs and other files stay.
func TestOpenRemovesTemps(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := put(t, s, key, []byte("kept")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, name := range []string{".tmp-LEFTOVER", ".tmp-", ".tmp-X-link"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if names := list(t, dir); !slices.Equal(names, []string{key, "notes.txt"}) {
		t.Errorf("after Open: %q, want the blob and notes.txt", names)
	}
}

// TestModes: the directory Open creates is 0700 and blobs are 0600.
func TestModes(t *testing.T) {
	s, dir := open(t)
	if err := put(t, s, key, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{dir: 0o700, filepath.Join(dir, key): 0o600} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), want)
		}
	}
}

// TestNotVisibleBeforeDone: while Put reads, and when it has read
// everything, nothing is under the key yet.
func TestNotVisibleBeforeDone(t *testing.T) {
	s, dir := open(t)
	data := bytes.Repeat([]byte("x"), 200<<10)
	var checks atomic.Int32
	r := &hookReader{r: bytes.NewReader(data), hook: func() {
		checks.Add(1)
		if _, err := os.Lstat(filepath.Join(dir, key)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("visible under the key while being written: %v", err)
		}
	}}
	if _, err := s.Put(t.Context(), key, r, sha256.Sum256(data), 1<<20); err != nil {
		t.Fatal(err)
	}
	if checks.Load() < 2 {
		t.Errorf("checked only %d times", checks.Load())
	}
}

type hookReader struct {
	r    *bytes.Reader
	hook func()
}

func (r *hookReader) Read(p []byte) (int, error) {
	r.hook()
	return r.r.Read(p)
}

// TestSymlinks: a symbolic link planted under a key is neither followed
// outside the directory nor taken for a blob inside it, by Get or Put, and
// Delete removes the link, not what it points to.
func TestSymlinks(t *testing.T) {
	s, dir := open(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := strings.Repeat("e", 32)
	if err := put(t, s, other, []byte("inside")); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		strings.Repeat("a", 32): secret,                                                      // absolute, outside
		strings.Repeat("b", 32): filepath.Join("..", "..", filepath.Base(outside), "secret"), // relative, outside
		strings.Repeat("c", 32): outside,                                                     // a directory outside
		strings.Repeat("d", 32): other,                                                       // another blob
		strings.Repeat("f", 32): "missing",                                                   // dangling
	}
	for k, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, k)); err != nil {
			t.Fatal(err)
		}
	}
	for k := range links {
		if rc, _, err := s.Get(t.Context(), k); err == nil {
			rc.Close()
			t.Errorf("Get(%s) followed the link", k)
		}
		if err := put(t, s, k, []byte("outside")); err == nil {
			t.Errorf("Put(%s) over a link succeeded", k)
		}
		if err := put(t, s, k, []byte("new")); err == nil {
			t.Errorf("Put(%s) over a link succeeded", k)
		}
		if err := s.Delete(t.Context(), k); err != nil {
			t.Errorf("Delete(%s): %v", k, err)
		}
		if _, err := os.Lstat(filepath.Join(dir, k)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Delete(%s) left the link: %v", k, err)
		}
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "outside" {
		t.Errorf("the file outside changed: %q, %v", b, err)
	}
	if names := list(t, outside); !slices.Equal(names, []string{"secret"}) {
		t.Errorf("outside: %q", names)
	}
	if b, err := os.ReadFile(filepath.Join(dir, other)); err != nil || string(b) != "inside" {
		t.Errorf("the blob linked to changed: %q, %v", b, err)
	}
}

// TestOpenErrors: Open fails clearly on a path that is a file.
func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file); err == nil {
		t.Error("Open of a file succeeded")
	}
	if _, err := Open(filepath.Join(file, "sub")); err == nil {
		t.Error("Open under a file succeeded")
	}
}

// TestClosed: a closed store fails, without panicking.
func TestClosed(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := put(t, s, key, []byte("x")); err == nil {
		t.Error("Put after Close succeeded")
	}
	if _, _, err := s.Get(t.Context(), key); err == nil {
		t.Error("Get after Close succeeded")
	}
}

// BenchmarkPut is the bare baseline for the server's intake: durable Puts
// of 4 KiB blobs under distinct keys from parallel writers (-cpu sets how
// many per GOMAXPROCS, b.SetParallelism more).
func BenchmarkPut(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	data := bytes.Repeat([]byte{0x5a}, 4<<10)
	digest := sha256.Sum256(data)
	var next atomic.Uint64
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := fmt.Sprintf("%032x", next.Add(1))
			if _, err := s.Put(b.Context(), k, bytes.NewReader(data), digest, int64(len(data))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
