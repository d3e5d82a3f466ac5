package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/blob/disk"
	"testimony/internal/store"
	"testimony/internal/store/sqlite"
	"testimony/internal/survey"
	"testimony/keys"
)

// publishedForm returns a small form signed by admin for org, as the store
// keeps it.
func publishedForm(t testing.TB, admin *keys.SigningKey, org, id, version string) store.Form {
	t.Helper()
	f := &survey.Form{
		Format: survey.FormFormat, ID: id, Version: version,
		Title:   survey.Localized{"en": "Household"},
		MinCell: survey.DefaultMinCell, MinCellSensitive: survey.DefaultMinCellSensitive,
		Survey: []*survey.Question{{Type: survey.Integer, Name: "members", Row: 2, Label: survey.Localized{"en": "Members"}}},
	}
	signed, err := survey.Sign(f, org, admin)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Digest()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := strconv.ParseUint(version, 10, 64)
	sf := store.Form{ID: id, Version: v, Day: "2031-05-07", Body: signed}
	hex.Decode(sf.Digest[:], []byte(d))
	return sf
}

// TestFormsRoundTrip: published forms are in the backup, verify against
// the admin key, and come back whole in the restored store.
func TestFormsRoundTrip(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	o.fill(t)
	out := o.backup(t)
	rep, err := Verify(ctx, out, Options{AdminPub: o.admin.Verifier()}, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := []string{"household@1", "household@2"}; !reflect.DeepEqual(rep.Forms, want) {
		t.Errorf("Report.Forms = %v; want %v", rep.Forms, want)
	}
	if rep.Manifest.Format != Format || rep.Found.Forms != 2 {
		t.Errorf("manifest format %q, %d forms; want %q, 2", rep.Manifest.Format, rep.Found.Forms, Format)
	}
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bl, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer bl.Close()
	if err := Restore(ctx, out, rep, Target{Store: st, Blobs: bl}, nil); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	want, _ := o.st.Forms(ctx)
	if got, err := st.Forms(ctx); err != nil || !reflect.DeepEqual(got, want) || len(got) != 2 {
		t.Errorf("restored Forms = %+v, %v; want %+v", got, err, want)
	}
	for _, f := range want {
		a, _ := o.st.FormBody(ctx, f.ID, f.Version)
		b, err := st.FormBody(ctx, f.ID, f.Version)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("restored FormBody(%s@%d) differs: %v", f.ID, f.Version, err)
		}
	}
}

// TestVerifyFindsBadForms: a form the server's store holds that a desk
// would refuse is a problem of the backup: signed by another key, for
// another organisation, or under another ID, version or digest than its
// record's.
func TestVerifyFindsBadForms(t *testing.T) {
	ctx := context.Background()
	other, err := keys.GenerateSigningKey("admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		form func(o *org) store.Form
		want string
	}{
		{"signed by another key", func(o *org) store.Form {
			return publishedForm(t, other, "Example NGO", "household", "3")
		}, "not signed by the organisation's admin key"},
		{"for another organisation", func(o *org) store.Form {
			return publishedForm(t, o.admin, "Other NGO", "household", "3")
		}, `published for "Other NGO"`},
		{"a question changed after signing", func(o *org) store.Form {
			f := publishedForm(t, o.admin, "Example NGO", "household", "3")
			f.Body = bytes.Replace(f.Body, []byte("Members"), []byte("Memberz"), 1)
			return f
		}, "changed after it was signed"},
		{"under another version", func(o *org) store.Form {
			f := publishedForm(t, o.admin, "Example NGO", "household", "3")
			f.Version = 4
			return f
		}, "not what its record says"},
		{"under another digest", func(o *org) store.Form {
			f := publishedForm(t, o.admin, "Example NGO", "household", "3")
			f.Digest[0] ^= 1
			return f
		}, "not what its record says"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrg(t)
			o.fill(t)
			if _, _, err := o.st.PutForm(ctx, tc.form(o)); err != nil {
				t.Fatal(err)
			}
			out := o.backup(t)
			rep, err := Verify(ctx, out, Options{AdminPub: o.admin.Verifier()}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify: %v; want a problem saying %q", err, tc.want)
			}
			if err := Restore(ctx, out, rep, Target{}, nil); err == nil {
				t.Error("Restore took a backup that did not verify")
			}
		})
	}
}

// TestReadsV1: a testimony-backup-v1 backup (made before forms) verifies
// and restores; a form line in one is refused, and so is a manifest that
// names another version than meta.jsonl.
func TestReadsV1(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	o.submit(t, 0, 1000, true)
	out := o.backup(t)
	// Rewrite it as the previous version of this package wrote it.
	toV1 := func(dir string) {
		t.Helper()
		mp := filepath.Join(dir, MetaFile)
		meta, _ := os.ReadFile(mp)
		meta = bytes.Replace(meta, []byte(`{"format":"`+Format+`"}`), []byte(`{"format":"`+FormatV1+`"}`), 1)
		os.WriteFile(mp, meta, 0o600)
		b, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
		m, err := ParseManifest(b)
		if err != nil {
			t.Fatal(err)
		}
		m.Format = FormatV1
		m.Meta = FileInfo{SHA256: hexOf(sha256.Sum256(meta)), Size: int64(len(meta))}
		var root tlog.Hash
		rb, _ := base64.StdEncoding.DecodeString(m.Log.Root)
		copy(root[:], rb)
		st, err := note.Sign(&note.Note{Text: statementText(m.Log.Origin, m.Log.Size, root, m.Meta)}, o.log)
		if err != nil {
			t.Fatal(err)
		}
		m.Statement = string(st)
		b, _ = m.Marshal()
		os.WriteFile(filepath.Join(dir, ManifestFile), b, 0o600)
	}
	toV1(out)
	if b, _ := os.ReadFile(filepath.Join(out, ManifestFile)); bytes.Contains(b, []byte(`"forms"`)) {
		t.Fatal("a manifest without forms names them, as v1 manifests do not")
	}
	rep, err := Verify(ctx, out, Options{AdminPub: o.admin.Verifier()}, nil)
	if err != nil {
		t.Fatalf("Verify of a v1 backup: %v", err)
	}
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bl, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer bl.Close()
	if err := Restore(ctx, out, rep, Target{Store: st, Blobs: bl}, nil); err != nil {
		t.Fatalf("Restore of a v1 backup: %v", err)
	}

	// A v1 backup with a form line in it.
	o = newOrg(t)
	o.fill(t)
	out = o.backup(t)
	toV1(out)
	if _, err := Verify(ctx, out, Options{AdminPub: o.admin.Verifier()}, nil); err == nil || !strings.Contains(err.Error(), "a form record in a "+FormatV1+" backup") {
		t.Errorf("Verify of a v1 backup with forms: %v; want the form line refused", err)
	}
	// A manifest of one version over meta.jsonl of another.
	out = o.backup(t)
	b, _ := os.ReadFile(filepath.Join(out, ManifestFile))
	os.WriteFile(filepath.Join(out, ManifestFile), bytes.Replace(b, []byte(Format), []byte(FormatV1), 1), 0o600)
	if _, err := Verify(ctx, out, Options{AdminPub: o.admin.Verifier()}, nil); err == nil || !strings.Contains(err.Error(), "is format") {
		t.Errorf("Verify of a v1 manifest over v2 records: %v; want it refused", err)
	}
}
