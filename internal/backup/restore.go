package backup

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/blob"
	"testimony/internal/store"
)

// Target is where a backup is restored: a store that has never been
// initialized, and a blob store.
type Target struct {
	Store Store
	Blobs blob.Store
}

// Restore brings the backup in dir, which [Verify] passed with report rep,
// into dst: first every blob (the blob store checks each digest as it
// takes it), then every record in one [store.Snapshotter.Restore], which
// also fails, restoring nothing, if meta.jsonl is no longer the file that
// was verified. Last it checks that the restored log has the verified
// size and root. A failure after some blobs were put leaves them in the
// blob store, where nothing refers to them: the server never lists or
// serves a blob without its record, and a second Restore puts the same
// ones again.
func Restore(ctx context.Context, dir string, rep *Report, dst Target, progress Progress) error {
	if rep == nil || rep.Err() != nil || rep.Manifest == nil {
		return errors.New("restore needs a backup that verified")
	}
	m := rep.Manifest
	if err := putBlobs(ctx, dir, dst.Blobs, m.Counts, progress); err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(dir, MetaFile))
	if err != nil {
		return err
	}
	defer f.Close()
	hr := &hashingReader{r: f, h: sha256.New()}
	rd, err := NewReader(hr)
	if err != nil {
		return err
	}
	var n int64
	total := m.Counts.Tokens + m.Counts.Enrollments + m.Counts.Leaves + m.Counts.Submissions + m.Counts.Annotations + m.Counts.Lookups + m.Counts.Forms + 1
	err = dst.Store.Restore(ctx, func() (rec store.Record, ok bool, err error) {
		rec, ok, err = rd.Next()
		if err != nil || ok {
			n++
			progress.report("restore", n, total, 0)
			return rec, ok, err
		}
		if got := fmt.Sprintf("%x", hr.h.Sum(nil)); got != m.Meta.SHA256 || hr.n != m.Meta.Size {
			return rec, false, fmt.Errorf("%s changed after it was verified", MetaFile)
		}
		return rec, false, nil
	})
	if err != nil {
		return err
	}
	size, err := dst.Store.LogSize(ctx)
	if err != nil {
		return err
	}
	root, err := tlog.TreeHash(size, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return dst.Store.LogHashes(ctx, idx) }))
	if err != nil {
		return err
	}
	if size != m.Log.Size || rootString(root) != m.Log.Root {
		return fmt.Errorf("the restored log has size %d, root %s; the backup's is size %d, root %s", size, rootString(root), m.Log.Size, m.Log.Root)
	}
	return nil
}

// putBlobs puts every blob the records refer to into blobs.
func putBlobs(ctx context.Context, dir string, blobs blob.Store, counts Counts, progress Progress) error {
	root, err := os.OpenRoot(filepath.Join(dir, BlobDir))
	if err != nil {
		return err
	}
	defer root.Close()
	meta, err := os.Open(filepath.Join(dir, MetaFile))
	if err != nil {
		return err
	}
	defer meta.Close()
	rd, err := NewReader(meta)
	if err != nil {
		return err
	}
	var n, bytes int64
	for {
		rec, ok, err := rd.Next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		for _, ref := range blobsOf(rec) {
			if err := putBlob(ctx, root, blobs, ref); err != nil {
				return err
			}
			n++
			bytes += ref.size
			progress.report("blobs", n, counts.Blobs, bytes)
		}
	}
}

func putBlob(ctx context.Context, root *os.Root, blobs blob.Store, ref blobRef) error {
	f, err := root.Open(ref.key)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := blobs.Put(ctx, ref.key, f, ref.digest, ref.size)
	if err != nil {
		return fmt.Errorf("failed to restore blob %s: %w", ref.key, err)
	}
	if n != ref.size {
		return fmt.Errorf("failed to restore blob %s: %d bytes, its record says %d", ref.key, n, ref.size)
	}
	return nil
}
