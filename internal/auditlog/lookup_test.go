package auditlog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"testimony/internal/auditlog"
)

// lookupFull is a canonical lookup leaf.
const lookupFull = "testimony log leaf v1 lookup\n" +
	"id fedcba9876543210fedcba9876543210\n" +
	"sha256 abababababababababababababababababababababababababababababababab\n" +
	"submission 0123456789abcdef0123456789abcdef\n" +
	"custodian 89abcdef01234567\n" +
	"day 2026-11-22\n"

// lookFull is the lookup lookupFull records.
var lookFull = auditlog.Lookup{
	ID:         "fedcba9876543210fedcba9876543210",
	SHA256:     digest(0xab),
	Submission: "0123456789abcdef0123456789abcdef",
	Custodian:  "89abcdef01234567",
	Day:        "2026-11-22",
}

// editLookup returns lookupFull with the first old replaced by new.
func editLookup(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(lookupFull, old) {
		t.Fatalf("the leaf has no %q", old)
	}
	return strings.Replace(lookupFull, old, new, 1)
}

func TestLookupLeafRoundTrip(t *testing.T) {
	got, err := lookFull.MarshalLeaf()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != lookupFull {
		t.Fatalf("MarshalLeaf:\n%s\nwant:\n%s", got, lookupFull)
	}
	parsed, err := auditlog.ParseLeaf([]byte(lookupFull))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(parsed, &lookFull) {
		t.Fatalf("ParseLeaf = %+v, want %+v", parsed, &lookFull)
	}
	// A lookup and a submission with the same ID, digest and day are
	// different leaves: the kind is part of what is hashed.
	sub, err := auditlog.Submission{ID: lookFull.ID, SHA256: lookFull.SHA256, Day: lookFull.Day}.MarshalLeaf()
	if err != nil {
		t.Fatal(err)
	}
	if auditlog.LeafHash(sub) == auditlog.LeafHash(got) {
		t.Fatal("a lookup leaf hashes like a submission leaf")
	}
}

func TestParseLookupLeafRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		leaf func(t *testing.T) string
	}{
		// A lookup has its own fields: a submission's are not enough.
		{"submission fields", func(t *testing.T) string { return editLeaf(t, "v1 submission\n", "v1 lookup\n") }},
		// A lookup's fields under the submission kind.
		{"lookup fields as submission", func(t *testing.T) string { return editLookup(t, "v1 lookup\n", "v1 submission\n") }},
		// The kind is lowercase.
		{"uppercase kind", func(t *testing.T) string { return editLookup(t, "lookup\n", "LOOKUP\n") }},
		// Every field is always present: no "-" for the submission...
		{"submission dash", func(t *testing.T) string {
			return editLookup(t, "submission 0123456789abcdef0123456789abcdef", "submission -")
		}},
		// ... nor for the custodian.
		{"custodian dash", func(t *testing.T) string { return editLookup(t, "custodian 89abcdef01234567", "custodian -") }},
		// A custodian is a token ID, not a label.
		{"custodian label", func(t *testing.T) string { return editLookup(t, "custodian 89abcdef01234567", "custodian custodian-1") }},
		// A token ID is 16 hex digits...
		{"custodian short", func(t *testing.T) string { return editLookup(t, "custodian 89", "custodian ") }},
		// ... in lowercase.
		{"custodian uppercase", func(t *testing.T) string { return editLookup(t, "custodian 89abcdef", "custodian 89ABCDEF") }},
		// The submission is 32 hex digits...
		{"submission short", func(t *testing.T) string { return editLookup(t, "submission 01", "submission ") }},
		// ... in lowercase.
		{"submission uppercase", func(t *testing.T) string {
			return editLookup(t, "submission 0123456789abcdef", "submission 0123456789ABCDEF")
		}},
		// So is the lookup ID.
		{"id uppercase", func(t *testing.T) string { return editLookup(t, "id fedcba", "id FEDCBA") }},
		// The reason's digest is lowercase hex of 32 bytes.
		{"sha256 short", func(t *testing.T) string { return editLookup(t, "sha256 abab", "sha256 ") }},
		// The fields come in their order.
		{"fields out of order", func(t *testing.T) string {
			return editLookup(t, "submission 0123456789abcdef0123456789abcdef\ncustodian 89abcdef01234567\n", "custodian 89abcdef01234567\nsubmission 0123456789abcdef0123456789abcdef\n")
		}},
		// A field missing.
		{"missing custodian", func(t *testing.T) string { return editLookup(t, "custodian 89abcdef01234567\n", "") }},
		// A field of a submission leaf in a lookup.
		{"device line", func(t *testing.T) string { return editLookup(t, "custodian 89abcdef01234567\n", "device laptop-1\n") }},
		// A day that does not exist.
		{"day 2026-02-30", func(t *testing.T) string { return editLookup(t, "2026-11-22", "2026-02-30") }},
		// Nothing follows the day line.
		{"extra line", func(*testing.T) string { return lookupFull + "reason hello\n" }},
		// Lines end in LF.
		{"CRLF", func(*testing.T) string { return strings.ReplaceAll(lookupFull, "\n", "\r\n") }},
		// The last line ends in a newline.
		{"missing trailing newline", func(*testing.T) string { return strings.TrimSuffix(lookupFull, "\n") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaf := tc.leaf(t)
			l, err := auditlog.ParseLeaf([]byte(leaf))
			if !errors.Is(err, auditlog.ErrMalformed) {
				t.Fatalf("ParseLeaf(%q) = %+v, %v; want ErrMalformed", leaf, l, err)
			}
		})
	}
}

func TestMarshalLookupLeafRejects(t *testing.T) {
	with := func(edit func(*auditlog.Lookup)) auditlog.Lookup {
		l := lookFull
		edit(&l)
		return l
	}
	for _, tc := range []struct {
		name string
		l    auditlog.Lookup
	}{
		// A lookup always names a submission...
		{"no submission", with(func(l *auditlog.Lookup) { l.Submission = "" })},
		// ... by its ID.
		{"submission path", with(func(l *auditlog.Lookup) { l.Submission = "../" + l.Submission[3:] })},
		// A lookup always names its custodian...
		{"no custodian", with(func(l *auditlog.Lookup) { l.Custodian = "" })},
		// ... by token ID, which cannot add a line.
		{"custodian with newline", with(func(l *auditlog.Lookup) { l.Custodian = "89abcdef\nday 1" })},
		// A lookup ID is 32 hex digits.
		{"short id", with(func(l *auditlog.Lookup) { l.ID = l.ID[:31] })},
		// A day.
		{"empty day", with(func(l *auditlog.Lookup) { l.Day = "" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaf, err := tc.l.MarshalLeaf()
			if !errors.Is(err, auditlog.ErrMalformed) {
				t.Fatalf("MarshalLeaf(%+v) = %q, %v; want ErrMalformed", tc.l, leaf, err)
			}
		})
	}
}

// v1Lookup is the frozen lookup leaf, with its leaf hash computed once.
var v1Lookup = struct {
	file string
	l    auditlog.Lookup
	hash string
}{"leaf-lookup.txt", auditlog.Lookup{
	ID:         "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	SHA256:     sha256.Sum256([]byte("sealed reason 0")),
	Submission: "0123456789abcdef0123456789abcdef",
	Custodian:  "0123456789abcdef",
	Day:        "2026-03-16",
}, "5806a5ea967618063d994a529f7b8b5c0ccb43afc1f654554fb8651c56033ff0"}

// TestVectorsV1Lookup reads the frozen lookup leaf: it must parse and hash
// the same forever. In a log it sits between submission leaves; the mixed
// tree below must verify as any other.
func TestVectorsV1Lookup(t *testing.T) {
	if *update {
		leaf, err := v1Lookup.l.MarshalLeaf()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(v1Dir, v1Lookup.file), leaf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	leaf, err := os.ReadFile(filepath.Join(v1Dir, v1Lookup.file))
	if err != nil {
		t.Fatal(err)
	}
	got, err := auditlog.ParseLeaf(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, &v1Lookup.l) {
		t.Errorf("parsed %+v, want %+v", got, &v1Lookup.l)
	}
	if b, err := v1Lookup.l.MarshalLeaf(); err != nil || !bytes.Equal(b, leaf) {
		t.Errorf("MarshalLeaf = %q, %v; want the file", b, err)
	}
	if h := auditlog.LeafHash(leaf); hex.EncodeToString(h[:]) != v1Lookup.hash {
		t.Errorf("leaf hash %x, want %s", h[:], v1Lookup.hash)
	}

	// The frozen submissions with the lookup between them.
	tree := &memTree{}
	for i, v := range v1Leaves {
		b, err := os.ReadFile(filepath.Join(v1Dir, v.file))
		if err != nil {
			t.Fatal(err)
		}
		tree.add(t, b)
		if i == 1 {
			tree.add(t, leaf)
		}
	}
	n := int64(len(tree.leaves))
	cp := tree.checkpoint(t, n)
	for i := range n {
		if err := auditlog.CheckInclusion(cp, i, tree.leaves[i], tree.inclusion(t, n, i)); err != nil {
			t.Errorf("leaf %d of the mixed tree: %v", i, err)
		}
	}
	for older := int64(1); older < n; older++ {
		if err := auditlog.CheckConsistency(tree.checkpoint(t, older), cp, tree.consistency(t, n, older)); err != nil {
			t.Errorf("%d to %d leaves of the mixed tree: %v", older, n, err)
		}
	}
}
