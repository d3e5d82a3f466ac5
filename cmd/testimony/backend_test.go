package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackendChoice checks how the storage flags and the config file are
// read: what each selects, and a clear refusal for each mistake.
func TestBackendChoice(t *testing.T) {
	dir := t.TempDir()
	config := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	pgcfg := config("pg.json", `{"store": "postgres://testimony@db/testimony", "blobs": "s3://bkt/?endpoint=http://127.0.0.1:7070", "log_key": "/etc/testimony/log.key"}`)
	for _, tc := range []struct {
		name    string
		args    []string
		want    Backend // when no error
		logKey  string  // the log key file it names
		wantErr string  // a part of the error
	}{
		{name: "embedded default", args: []string{"--data", "/srv/t"}, want: Backend{Data: "/srv/t"}, logKey: "/srv/t/log.key"},
		{name: "postgres and s3", args: []string{"--store", "postgres://t@db/t", "--blobs", "s3://bkt/", "--log-key", "/k"}, want: Backend{Store: "postgres://t@db/t", Blobs: "s3://bkt/", LogKey: "/k"}, logKey: "/k"},
		{name: "postgres with the log key and blobs in the data dir", args: []string{"--store", "postgres://t@db/t", "--data", "/srv/t"}, want: Backend{Store: "postgres://t@db/t", Data: "/srv/t"}, logKey: "/srv/t/log.key"},
		{name: "config file", args: []string{"--config", pgcfg}, want: Backend{Store: "postgres://testimony@db/testimony", Blobs: "s3://bkt/?endpoint=http://127.0.0.1:7070", LogKey: "/etc/testimony/log.key", config: pgcfg}, logKey: "/etc/testimony/log.key"},
		{name: "a flag overrides the file", args: []string{"--config", pgcfg, "--log-key", "/other.key"}, want: Backend{Store: "postgres://testimony@db/testimony", Blobs: "s3://bkt/?endpoint=http://127.0.0.1:7070", LogKey: "/other.key", config: pgcfg}, logKey: "/other.key"},
		{name: "nothing", args: nil, wantErr: "give --data DIR"},
		{name: "postgres without blobs or data", args: []string{"--store", "postgres://t@db/t"}, wantErr: "without --blobs"},
		{name: "s3 without store or data", args: []string{"--blobs", "s3://bkt/"}, wantErr: "without --store"},
		{name: "password in the URL", args: []string{"--store", "postgres://t:hunter2@db/t", "--blobs", "s3://bkt/"}, wantErr: "holds a password"},
		{name: "password parameter", args: []string{"--store", "postgres://t@db/t?password=hunter2", "--blobs", "s3://bkt/"}, wantErr: "holds a password"},
		{name: "other database", args: []string{"--store", "mysql://t@db/t", "--data", "/d"}, wantErr: "must be a PostgreSQL URL"},
		{name: "blobs not s3", args: []string{"--blobs", "/srv/blobs", "--data", "/d"}, wantErr: "must be an S3 URL"},
		{name: "s3 with credentials", args: []string{"--blobs", "s3://key:secret@bkt/", "--data", "/d"}, wantErr: "must not hold credentials"},
		{name: "unknown config field", args: []string{"--config", config("bad.json", `{"stor": "postgres://t@db/t"}`)}, wantErr: "unknown field"},
		{name: "password file without a user", args: []string{"--config", config("pw.json", `{"store": "postgres://db/t", "store_password_file": "/p", "data": "/d"}`)}, wantErr: "must name the user"},
		{name: "missing config", args: []string{"--config", filepath.Join(dir, "nope.json")}, wantErr: "failed to read config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{ctx: t.Context(), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
			fs := e.flagSet("serve", "")
			bf := addBackendFlags(fs, true)
			if err := parseFlags(fs, tc.args); err != nil {
				t.Fatal(err)
			}
			b, err := bf.backend()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "secret") {
					t.Errorf("the error shows the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b != tc.want {
				t.Errorf("got %+v, want %+v", b, tc.want)
			}
			if got := b.logKeyPath(); got != tc.logKey {
				t.Errorf("log key %q, want %q", got, tc.logKey)
			}
		})
	}
}

// TestStorePasswordFile checks the password file: read alone from its one
// line into the connection URL, and refused when every user can read it.
func TestStorePasswordFile(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pg-password")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	got, err := readSecretFile(pw)
	if err != nil || got != "s3cret" {
		t.Errorf("got %q, %v", got, err)
	}
	os.Chmod(pw, 0o644)
	if _, err := readSecretFile(pw); err == nil || !strings.Contains(err.Error(), "can be read by every user") {
		t.Errorf("a world-readable password file: %v", err)
	}
	two := filepath.Join(dir, "two")
	os.WriteFile(two, []byte("a\nb\n"), 0o600)
	if _, err := readSecretFile(two); err == nil || strings.Contains(err.Error(), "a\nb") {
		t.Errorf("a file of two lines: %v", err)
	}
}
