package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"testimony/internal/backup"
	"testimony/internal/durable"
	"testimony/keys"
)

const backupHelp = `
Usage:
  testimony backup STORAGE --out BACKUP
  testimony backup verify BACKUP [--admin-pub PUB]
  testimony restore --from BACKUP STORAGE --log-key FILE [--admin-pub PUB]

STORAGE is where the server keeps its data, as for serve: --data DIR, or
--store postgres://... and --blobs s3://..., or --config FILE (see
'testimony serve --help').

'backup' copies the server, while it runs, into the new directory BACKUP: a
consistent snapshot of the metadata store (meta.jsonl), every ciphertext
file the snapshot refers to (blobs/), and a manifest (backup.json) with the
log's size and root, a checkpoint for them and a statement over meta.jsonl,
both signed with the server's log key. Uploads go on meanwhile; the backup
holds the server as it was at one instant. It is written beside BACKUP
and renamed into place at the end: a failed backup leaves nothing that
looks complete. BACKUP must not exist, or be empty.

A backup holds no secret: tokens and enrollment codes only as hashes,
testimony only as ciphertext. It does not hold the log key: keep a copy of
the log key file (DATA/log.key) apart, offline, as you keep the admin key:
restore needs it.

'backup verify' checks a backup without the server: the roster against the
admin key, the checkpoint and statement against the log key the roster
names, the Merkle tree recomputed from the leaves against the checkpoint,
every submission and lookup against its leaf, and every file against its
digest and size. Give --admin-pub from the admin's own copy: without it, a
backup made up whole by someone else (their own admin key, roster and log
key) verifies too, since it is consistent with itself. Problems are listed
one per line; the exit status is 9 if there are any.

'restore' verifies the backup as 'backup verify' does, then brings it into
an empty STORAGE (a new data directory, or an empty PostgreSQL database and
bucket: the way from SQLite to PostgreSQL), and installs the log key
(--log-key, the copy you kept; it must be the key the backup's roster
names) as DATA/log.key. With --data, the directory is built beside DIR and
renamed into place at the end. Then start the server as usual; clients'
receipts and checkpoints keep verifying against it.

Examples:
  testimony backup --data /srv/testimony --out /mnt/backups/testimony-2031-05-06
  testimony backup verify /mnt/backups/testimony-2031-05-06 --admin-pub admin.pub
  testimony restore --from /mnt/backups/testimony-2031-05-06 --data /srv/testimony-new \
      --log-key /media/offline/log.key --admin-pub admin.pub
  PGPASSFILE=/etc/testimony/pgpass testimony restore --from /mnt/backups/testimony-2031-05-06 \
      --store 'postgres://testimony@db.internal/testimony?sslmode=verify-full' \
      --blobs 's3://testimony-blobs/?endpoint=https://s3.internal' \
      --log-key /etc/testimony/log.key --admin-pub admin.pub
`

func runBackup(e *env, args []string) error {
	if len(args) > 0 && args[0] == "verify" {
		return runBackupVerify(e, args[1:])
	}
	fs := e.flagSet("backup", backupHelp)
	bf := addBackendFlags(fs, true)
	out := fs.String("out", "", "the new backup `DIR`")
	if err := parseFlags(fs, args, "out"); err != nil {
		return err
	}
	b, err := bf.backend()
	if err != nil {
		return err
	}
	logKey, err := b.loadLogKey(e)
	if err != nil {
		return err
	}
	be, err := b.open(e.ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	st, ok := be.Store.(backup.Store)
	if !ok {
		return fmt.Errorf("the %T store cannot be backed up yet", be.Store)
	}
	p := newRunProgress(e.stderr, "backup")
	m, err := backup.Write(e.ctx, *out, backup.Source{Store: st, Blobs: be.Blobs, LogKey: logKey}, p.update)
	p.finish()
	if err != nil {
		return fmt.Errorf("backup failed, nothing was written to %s: %w", *out, err)
	}
	c := m.Counts
	e.info("backed up %s to %s: %s submissions, %s annotations, %s lookups, %s tokens; %s blobs (%s); log size %d, root %s",
		b.where(), *out, commas(c.Submissions), commas(c.Annotations), commas(c.Lookups), commas(c.Tokens), commas(c.Blobs), size(c.BlobBytes), m.Log.Size, m.Log.Root)
	e.info("check it with: testimony backup verify %s --admin-pub ADMIN.PUB", *out)
	return nil
}

func runBackupVerify(e *env, args []string) error {
	fs := e.flagSet("backup verify", backupHelp)
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` (or a file holding it), from the admin's own copy")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("backup verify: give one backup directory")
	}
	rep, err := verifyBackup(e, rest[0], *adminPub)
	if err != nil {
		return err
	}
	c := rep.Found
	fmt.Fprintf(e.stdout, "OK: %s: %s submissions, %s annotations, %s lookups, %s tokens, %s blobs (%s); log size %d, root %s, signed by %s; roster version %d of %q\n",
		rest[0], commas(c.Submissions), commas(c.Annotations), commas(c.Lookups), commas(c.Tokens), commas(c.Blobs), size(c.BlobBytes),
		rep.Manifest.Log.Size, rep.Manifest.Log.Root, rep.Roster.Log.Note().Name(), rep.Roster.Version, rep.Roster.Org)
	return nil
}

// verifyBackup verifies a backup and reports; the error wraps errVerify
// when the backup has problems.
func verifyBackup(e *env, dir, adminPub string) (*backup.Report, error) {
	opts := backup.Options{}
	if adminPub != "" {
		v, err := keys.ParseVerifier(valueOrFile(adminPub))
		if err != nil {
			return nil, usagef("--admin-pub: %v", err)
		}
		opts.AdminPub = v.String()
	} else {
		e.warn("no --admin-pub given: a backup forged whole, with its own admin key, would verify too")
	}
	p := newRunProgress(e.stderr, "verify")
	rep, err := backup.Verify(e.ctx, dir, opts, p.update)
	p.finish()
	if errors.Is(err, backup.ErrInvalid) {
		return rep, fmt.Errorf("%w: %s: %w", errVerify, dir, err)
	}
	if err != nil {
		return rep, err
	}
	return rep, nil
}

func runRestore(e *env, args []string) error {
	fs := e.flagSet("restore", backupHelp)
	bf := addBackendFlags(fs, true)
	from := fs.String("from", "", "the backup `DIR` to restore")
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` (or a file holding it), from the admin's own copy")
	if err := parseFlags(fs, args, "from", "log-key"); err != nil {
		return err
	}
	b, err := bf.backend()
	if err != nil {
		return err
	}
	keyFile := b.LogKey
	logKey, err := keys.LoadSigningKey(keyFile, keys.Unlock{Warn: e.warn})
	if err != nil {
		return err
	}
	rep, err := verifyBackup(e, *from, *adminPub)
	if err != nil {
		return fmt.Errorf("not restoring: %w", err)
	}
	if logKey.Verifier() != rep.Roster.Log.String() {
		return fmt.Errorf("not restoring: %s is not the log key the backup's roster names (%s): give the copy of the server's log key you kept", keyFile, rep.Roster.Log.Note().Name())
	}

	// The embedded default is built in a directory beside DATA and
	// renamed into place at the end.
	target, final := b, ""
	if b.embedded() && b.Blobs == "" {
		if err := checkEmptyDir(b.Data); err != nil {
			return err
		}
		parent := filepath.Dir(filepath.Clean(b.Data))
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return err
		}
		tmp, err := os.MkdirTemp(parent, "."+filepath.Base(b.Data)+".restoring-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp) // nothing left once renamed
		final, target.Data = b.Data, tmp
	}
	be, err := target.open(e.ctx, true)
	if err != nil {
		return err
	}
	st, ok := be.Store.(backup.Store)
	if !ok {
		be.Close()
		return fmt.Errorf("the %T store cannot be restored into yet", be.Store)
	}
	p := newRunProgress(e.stderr, "restore")
	err = backup.Restore(e.ctx, *from, rep, backup.Target{Store: st, Blobs: be.Blobs}, p.update)
	p.finish()
	if cerr := be.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore failed: %w", err)
	}
	if target.Data != "" {
		keyPath := filepath.Join(target.Data, logKeyFile)
		if abs(keyFile) != abs(filepath.Join(b.Data, logKeyFile)) {
			if err := keys.WriteSigningKeyFile(keyPath, logKey, nil); err != nil && !errors.Is(err, durable.ErrExists) {
				return err
			}
		}
	}
	if final != "" {
		if err := durable.SyncDir(target.Data); err != nil {
			return err
		}
		if err := os.Rename(target.Data, final); err != nil {
			return fmt.Errorf("failed to move the restored data into place: %w", err)
		}
		if err := durable.SyncDir(filepath.Dir(final)); err != nil {
			return err
		}
	}
	c := rep.Found
	e.info("restored %s into %s: %s submissions, %s annotations, %s lookups, %s blobs; log size %d, root %s",
		*from, b.where(), commas(c.Submissions), commas(c.Annotations), commas(c.Lookups), commas(c.Blobs), rep.Manifest.Log.Size, rep.Manifest.Log.Root)
	e.info("start it with: testimony serve %s --listen 127.0.0.1:8443", b.flags())
	return nil
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// checkEmptyDir checks that dir does not exist or is an empty directory.
func checkEmptyDir(dir string) error {
	names, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if len(names) > 0 {
		return fmt.Errorf("%s is not empty: restore only into a new data directory", dir)
	}
	return nil
}

// commas writes n with thousands separators.
func commas(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
