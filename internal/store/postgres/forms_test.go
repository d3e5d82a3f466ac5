package postgres

import (
	"context"
	"crypto/sha256"
	"testing"

	"testimony/internal/store"
)

// TestMigrateV1 opens a database of schema version 1 (before forms) that
// holds a roster: it gains the forms table, keeps what it held, and takes
// forms.
func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	db := newDatabase(t)
	execDB(t, db, migrations[0]+`
		UPDATE testimony_schema SET version = 1;
		INSERT INTO config (id, admin_pub, roster_version, roster) VALUES (1, 'admin', 3, '\x01');`)
	s := openTest(t, db)
	var version int
	if err := s.pool.QueryRow(ctx, "SELECT version FROM testimony_schema").Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("schema version = %d, %v; want %d", version, err, schemaVersion)
	}
	if v, _, err := s.Roster(ctx); err != nil || v != 3 {
		t.Errorf("after migration, Roster = %d, %v; want version 3", v, err)
	}
	if fs, err := s.Forms(ctx); err != nil || len(fs) != 0 {
		t.Errorf("after migration, Forms = %v, %v; want none", fs, err)
	}
	f := store.Form{ID: "household", Version: 2, Digest: sha256.Sum256([]byte("form")), Day: "2031-05-06", Body: []byte("signed")}
	if _, created, err := s.PutForm(ctx, f); err != nil || !created {
		t.Fatalf("after migration, PutForm = %v, %v", created, err)
	}
	s.Close()
	s = openTest(t, db)
	if b, err := s.FormBody(ctx, "household", 2); err != nil || string(b) != "signed" {
		t.Errorf("after reopening, FormBody = %q, %v", b, err)
	}
}
