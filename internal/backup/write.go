package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/auditlog"
	"testimony/internal/blob"
	"testimony/internal/durable"
	"testimony/internal/store"
	"testimony/keys"
)

// Store is a metadata store that can be snapshotted and restored.
type Store interface {
	store.Store
	store.Snapshotter
}

// Progress hears how a long run goes: phase names the step ("metadata",
// "blobs", "verify", "restore"), done and total count its items (total 0
// when not known), bytes counts blob bytes so far. It is called after
// every item; it must be cheap.
type Progress func(phase string, done, total, bytes int64)

func (p Progress) report(phase string, done, total, bytes int64) {
	if p != nil {
		p(phase, done, total, bytes)
	}
}

// Source is what a backup is made of: the server's store and blob store,
// and its log key, which signs the backup's checkpoint and statement.
type Source struct {
	Store  Store
	Blobs  blob.Store
	LogKey *keys.SigningKey
	// Now gives the backup's day; nil means time.Now.
	Now func() time.Time
}

// blobRef is a blob a record refers to.
type blobRef struct {
	key    string
	digest [32]byte
	size   int64
}

// blobsOf returns the blobs rec refers to.
func blobsOf(rec store.Record) []blobRef {
	var refs []blobRef
	switch {
	case rec.Submission != nil:
		s := rec.Submission
		if s.Body == nil {
			refs = append(refs, blobRef{s.ID, s.Digest, s.Size})
		}
		if s.HasReid {
			refs = append(refs, blobRef{s.ID + ".reid", s.ReidDigest, s.ReidSize})
		}
	case rec.Annotation != nil && rec.Annotation.Body == nil:
		a := rec.Annotation
		refs = append(refs, blobRef{a.ID + ".ann", a.Digest, a.Size})
	}
	return refs
}

// Write makes a backup of src in the new directory out. It snapshots the
// store (one consistent state, whatever the server commits meanwhile) into
// meta.jsonl, then copies every blob the snapshot refers to, checking each
// against the digest and size its record gives, then signs and writes the
// manifest. Everything is written into a temporary directory beside out,
// synced, and renamed to out only at the end: a failed backup leaves
// nothing under out. out must not exist, or be an empty directory.
func Write(ctx context.Context, out string, src Source, progress Progress) (*Manifest, error) {
	if err := checkNew(out); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".partial-")
	if err != nil {
		return nil, fmt.Errorf("failed to create the backup directory: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	m, err := write(ctx, tmp, src, progress)
	if err != nil {
		return nil, err
	}
	if err := durable.SyncDir(tmp); err != nil {
		return nil, err
	}
	// Renaming a directory onto an empty one replaces it.
	if err := os.Rename(tmp, out); err != nil {
		return nil, fmt.Errorf("failed to move the backup into place: %w", err)
	}
	done = true
	if err := durable.SyncDir(filepath.Dir(out)); err != nil {
		return nil, err
	}
	return m, nil
}

// checkNew checks that dir does not exist or is an empty directory.
func checkNew(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", dir)
	}
	names, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return fmt.Errorf("%s exists and is not empty; give a new directory", dir)
	}
	return nil
}

// hashingWriter counts and hashes what it writes.
type hashingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (w *hashingWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

func write(ctx context.Context, dir string, src Source, progress Progress) (*Manifest, error) {
	now := time.Now
	if src.Now != nil {
		now = src.Now
	}
	m := &Manifest{Format: Format, Day: now().UTC().Format(time.DateOnly)}

	// 1. The snapshot, into meta.jsonl.
	f, err := os.OpenFile(filepath.Join(dir, MetaFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", MetaFile, err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 256<<10)
	hw := &hashingWriter{w: bw, h: sha256.New()}
	if _, err := io.WriteString(hw, `{"format":"`+Format+`"}`+"\n"); err != nil {
		return nil, err
	}
	approx, err := src.Store.LogSize(ctx)
	if err != nil {
		return nil, err
	}
	var tree treeBuilder
	var roster []byte
	var adminPub string
	var records int64
	err = src.Store.Snapshot(ctx, func(rec store.Record) error {
		line, err := marshalRecord(rec)
		if err != nil {
			return err
		}
		if _, err := hw.Write(line); err != nil {
			return fmt.Errorf("failed to write %s: %w", MetaFile, err)
		}
		c := &m.Counts
		switch {
		case rec.Config != nil:
			roster, adminPub = rec.Config.Roster, rec.Config.AdminPub
		case rec.Token != nil:
			c.Tokens++
		case rec.Enrollment != nil:
			c.Enrollments++
		case rec.Leaf != nil:
			tree.add(rec.Leaf.Data)
			c.Leaves++
		case rec.Submission != nil:
			c.Submissions++
		case rec.Annotation != nil:
			c.Annotations++
		case rec.Lookup != nil:
			c.Lookups++
		case rec.Form != nil:
			c.Forms++
		}
		for _, b := range blobsOf(rec) {
			c.Blobs++
			c.BlobBytes += b.size
		}
		records++
		progress.report("metadata", c.Leaves, approx, 0)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("failed to write %s: %w", MetaFile, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("failed to write %s: %w", MetaFile, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("failed to write %s: %w", MetaFile, err)
	}
	m.Meta = FileInfo{SHA256: fmt.Sprintf("%x", hw.h.Sum(nil)), Size: hw.n}

	// The root from the leaves must be the root from the store's own
	// stored hashes: if not, the store is damaged or was tampered with,
	// and this backup would sign a history the server never showed.
	root := tree.root()
	stored, err := tlog.TreeHash(tree.n, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return src.Store.LogHashes(ctx, idx) }))
	if err != nil {
		return nil, fmt.Errorf("failed to read the store's tree hashes: %w", err)
	}
	if stored != root {
		return nil, fmt.Errorf("the store's tree hash at size %d is not the hash of its leaves: the store is damaged or was changed; not signing a backup of it", tree.n)
	}
	// The roster must name the key that signs, or the backup cannot
	// verify.
	admin, err := keys.ParseVerifier(adminPub)
	if err != nil {
		return nil, fmt.Errorf("the store's pinned admin key: %w", err)
	}
	r, err := keys.VerifyRoster(roster, admin, nil)
	if err != nil {
		return nil, fmt.Errorf("the store's roster: %w", err)
	}
	if r.Log.IsZero() || r.Log.String() != src.LogKey.Verifier() {
		return nil, errors.New("the store's roster does not name this server's log key, so the backup could not be verified: publish a roster with 'testimony roster set-log-key' first")
	}

	// 2. The blobs, after the snapshot: blobs are immutable and every one
	// a committed record names is durable, so reading them now gives
	// exactly the snapshot's.
	if err := copyBlobs(ctx, dir, src.Blobs, m.Counts, progress); err != nil {
		return nil, err
	}

	// 3. The manifest, signed.
	cp := auditlog.Checkpoint{Origin: src.LogKey.Name(), Size: tree.n, Root: root}
	signed, err := auditlog.Sign(cp, src.LogKey)
	if err != nil {
		return nil, err
	}
	m.Log = LogInfo{Origin: cp.Origin, Size: cp.Size, Root: rootString(root), Checkpoint: string(signed)}
	st, err := note.Sign(&note.Note{Text: statementText(cp.Origin, cp.Size, root, m.Meta)}, src.LogKey)
	if err != nil {
		return nil, fmt.Errorf("failed to sign the backup: %w", err)
	}
	m.Statement = string(st)
	data, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	if err := durable.WriteNew(filepath.Join(dir, ManifestFile), data, 0o600); err != nil {
		return nil, err
	}
	return m, nil
}

// copyBlobs reads meta.jsonl back and copies every blob it refers to into
// dir/blobs, checking each.
func copyBlobs(ctx context.Context, dir string, blobs blob.Store, counts Counts, progress Progress) error {
	bdir := filepath.Join(dir, BlobDir)
	if err := os.Mkdir(bdir, 0o700); err != nil {
		return err
	}
	root, err := os.OpenRoot(bdir)
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
			break
		}
		for _, ref := range blobsOf(rec) {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !blob.ValidKey(ref.key) {
				return fmt.Errorf("blob key %q is not a valid key", ref.key)
			}
			if err := copyBlob(ctx, root, blobs, ref); err != nil {
				return err
			}
			n++
			bytes += ref.size
			progress.report("blobs", n, counts.Blobs, bytes)
		}
	}
	return durable.SyncDir(bdir)
}

func copyBlob(ctx context.Context, root *os.Root, blobs blob.Store, ref blobRef) error {
	rc, size, err := blobs.Get(ctx, ref.key)
	if err != nil {
		return fmt.Errorf("blob %s, which the snapshot refers to: %w", ref.key, err)
	}
	defer rc.Close()
	if size != ref.size {
		return fmt.Errorf("blob %s has %d bytes; its record says %d", ref.key, size, ref.size)
	}
	f, err := root.OpenFile(ref.key, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rc, ref.size+1))
	if err != nil {
		return fmt.Errorf("failed to copy blob %s: %w", ref.key, err)
	}
	if n != ref.size || [32]byte(h.Sum(nil)) != ref.digest {
		return fmt.Errorf("blob %s does not match the digest and size its record gives: the blob store is damaged or was changed", ref.key)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}
