package desk

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"filippo.io/age"
)

// TestImportSealed: import refuses a file by its size before reading it,
// stops reading a file that grows past the limit, and leaves nothing
// behind when it refuses.
func TestImportSealed(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var sealed bytes.Buffer
	w, err := age.Encrypt(&sealed, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte("x"), 1000))
	w.Close()
	src, dst := t.TempDir(), t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	limit := int64(sealed.Len())

	// A sealed file of exactly the limit is copied whole.
	if err := importSealed(write("ok.age", sealed.Bytes()), filepath.Join(dst, "ok.age"), limit); err != nil {
		t.Fatalf("a sealed file at the limit: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "ok.age")); !bytes.Equal(b, sealed.Bytes()) {
		t.Fatal("the imported copy differs")
	}
	// One byte over a limit is refused by its size. The file does not even
	// start like a sealed file, so an import that began to read it would
	// refuse it as not sealed instead.
	big := write("big.age", append([]byte("not age\n"), make([]byte, 1<<20-7)...))
	if err := importSealed(big, filepath.Join(dst, "big.age"), 1<<20); !errors.Is(err, errTooLarge) {
		t.Errorf("a file one byte over the limit: %v, want errTooLarge", err)
	}
	// The real limit, with a sparse file: refused at once.
	huge := filepath.Join(src, "huge.age")
	if f, err := os.Create(huge); err != nil {
		t.Fatal(err)
	} else if err := f.Truncate(maxSealedSize + 1); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	if err := importSealed(huge, filepath.Join(dst, "huge.age"), maxSealedSize); !errors.Is(err, errTooLarge) {
		t.Errorf("a file of 2 GiB + 1: %v, want errTooLarge", err)
	}
	// A file whose size says nothing (on Linux, /proc files say 0) is cut
	// at the limit while it is read.
	if runtime.GOOS == "linux" {
		if err := importSealed("/proc/self/status", filepath.Join(dst, "status.age"), 64); !errors.Is(err, errTooLarge) {
			t.Errorf("a file that reads longer than its size: %v, want errTooLarge", err)
		}
	}
	// Not an age file.
	if err := importSealed(write("junk.age", []byte("not age")), filepath.Join(dst, "junk.age"), limit); !errors.Is(err, errNotSealed) {
		t.Errorf("a file that is not sealed: %v, want errNotSealed", err)
	}
	if files, _ := os.ReadDir(dst); len(files) != 1 {
		var names []string
		for _, f := range files {
			names = append(names, f.Name())
		}
		t.Errorf("refusals left files behind: %v", names)
	}
}
