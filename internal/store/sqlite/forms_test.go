package sqlite

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"

	"testimony/internal/store"
)

// TestMigrateV4 opens a database of schema version 4 (before forms) that
// holds a roster and a submission: it gains the forms table, keeps what it
// held, and takes forms.
func TestMigrateV4(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	execRaw(t, path, schema+schemaLog+schemaV3+schemaV4+fmt.Sprintf(`PRAGMA user_version = 4; PRAGMA application_id = %d;
		INSERT INTO config (id, admin_pub, roster_version, roster) VALUES (1, 'admin', 3, x'01');`, applicationID))
	s := openTest(t, path)
	var version int
	if err := s.rdb.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("user_version = %d, %v; want %d", version, err, schemaVersion)
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
	s = openTest(t, path)
	if b, err := s.FormBody(ctx, "household", 2); err != nil || string(b) != "signed" {
		t.Errorf("after reopening, FormBody = %q, %v", b, err)
	}
}
