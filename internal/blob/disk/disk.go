// Package disk is a [blob.Store] in a directory on the local file system:
// the embedded default.
//
// Each blob is one regular file, mode 0600, named by its key, directly in the
// directory. Put writes to a temporary file in the same directory (named
// ".tmp-…", which no key can be), hashing as it goes, fsyncs it, gives it its
// key with link(2), which never replaces a file, and fsyncs the directory
// before it returns. So nothing is visible under a key before its bytes are
// durable, and a Put that returned nil survives a crash. A crash leaves at
// most temporary files, which [Open] removes.
//
// Every file access goes through an [os.Root] on the directory: no name can
// reach outside it, not even through a symbolic link planted in it. Get and
// Put also refuse a key that is anything but a regular file (a symbolic link,
// a directory, a FIFO).
//
// Only one Store may use a directory at a time: Open removes the temporary
// files it finds, including those of another Store still writing. The file
// system must support hard links (ext4, XFS, Btrfs, ZFS, tmpfs and APFS do;
// FAT and some network file systems do not): Open checks.
package disk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"testimony/internal/blob"
)

var _ blob.Store = (*Store)(nil)

// tmpPrefix starts the name of every temporary file. No valid key starts
// with a dot, so a temporary file can never be taken for a blob.
const tmpPrefix = ".tmp-"

// bufSize is the size of the one buffer a Put streams through.
const bufSize = 32 << 10

// Store is a [blob.Store] in a directory. It is safe for concurrent use.
type Store struct {
	root *os.Root
	dir  *os.File // the directory itself, kept open to fsync it
}

// Open opens the store in dir, creating dir with mode 0700 if it is missing
// (an existing directory keeps its mode). It removes the temporary files a
// crash may have left and checks that the file system supports hard links.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create blob directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to open blob directory: %w", err)
	}
	d, err := root.Open(".")
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("failed to open blob directory: %w", err)
	}
	s := &Store{root: root, dir: d}
	if err := s.removeTemps(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.checkLinks(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the directory. The Store must not be used after Close.
func (s *Store) Close() error {
	return errors.Join(s.dir.Close(), s.root.Close())
}

// removeTemps removes the temporary files in the directory, reading it in
// batches so that a large store does not need much memory.
func (s *Store) removeTemps() error {
	d, err := s.root.Open(".")
	if err != nil {
		return fmt.Errorf("failed to list blob directory: %w", err)
	}
	defer d.Close()
	removed := false
	for {
		entries, err := d.ReadDir(1024)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), tmpPrefix) {
				continue
			}
			if err := s.root.Remove(e.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("failed to remove temporary file: %w", err)
			}
			removed = true
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("failed to list blob directory: %w", err)
		}
	}
	if removed {
		return s.syncDir()
	}
	return nil
}

// checkLinks makes sure the file system supports hard links, on which Put
// relies never to replace a blob, so that a directory on one that does not
// fails here and not at the first upload.
func (s *Store) checkLinks() error {
	f, name, err := s.createTemp()
	if err != nil {
		return err
	}
	f.Close()
	defer s.root.Remove(name)
	if err := s.root.Link(name, name+"-link"); err != nil {
		return fmt.Errorf("failed to check that the blob directory supports hard links: %w", err)
	}
	if err := s.root.Remove(name + "-link"); err != nil {
		return fmt.Errorf("failed to check that the blob directory supports hard links: %w", err)
	}
	return nil
}

// createTemp creates a new, empty temporary file, mode 0600.
func (s *Store) createTemp() (*os.File, string, error) {
	name := tmpPrefix + rand.Text()
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("failed to create temporary file: %w", err)
	}
	return f, name, nil
}

func (s *Store) syncDir() error {
	if err := s.dir.Sync(); err != nil {
		return fmt.Errorf("failed to sync blob directory: %w", err)
	}
	return nil
}

// Put stores the bytes of r under key; see [blob.Store]. It reads r through
// one fixed buffer and checks ctx between reads, so a cancelled context
// stops it at the next read but cannot interrupt a read that blocks: the
// reader must end when the request it comes from does (an HTTP request body
// does). A negative limit admits nothing, not even an empty blob.
//
// One error leaves something under the key: if syncing the directory fails
// once the blob has its name, the blob is complete (its bytes were synced
// first) but its name may not survive a crash. Removing it then could take
// it from under a concurrent Put of the same bytes that has already
// answered, so it stays, and the same Put again succeeds.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, digest [32]byte, limit int64) (int64, error) {
	if !blob.ValidKey(key) {
		return 0, fmt.Errorf("failed to store blob: %w", blob.ErrInvalidKey)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("failed to store blob %s: %w", key, err)
	}
	if limit < 0 {
		return 0, fmt.Errorf("failed to store blob %s: %w", key, blob.ErrTooLarge)
	}
	f, tmp, err := s.createTemp()
	if err != nil {
		return 0, fmt.Errorf("failed to store blob %s: %w", key, err)
	}
	n, err := s.write(ctx, f, r, digest, limit)
	if err == nil {
		err = s.commit(ctx, tmp, key, digest)
	}
	if err != nil {
		f.Close()
		s.root.Remove(tmp)
		return 0, fmt.Errorf("failed to store blob %s: %w", key, err)
	}
	return n, nil
}

// commit gives the complete, synced temporary file tmp the name key unless
// key exists, and syncs the directory. If key exists it succeeds only if the
// blob there has the same digest.
func (s *Store) commit(ctx context.Context, tmp, key string, digest [32]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.root.Link(tmp, key)
	if errors.Is(err, fs.ErrExist) {
		err = s.compare(key, digest)
	} else if err != nil {
		err = fmt.Errorf("failed to link: %w", err)
	}
	if err != nil {
		return err
	}
	// Removing the temporary file first lets one directory sync cover both
	// names; if it fails, the file is a second name of a complete blob,
	// which the next Open removes. A blob found already stored is synced
	// too: its own Put may not have synced the directory yet, and this one
	// must not answer before.
	s.root.Remove(tmp)
	return s.syncDir()
}

// write copies r into f, checking the size, the context and the digest,
// then syncs and closes f. The caller closes f on error (closing twice is
// harmless).
func (s *Store) write(ctx context.Context, f *os.File, r io.Reader, digest [32]byte, limit int64) (int64, error) {
	h := sha256.New()
	buf := make([]byte, bufSize)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		m, rerr := r.Read(buf)
		if m > 0 {
			if n += int64(m); n > limit {
				return 0, fmt.Errorf("more than %d bytes: %w", limit, blob.ErrTooLarge)
			}
			h.Write(buf[:m])
			if _, err := f.Write(buf[:m]); err != nil {
				return 0, fmt.Errorf("failed to write: %w", err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return 0, fmt.Errorf("failed to read: %w", rerr)
		}
	}
	if [32]byte(h.Sum(nil)) != digest {
		return 0, blob.ErrDigestMismatch
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("failed to sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("failed to close: %w", err)
	}
	return n, nil
}

// compare returns nil if the blob under key has the given digest and
// [blob.ErrExists] if it has another.
func (s *Store) compare(key string, digest [32]byte) error {
	f, _, err := s.open(key)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("failed to read the stored blob: %w", err)
	}
	if [32]byte(h.Sum(nil)) != digest {
		return blob.ErrExists
	}
	return nil
}

// open opens the blob under a valid key, which must be a regular file.
func (s *Store) open(key string) (*os.File, int64, error) {
	// Lstat first so that a FIFO, which would block, is never opened; Stat
	// after so that what was opened is what was checked.
	lfi, err := s.root.Lstat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, blob.ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("failed to stat: %w", err)
	}
	if !lfi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("not a regular file (%v)", lfi.Mode().Type())
	}
	f, err := s.root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, blob.ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("failed to open: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("failed to stat: %w", err)
	}
	if !os.SameFile(lfi, fi) {
		f.Close()
		return nil, 0, errors.New("file changed while being opened")
	}
	return f, fi.Size(), nil
}

// Get opens the blob under key and returns its size; see [blob.Store]. The
// context is checked once, before the blob is opened.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if !blob.ValidKey(key) {
		return nil, 0, fmt.Errorf("failed to get blob: %w", blob.ErrInvalidKey)
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("failed to get blob %s: %w", key, err)
	}
	f, size, err := s.open(key)
	if err != nil {
		return nil, 0, fmt.Errorf("failed to get blob %s: %w", key, err)
	}
	return f, size, nil
}

// Delete removes the blob under key and syncs the directory; see
// [blob.Store]. It removes the name only: the bytes stay on the disk's free
// blocks until overwritten.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !blob.ValidKey(key) {
		return fmt.Errorf("failed to delete blob: %w", blob.ErrInvalidKey)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("failed to delete blob %s: %w", key, err)
	}
	err := s.root.Remove(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failed to delete blob %s: %w", key, err)
	}
	if err := s.syncDir(); err != nil {
		return fmt.Errorf("failed to delete blob %s: %w", key, err)
	}
	return nil
}
