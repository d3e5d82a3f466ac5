package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/blob/disk"
	"testimony/internal/store"
	"testimony/internal/store/sqlite"
	"testimony/keys"
)

// org is a server's store and blobs with everything in them, and its keys.
type org struct {
	admin, log *keys.SigningKey
	st         *sqlite.Store
	bl         *disk.Store
	dir        string
}

func newOrg(t testing.TB) *org {
	t.Helper()
	admin, err := keys.GenerateSigningKey("admin")
	if err != nil {
		t.Fatal(err)
	}
	return newOrgWith(t, admin)
}

func newOrgWith(t testing.TB, admin *keys.SigningKey) *org {
	t.Helper()
	logKey, err := keys.GenerateSigningKey("testimony-log-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	r, err := keys.NewRoster("Example NGO")
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := keys.ParseVerifier(logKey.Verifier())
	if err := r.SetLog(lv); err != nil {
		t.Fatal(err)
	}
	signed, err := r.Sign(admin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bl.Close() })
	if err := st.Init(context.Background(), admin.Verifier(), r.Version, signed); err != nil {
		t.Fatal(err)
	}
	return &org{admin: admin, log: logKey, st: st, bl: bl, dir: dir}
}

// put stores a file in the blob store and returns its digest.
func (o *org) put(t testing.TB, key string, data []byte) [32]byte {
	d := sha256.Sum256(data)
	if _, err := o.bl.Put(context.Background(), key, bytes.NewReader(data), d, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	return d
}

// submit adds submission n: inline if small, else a blob; with a
// re-identification record if reid.
func (o *org) submit(t testing.TB, n int, size int, reid bool) store.Submission {
	t.Helper()
	ctx := context.Background()
	data := make([]byte, size)
	rand.Read(data)
	sub := store.Submission{ID: fmt.Sprintf("%032x", n+1), Size: int64(size), Device: "laptop-1", Day: "2031-05-06", Digest: sha256.Sum256(data)}
	if size <= store.MaxInlineBody {
		sub.Body = data
	} else {
		o.put(t, sub.ID, data)
	}
	if reid {
		r := []byte(fmt.Sprint("record ", n))
		sub.HasReid, sub.ReidSize, sub.ReidDigest = true, int64(len(r)), o.put(t, sub.ID+".reid", r)
	}
	stored, _, err := o.st.AddSubmission(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// fill stores some of everything.
func (o *org) fill(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	if err := o.st.AddToken(ctx, store.Token{ID: "00000000000000a1", Role: store.Admin, Label: "admin", Created: "2031-05-06"}, sha256.Sum256([]byte("s"))); err != nil {
		t.Fatal(err)
	}
	if err := o.st.AddEnrollment(ctx, sha256.Sum256([]byte("code")), store.Enrollment{Role: store.Reviewer, Label: "r", Expires: time.Unix(2000000000, 0)}); err != nil {
		t.Fatal(err)
	}
	var subs []store.Submission
	for i := range 6 {
		size := 1000
		if i%3 == 1 {
			size = 100 << 10
		}
		subs = append(subs, o.submit(t, i, size, i%2 == 0))
	}
	body := []byte("sealed reason")
	if _, _, err := o.st.AddLookup(ctx, store.Lookup{ID: fmt.Sprintf("%032x", 0xd1), Submission: subs[2].ID, Digest: sha256.Sum256(body),
		Size: int64(len(body)), Custodian: "00000000000000c1", Day: "2031-05-07", Body: body}); err != nil {
		t.Fatal(err)
	}
	o.submit(t, 6, 500, false)
	ann := bytes.Repeat([]byte("a"), 70<<10)
	id := fmt.Sprintf("%032x", 0xa1)
	if _, _, err := o.st.AddAnnotation(ctx, store.Annotation{ID: id, Digest: o.put(t, id+".ann", ann), Size: int64(len(ann)), Author: "reviewer", Day: "2031-05-07"}); err != nil {
		t.Fatal(err)
	}
	small := []byte("inline annotation")
	if _, _, err := o.st.AddAnnotation(ctx, store.Annotation{ID: fmt.Sprintf("%032x", 0xa2), Digest: sha256.Sum256(small), Size: int64(len(small)), Author: "reviewer", Day: "2031-05-07", Body: small}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1", "2"} {
		if _, _, err := o.st.PutForm(ctx, publishedForm(t, o.admin, "Example NGO", "household", v)); err != nil {
			t.Fatal(err)
		}
	}
}

func (o *org) backup(t testing.TB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "backup")
	if _, err := Write(context.Background(), out, Source{Store: o.st, Blobs: o.bl, LogKey: o.log}, nil); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	o.fill(t)
	out := o.backup(t)
	rep, err := Verify(ctx, out, Options{AdminPub: o.admin.Verifier()}, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := Counts{Tokens: 1, Enrollments: 1, Leaves: 8, Submissions: 7, Annotations: 2, Lookups: 1, Forms: 2, Blobs: 6, BlobBytes: 2*(100<<10) + 70<<10 + int64(len("record 0")+len("record 2")+len("record 4"))}
	if rep.Found != want {
		t.Errorf("Found = %+v; want %+v", rep.Found, want)
	}
	for _, name := range []string{ManifestFile, MetaFile} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", name, err, fi.Mode())
		}
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
	// The restored store backs up to the same meta.jsonl, and verifies.
	o2 := &org{admin: o.admin, log: o.log, st: st, bl: bl}
	out2 := o2.backup(t)
	a, _ := os.ReadFile(filepath.Join(out, MetaFile))
	b, _ := os.ReadFile(filepath.Join(out2, MetaFile))
	if !bytes.Equal(a, b) {
		t.Error("the restored store's backup differs from the original's")
	}
	if _, err := Verify(ctx, out2, Options{AdminPub: o.admin.Verifier()}, nil); err != nil {
		t.Errorf("Verify of the restored store's backup: %v", err)
	}
	// A second restore into the same store is refused.
	if err := Restore(ctx, out, rep, Target{Store: st, Blobs: bl}, nil); !errors.Is(err, store.ErrAlreadyInitialized) {
		t.Errorf("Restore into a restored store: %v; want ErrAlreadyInitialized", err)
	}
}

func TestWriteRefusesExisting(t *testing.T) {
	o := newOrg(t)
	o.fill(t)
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "x"), nil, 0o600)
	if _, err := Write(context.Background(), out, Source{Store: o.st, Blobs: o.bl, LogKey: o.log}, nil); err == nil {
		t.Error("Write into a non-empty directory succeeded")
	}
	// A blob missing from the blob store fails the backup and leaves
	// nothing behind.
	os.Remove(filepath.Join(o.dir, "blobs", fmt.Sprintf("%032x", 2)))
	parent := t.TempDir()
	out = filepath.Join(parent, "b")
	_, err := Write(context.Background(), out, Source{Store: o.st, Blobs: o.bl, LogKey: o.log}, nil)
	if err == nil {
		t.Fatal("Write with a blob missing succeeded")
	}
	t.Logf("refused: %v", err)
	if names, _ := os.ReadDir(parent); len(names) != 0 {
		t.Errorf("a failed backup left %v", names)
	}
	// A log key the roster does not name is refused.
	other, _ := keys.GenerateSigningKey("testimony-log-other")
	if _, err := Write(context.Background(), filepath.Join(parent, "c"), Source{Store: o.st, Blobs: o.bl, LogKey: other}, nil); err == nil {
		t.Error("Write signed with a log key the roster does not name")
	}
}

// TestVerifyFindsTampering: each change to a good backup is found, and
// named.
func TestVerifyFindsTampering(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	o.fill(t)
	good := o.backup(t)
	o.submit(t, 50, 300, false)
	later := o.backup(t) // the same server, one submission later
	forged := newOrg(t)  // another admin key: a backup made up whole
	forged.fill(t)
	forgedOut := forged.backup(t)

	blobKey := fmt.Sprintf("%032x", 2) // submission 1, 100 KiB, a blob
	editMeta := func(dir string, edit func(lines []string) []string) {
		p := filepath.Join(dir, MetaFile)
		b, _ := os.ReadFile(p)
		lines := strings.SplitAfter(string(b), "\n")
		os.WriteFile(p, []byte(strings.Join(edit(lines), "")), 0o600)
	}
	find := func(lines []string, prefix string) int {
		for i, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return i
			}
		}
		t.Fatalf("no line starts with %s", prefix)
		return -1
	}
	editManifest := func(dir string, edit func(m *Manifest)) {
		p := filepath.Join(dir, ManifestFile)
		b, _ := os.ReadFile(p)
		m, err := ParseManifest(b)
		if err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ = m.Marshal()
		os.WriteFile(p, b, 0o600)
	}
	manifestOf := func(dir string) *Manifest {
		b, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
		m, _ := ParseManifest(b)
		return m
	}

	for _, tc := range []struct {
		name   string
		tamper func(dir string)
		admin  string // --admin-pub, if not the org's
		want   string // in the problems
	}{
		{"a byte of a blob flipped", func(dir string) {
			p := filepath.Join(dir, BlobDir, blobKey)
			b, _ := os.ReadFile(p)
			b[500] ^= 1
			os.WriteFile(p, b, 0o600)
		}, "", "blobs/" + blobKey + ": its SHA-256 is not"},
		{"a blob deleted", func(dir string) {
			os.Remove(filepath.Join(dir, BlobDir, fmt.Sprintf("%032x", 1)+".reid"))
		}, "", "blobs/" + fmt.Sprintf("%032x", 1) + ".reid: missing"},
		{"a blob cut short", func(dir string) {
			p := filepath.Join(dir, BlobDir, fmt.Sprintf("%032x", 0xa1)+".ann")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-1], 0o600)
		}, "", ".ann: 71679 bytes"},
		{"an extra file among the blobs", func(dir string) {
			os.WriteFile(filepath.Join(dir, BlobDir, fmt.Sprintf("%032x", 0xee)), []byte("x"), 0o600)
		}, "", "holds 7 files, but the records refer to 6"},
		{"a token added to meta.jsonl", func(dir string) {
			editMeta(dir, func(lines []string) []string {
				i := find(lines, `{"token"`)
				extra := strings.Replace(lines[i], "00000000000000a1", "00000000000000a2", 1)
				return append(lines[:i+1], append([]string{extra}, lines[i+1:]...)...)
			})
		}, "", "the signed statement does not describe this backup"},
		{"a submission's digest edited", func(dir string) {
			editMeta(dir, func(lines []string) []string {
				i := find(lines, `{"submission"`) + 1
				lines[i] = strings.Replace(lines[i], `"sha256":"`, `"sha256":"00`, 1)
				lines[i] = strings.Replace(lines[i], `","size"`, `","size"`, 1)
				// Keep 64 digits: drop two after the inserted ones.
				j := strings.Index(lines[i], `"sha256":"00`) + len(`"sha256":"00`)
				lines[i] = lines[i][:j] + lines[i][j+2:]
				return lines
			})
		}, "", "is not what its leaf 1 records"},
		{"an inline body edited", func(dir string) {
			editMeta(dir, func(lines []string) []string {
				i := find(lines, `{"submission"`)
				j := strings.Index(lines[i], `"body":"`) + len(`"body":"`)
				c := byte('A')
				if lines[i][j] == 'A' {
					c = 'B'
				}
				lines[i] = lines[i][:j] + string(c) + lines[i][j+1:]
				return lines
			})
		}, "", "the inline body does not match"},
		{"the last leaf cut off", func(dir string) {
			editMeta(dir, func(lines []string) []string {
				i := find(lines, `{"submission"`) - 1
				return append(lines[:i], lines[i+1:]...)
			})
		}, "", "points at leaf 7, which the backup's log does not have"},
		{"a leaf in the middle removed", func(dir string) {
			editMeta(dir, func(lines []string) []string {
				i := find(lines, `{"leaf"`) + 2
				return append(lines[:i], lines[i+1:]...)
			})
		}, "", "leaf 3 where leaf 2 comes next"},
		{"a line that is not JSON", func(dir string) {
			editMeta(dir, func(lines []string) []string {
				i := find(lines, `{"annotation"`)
				lines[i] = "{\"annotation\":\n"
				return lines
			})
		}, "", "meta.jsonl line"},
		{"the checkpoint swapped for a later one", func(dir string) {
			cp := manifestOf(later).Log.Checkpoint
			editManifest(dir, func(m *Manifest) { m.Log.Checkpoint = cp })
		}, "", "the checkpoint signed by the log key is for size 9"},
		{"the checkpoint and statement swapped for a later backup's", func(dir string) {
			lm := manifestOf(later)
			editManifest(dir, func(m *Manifest) { m.Log, m.Statement = lm.Log, lm.Statement })
		}, "", "its leaves make size 8"},
		{"the checkpoint signed by another key", func(dir string) {
			cp := manifestOf(forgedOut).Log.Checkpoint
			editManifest(dir, func(m *Manifest) { m.Log.Checkpoint = cp })
		}, "", "the checkpoint: checkpoint is not signed by the log key"},
		{"the manifest missing", func(dir string) {
			os.Remove(filepath.Join(dir, ManifestFile))
		}, "", "is not a backup"},
		{"a forged backup, checked against the real admin key", func(dir string) {
			os.RemoveAll(dir)
			os.CopyFS(dir, os.DirFS(forgedOut))
		}, "", "not the one given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "b")
			if err := os.CopyFS(dir, os.DirFS(good)); err != nil {
				t.Fatal(err)
			}
			tc.tamper(dir)
			admin := o.admin.Verifier()
			rep, err := Verify(ctx, dir, Options{AdminPub: admin}, nil)
			if err == nil {
				t.Fatal("Verify passed")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Verify: %v\nwant it to say %q", err, tc.want)
			}
			t.Logf("found: %v", err)
			if rep != nil && rep.Err() != nil {
				if err := Restore(ctx, dir, rep, Target{}, nil); err == nil {
					t.Error("Restore took a backup that did not verify")
				}
			}
		})
	}
	// Without the admin key, a forged backup is self-consistent: this is
	// why the admin gives theirs.
	if _, err := Verify(ctx, forgedOut, Options{}, nil); err != nil {
		t.Errorf("a forged backup, checked without an admin key: %v (it is self-consistent)", err)
	}
}

// TestTree: the incremental root is tlog's.
func TestTree(t *testing.T) {
	var b treeBuilder
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for n := int64(0); n < 300; n++ {
		want, err := tlog.TreeHash(n, r)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.root(); got != want {
			t.Fatalf("root of %d leaves = %v; want %v", n, got, want)
		}
		leaf := []byte(fmt.Sprint("leaf ", n))
		hs, _ := tlog.StoredHashes(n, leaf, r)
		hashes = append(hashes, hs...)
		b.add(leaf)
	}
}

// TestRecordRoundTrip: every record marshals to a line that reads back as
// itself.
func TestRecordRoundTrip(t *testing.T) {
	o := newOrg(t)
	o.fill(t)
	var recs []store.Record
	if err := o.st.Snapshot(context.Background(), func(r store.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		line, err := marshalRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := unmarshalRecord(line[:len(line)-1])
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if !reflect.DeepEqual(back, r) {
			t.Errorf("%s read back as %+v", line, back)
		}
	}
}
