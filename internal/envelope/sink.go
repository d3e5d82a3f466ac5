package envelope

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"testimony/internal/durable"
)

// Memory is a [Sink] that keeps entries in memory, up to Limit bytes in all
// (no limit if zero).
type Memory struct {
	Entries map[string][]byte
	Limit   int64
	total   int64
}

// Create implements [Sink].
func (m *Memory) Create(name string, size int64) (io.WriteCloser, error) {
	if m.Limit > 0 && m.total+size > m.Limit {
		return nil, fmt.Errorf("%s does not fit in memory (limit %d bytes)", name, m.Limit)
	}
	m.total += size
	if m.Entries == nil {
		m.Entries = map[string][]byte{}
	}
	return &memoryEntry{m: m, name: name}, nil
}

type memoryEntry struct {
	m    *Memory
	name string
	buf  bytes.Buffer
}

func (e *memoryEntry) Write(p []byte) (int, error) { return e.buf.Write(p) }
func (e *memoryEntry) Close() error {
	e.m.Entries[e.name] = e.buf.Bytes()
	return nil
}

// Discard is a [Sink] that drops everything; Open still authenticates all of
// it. It is for checking a file without extracting it.
type Discard struct{}

// Create implements [Sink].
func (Discard) Create(string, int64) (io.WriteCloser, error) { return nopCloser{io.Discard}, nil }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Dir is a [Sink] that writes entries into a private staging directory
// beside the final directory and moves it into place only on [Dir.Commit].
// Files are created mode 0600 and directories 0700: they hold testimony.
type Dir struct {
	final   string
	staging string
	root    *os.Root
	done    bool
}

// NewDir prepares to extract into the directory final, which must not exist
// or be empty.
func NewDir(final string) (*Dir, error) {
	if entries, err := os.ReadDir(final); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty; choose a new --out directory", final)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		if fi, serr := os.Stat(final); serr == nil && !fi.IsDir() {
			return nil, fmt.Errorf("%s exists and is not a directory", final)
		}
		return nil, fmt.Errorf("failed to use %s: %w", final, err)
	}
	parent := filepath.Dir(filepath.Clean(final))
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(final)+".opening-*")
	if err != nil {
		return nil, fmt.Errorf("failed to create a staging directory beside %s: %w", final, err)
	}
	root, err := os.OpenRoot(staging)
	if err != nil {
		os.RemoveAll(staging)
		return nil, fmt.Errorf("failed to create a staging directory: %w", err)
	}
	return &Dir{final: final, staging: staging, root: root}, nil
}

// Create implements [Sink].
func (d *Dir) Create(name string, size int64) (io.WriteCloser, error) {
	if dir := path.Dir(name); dir != "." {
		if err := d.root.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("failed to create %s: %w", dir, err)
		}
	}
	f, err := d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", name, err)
	}
	return syncCloser{f}, nil
}

type syncCloser struct{ *os.File }

func (f syncCloser) Close() error {
	if err := f.File.Sync(); err != nil {
		f.File.Close()
		return err
	}
	return f.File.Close()
}

// WriteFile writes an extra file, such as the manifest, into the staging
// directory.
func (d *Dir) WriteFile(name string, data []byte) error {
	w, err := d.Create(name, int64(len(data)))
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return fmt.Errorf("failed to write %s: %w", name, err)
	}
	return w.Close()
}

// Commit moves the staging directory to its final name.
func (d *Dir) Commit() error {
	if d.done {
		return errors.New("already committed or aborted")
	}
	d.done = true
	d.root.Close()
	if sub, err := os.Stat(filepath.Join(d.staging, "attachments")); err == nil && sub.IsDir() {
		if err := durable.SyncDir(filepath.Join(d.staging, "attachments")); err != nil {
			os.RemoveAll(d.staging)
			return err
		}
	}
	if err := durable.SyncDir(d.staging); err != nil {
		os.RemoveAll(d.staging)
		return err
	}
	if fi, err := os.Lstat(d.final); err == nil && fi.IsDir() {
		os.Remove(d.final) // empty, as NewDir checked; Rename fails otherwise
	}
	if err := os.Rename(d.staging, d.final); err != nil {
		os.RemoveAll(d.staging)
		return fmt.Errorf("failed to move the opened files to %s: %w", d.final, err)
	}
	return durable.SyncDir(filepath.Dir(filepath.Clean(d.final)))
}

// Abort removes the staging directory and everything in it, unless the
// directory was committed. It can be deferred.
func (d *Dir) Abort() {
	if d.done {
		return
	}
	d.done = true
	d.root.Close()
	os.RemoveAll(d.staging)
}
