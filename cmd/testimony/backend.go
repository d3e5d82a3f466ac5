package main

// Where the server keeps its data: the one place that opens "the configured
// store and blobs" for serve, server init, the admin commands and backups.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"testimony/internal/blob"
	"testimony/internal/blob/disk"
	"testimony/internal/blob/s3"
	"testimony/internal/store"
	"testimony/internal/store/postgres"
	"testimony/internal/store/sqlite"
	"testimony/keys"
)

// Backend says where a server keeps its metadata, its ciphertext and its
// log key. It is what --config FILE holds (JSON, these field names; unknown
// fields are refused), and what the flags --data, --store, --blobs and
// --log-key set; a flag given on the command line overrides the file's
// field. It holds no secret, so it may be shown and logged.
//
// The embedded default needs only Data:
//
//	{"data": "/srv/testimony"}
//
// A server on PostgreSQL and an S3-compatible store (one of several
// processes, each with this file and a copy of the same log key):
//
//	{
//	  "store": "postgres://testimony@db.internal:5432/testimony?sslmode=verify-full",
//	  "store_password_file": "/etc/testimony/pg-password",
//	  "blobs": "s3://testimony-blobs/?endpoint=https://s3.internal&credentials=/etc/testimony/s3-credentials",
//	  "log_key": "/etc/testimony/log.key"
//	}
type Backend struct {
	// Data is the server's data directory. With no Store it holds the
	// SQLite metadata (DATA/meta.db), with no Blobs the ciphertext
	// (DATA/blobs/), and with no LogKey the log key (DATA/log.key): the
	// embedded default, which needs nothing else. It may be left out when
	// Store, Blobs and LogKey are all given.
	Data string `json:"data,omitempty"`

	// Store is the metadata store: "" for SQLite in Data, or a
	// PostgreSQL connection URL (postgres://USER@HOST:PORT/DB?sslmode=…),
	// for which see package internal/store/postgres. The URL must not
	// hold a password: the password comes from StorePasswordFile, from
	// PGPASSWORD, or from a passfile (PGPASSFILE, ~/.pgpass, or the URL's
	// passfile= parameter). Use sslmode=verify-full for a database on
	// another machine.
	Store string `json:"store,omitempty"`

	// StorePasswordFile names a file that holds the PostgreSQL password
	// alone (one line). The file must not be readable by every user. The
	// URL in Store must then name the user.
	StorePasswordFile string `json:"store_password_file,omitempty"`

	// Blobs is where ciphertext too large to keep in the metadata store
	// goes (recordings, photos: sealed files over 64 KiB): "" for the
	// directory DATA/blobs, or an S3 URL
	// (s3://BUCKET/PREFIX/?endpoint=…), for which see ParseURL in package
	// internal/blob/s3. The bucket must exist. The credentials come from
	// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or from the file the
	// URL's credentials= parameter names, never from the URL itself.
	Blobs string `json:"blobs,omitempty"`

	// LogKey names the file of the log key, which signs the log's
	// checkpoints; "" means DATA/log.key. 'server init' makes it. Every
	// server process on one store must have the same key: copy the file
	// (mode 0600) to each. A store initialized with one log key and
	// served with another makes clients refuse every receipt until the
	// roster names the new key.
	LogKey string `json:"log_key,omitempty"`

	// config is the file this came from, if any, for messages.
	config string
}

// backendFlags registers --config, --data, --store, --blobs and --log-key on
// fs. Read them with backendFlags.backend once fs is parsed.
type backendFlags struct {
	fs     *flag.FlagSet
	config *string
	b      Backend
}

func addBackendFlags(fs *flag.FlagSet, logKey bool) *backendFlags {
	f := &backendFlags{fs: fs}
	f.config = fs.String("config", "", "the server's storage config `FILE` (JSON; see docs/operations.md); flags override it")
	fs.StringVar(&f.b.Data, "data", "", "the server's data `DIR` (SQLite, blob directory and log key unless --store, --blobs, --log-key say otherwise)")
	fs.StringVar(&f.b.Store, "store", "", "metadata store `URL`: postgres://USER@HOST/DB?sslmode=... (password from PGPASSWORD or a passfile, never the URL); default SQLite in --data")
	fs.StringVar(&f.b.Blobs, "blobs", "", "blob store `URL`: s3://BUCKET/PREFIX/?endpoint=... (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or credentials=FILE); default --data's blobs/")
	if logKey {
		fs.StringVar(&f.b.LogKey, "log-key", "", "the log key `FILE` (default: --data's log.key); every process on one store needs the same one")
	}
	return f
}

// backend returns the configured Backend: the config file's, with the
// flags given on the command line put over it, checked.
func (f *backendFlags) backend() (Backend, error) {
	b := Backend{}
	if *f.config != "" {
		var err error
		if b, err = loadBackendConfig(*f.config); err != nil {
			return b, err
		}
		b.config = *f.config
	}
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "data":
			b.Data = f.b.Data
		case "store":
			b.Store = f.b.Store
		case "blobs":
			b.Blobs = f.b.Blobs
		case "log-key":
			b.LogKey = f.b.LogKey
		}
	})
	if err := b.check(); err != nil {
		return b, usagef("%s: %v", f.fs.Name(), err)
	}
	return b, nil
}

// loadBackendConfig reads a Backend from a JSON file.
func loadBackendConfig(path string) (Backend, error) {
	var b Backend
	data, err := os.ReadFile(path)
	if err != nil {
		return b, fmt.Errorf("failed to read config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return b, fmt.Errorf("config %s: %w (the fields are data, store, store_password_file, blobs and log_key)", path, err)
	}
	if dec.More() {
		return b, fmt.Errorf("config %s: more than one JSON object", path)
	}
	return b, nil
}

// isPostgres reports whether s names a PostgreSQL store.
func isPostgres(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// check validates b without touching anything.
func (b Backend) check() error {
	switch {
	case b.Store != "" && !isPostgres(b.Store):
		return errors.New("--store must be a PostgreSQL URL (postgres://USER@HOST:PORT/DB?sslmode=verify-full), or left out for SQLite in --data")
	case b.Store == "" && b.StorePasswordFile != "":
		return errors.New("store_password_file is for a PostgreSQL store")
	case b.Blobs != "" && !strings.HasPrefix(b.Blobs, "s3://"):
		return errors.New("--blobs must be an S3 URL (s3://BUCKET/PREFIX/?endpoint=...), or left out for the directory in --data")
	case b.Data == "" && b.Store == "" && b.Blobs == "":
		return errors.New("give --data DIR (the embedded default), or --store and --blobs (or --config FILE)")
	case b.Data == "" && b.Store == "":
		return errors.New("without --store, the metadata is SQLite in the data directory: give --data DIR")
	case b.Data == "" && b.Blobs == "":
		return errors.New("without --blobs, the blobs are in the data directory: give --data DIR, or --blobs s3://...")
	}
	if b.Store != "" {
		u, err := url.Parse(b.Store)
		if err != nil {
			// url.Error quotes the URL, which may hold a password.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return fmt.Errorf("the PostgreSQL URL is malformed: %v", err)
		}
		if _, ok := u.User.Password(); ok || u.Query().Has("password") {
			return errors.New("the PostgreSQL URL holds a password, which the command line and config files must not: put it in a file named by store_password_file, in PGPASSWORD, or in a passfile (~/.pgpass or PGPASSFILE), and change it, since it may have been seen")
		}
		if b.StorePasswordFile != "" && u.User.Username() == "" {
			return errors.New("with store_password_file, the PostgreSQL URL must name the user: postgres://USER@HOST/DB")
		}
	}
	if b.Blobs != "" {
		if _, err := s3.ParseURL(b.Blobs); err != nil {
			return err
		}
	}
	return nil
}

// embedded reports whether the metadata is the embedded SQLite store.
func (b Backend) embedded() bool { return b.Store == "" }

// where names the store for messages: the data directory or the database,
// without credentials (the URL holds none).
func (b Backend) where() string {
	if b.embedded() {
		return b.Data
	}
	u, err := url.Parse(b.Store)
	if err != nil {
		return "the PostgreSQL store"
	}
	return "PostgreSQL database " + strings.TrimPrefix(u.Path, "/") + " on " + u.Host
}

// logKeyPath returns the log key's file, or "" if none is configured.
func (b Backend) logKeyPath() string {
	if b.LogKey != "" {
		return b.LogKey
	}
	if b.Data != "" {
		return filepath.Join(b.Data, logKeyFile)
	}
	return ""
}

// flags returns the command-line flags that select b, for messages that
// tell the operator the next command.
func (b Backend) flags() string {
	if b.config != "" {
		return "--config " + b.config
	}
	var f []string
	if b.Data != "" {
		f = append(f, "--data "+b.Data)
	}
	if b.Store != "" {
		f = append(f, "--store '"+b.Store+"'")
	}
	if b.Blobs != "" {
		f = append(f, "--blobs '"+b.Blobs+"'")
	}
	if b.LogKey != "" {
		f = append(f, "--log-key "+b.LogKey)
	}
	return strings.Join(f, " ")
}

// loadLogKey loads the configured log key.
func (b Backend) loadLogKey(e *env) (*keys.SigningKey, error) {
	path := b.logKeyPath()
	if path == "" {
		return nil, usagef("the log key: give --log-key FILE (the file 'server init' made), or --data DIR holding log.key")
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if b.embedded() && b.LogKey == "" {
			return nil, fmt.Errorf("%s has no log key (it was made by an older testimony); run 'testimony server init --data %s ...' again to create one", b.Data, b.Data)
		}
		return nil, fmt.Errorf("there is no log key at %s: every server process on one store needs a copy of the key 'server init' made (mode 0600)", path)
	}
	return keys.LoadSigningKey(path, keys.Unlock{Warn: e.warn})
}

// openStore opens the metadata store. With create, an embedded store's
// data directory and database are made if missing, and a PostgreSQL
// database gets its tables; otherwise the embedded store must exist.
func (b Backend) openStore(ctx context.Context, create bool) (store.Store, error) {
	if b.embedded() {
		path := filepath.Join(b.Data, "meta.db")
		if create {
			if err := os.MkdirAll(b.Data, 0o700); err != nil {
				return nil, fmt.Errorf("failed to create %s: %w", b.Data, err)
			}
		} else if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a server data directory; run 'testimony server init' first", b.Data)
		}
		return sqlite.Open(path)
	}
	dsn := b.Store
	if b.StorePasswordFile != "" {
		pw, err := readSecretFile(b.StorePasswordFile)
		if err != nil {
			return nil, err
		}
		u, _ := url.Parse(b.Store) // checked by check
		u.User = url.UserPassword(u.User.Username(), pw)
		dsn = u.String()
	}
	// postgres.Open creates the tables in an empty database, and migrates
	// an older one, whether or not this is init: several processes may
	// start at once, and it serializes them.
	return postgres.Open(ctx, dsn)
}

// readSecretFile reads a secret held alone in a file that not every user
// can read.
func readSecretFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("failed to read the password file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("password file %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o004 != 0 {
		return "", fmt.Errorf("password file %s can be read by every user (mode %v): chmod o-r it, and change the password", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("failed to read the password file: %w", err)
	}
	pw := strings.TrimRight(string(data), "\r\n")
	if pw == "" || strings.ContainsAny(pw, "\r\n") {
		return "", fmt.Errorf("password file %s must hold the password alone, on one line", path)
	}
	return pw, nil
}

// openBlobs opens the blob store. With create, the blob directory of the
// embedded default is made if missing. An S3 bucket is never made: it must
// exist (and how it is backed up and who may read it is the operator's
// choice).
func (b Backend) openBlobs(ctx context.Context, create bool) (blob.Store, func() error, error) {
	if b.Blobs == "" {
		dir := filepath.Join(b.Data, "blobs")
		if !create {
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return nil, nil, fmt.Errorf("%s has no blob directory (blobs/); run 'testimony server init' first", b.Data)
			}
		}
		d, err := disk.Open(dir)
		if err != nil {
			return nil, nil, err
		}
		return d, d.Close, nil
	}
	cfg, err := s3.ParseURL(b.Blobs)
	if err != nil {
		return nil, nil, err
	}
	st, err := s3.Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return st, func() error { return nil }, nil
}

// openedBackend is an open store and blob store.
type openedBackend struct {
	Store      store.Store
	Blobs      blob.Store
	closeBlobs func() error
}

// Close closes both.
func (o *openedBackend) Close() error {
	return errors.Join(o.Store.Close(), o.closeBlobs())
}

// open opens the configured store and blobs: what serve, backup and restore
// use. With create (server init, restore into a new server), what can be
// made is made: the data directory, the SQLite database, the blob
// directory, PostgreSQL's tables.
func (b Backend) open(ctx context.Context, create bool) (*openedBackend, error) {
	st, err := b.openStore(ctx, create)
	if err != nil {
		return nil, err
	}
	bl, closeBlobs, err := b.openBlobs(ctx, create)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &openedBackend{Store: st, Blobs: bl, closeBlobs: closeBlobs}, nil
}
