// Package durable writes files so that a crash or an error leaves either
// nothing or the whole file under its final name: data goes to a temporary
// file in the same directory, is synced, and only then takes the final name;
// the directory is synced after that.
package durable

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned when a file that must be new already exists.
var ErrExists = errors.New("file already exists")

// File is a file being written. It appears under its final name only when
// [File.Commit] succeeds; [File.Abort] (safe to call after Commit, so it can
// be deferred) removes it.
type File struct {
	*os.File
	final   string
	replace bool
	done    bool
}

// Create starts writing a new file at path with the given permissions. Commit
// fails with [ErrExists] if path exists by then; Create checks once early so
// that the caller learns it before writing anything.
func Create(path string, perm fs.FileMode) (*File, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s: %w; refusing to overwrite it", path, ErrExists)
	}
	return create(path, perm, false)
}

// CreateReplace starts writing a file that will atomically replace path.
func CreateReplace(path string, perm fs.FileMode) (*File, error) {
	return create(path, perm, true)
}

func create(path string, perm fs.FileMode, replace bool) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("failed to create %s: %w", path, err)
	}
	return &File{File: f, final: path, replace: replace}, nil
}

// Commit syncs the file, gives it its final name and syncs the directory.
func (f *File) Commit() error {
	if f.done {
		return errors.New("durable: file already committed or aborted")
	}
	f.done = true
	tmp := f.File.Name()
	fail := func(err error) error {
		f.File.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.File.Sync(); err != nil {
		return fail(fmt.Errorf("failed to write %s: %w", f.final, err))
	}
	if err := f.File.Close(); err != nil {
		return fail(fmt.Errorf("failed to write %s: %w", f.final, err))
	}
	if f.replace {
		if err := os.Rename(tmp, f.final); err != nil {
			return fail(fmt.Errorf("failed to replace %s: %w", f.final, err))
		}
	} else if err := os.Link(tmp, f.final); err == nil {
		os.Remove(tmp)
	} else if errors.Is(err, fs.ErrExist) {
		return fail(fmt.Errorf("%s: %w; refusing to overwrite it", f.final, ErrExists))
	} else {
		// Some file systems (FAT on a USB stick) have no hard links.
		if _, err := os.Lstat(f.final); err == nil {
			return fail(fmt.Errorf("%s: %w; refusing to overwrite it", f.final, ErrExists))
		}
		if err := os.Rename(tmp, f.final); err != nil {
			return fail(fmt.Errorf("failed to create %s: %w", f.final, err))
		}
	}
	return SyncDir(filepath.Dir(f.final))
}

// Abort removes the temporary file unless the file was committed.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}

// WriteNew writes data to a new file at path. It never replaces an existing
// file.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	f, err := Create(path, perm)
	return write(f, err, data)
}

// Replace atomically replaces path with data.
func Replace(path string, data []byte, perm fs.FileMode) error {
	f, err := CreateReplace(path, perm)
	return write(f, err, data)
}

func write(f *File, err error, data []byte) error {
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("failed to write %s: %w", f.final, err)
	}
	return f.Commit()
}

// SyncDir syncs the directory dir, making renames and new entries in it
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("failed to sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("failed to sync directory %s: %w", dir, err)
	}
	return nil
}
