package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/auditlog"
	"testimony/keys"
)

// FuzzParseContentDigest: no panic, and an accepted header formats back to
// a value that parses to the same digest.
func FuzzParseContentDigest(f *testing.F) {
	f.Add("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
	f.Add("sha-512=:AAAA:, sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
	f.Add("sha-256=:x:")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseContentDigest(v)
		if !ok {
			return
		}
		if d2, ok := ParseContentDigest(ContentDigest(d)); !ok || d2 != d {
			t.Fatalf("%q: round trip failed", v)
		}
	})
}

// FuzzParseToken: no panic; an accepted token is exactly tmy_ID_SECRET with
// a 16-hex ID that comes back unchanged.
func FuzzParseToken(f *testing.F) {
	tok, _, _ := NewToken()
	f.Add(tok)
	f.Add("tmy_0123456789abcdef_" + strings.Repeat("A", 43))
	f.Add("tmy__")
	f.Fuzz(func(t *testing.T, v string) {
		id, hash, ok := ParseToken(v)
		if !ok {
			return
		}
		if len(id) != 16 || !strings.Contains(v, "tmy_"+id+"_") {
			t.Fatalf("%q: parsed ID %q", v, id)
		}
		if _, h2, _ := ParseToken(strings.TrimSpace(v)); h2 != hash {
			t.Fatalf("%q: hash depends on surrounding space", v)
		}
	})
}

// FuzzEnrollmentCodeHash: typing a code in lower case, with spaces instead
// of dashes, gives the same hash.
func FuzzEnrollmentCodeHash(f *testing.F) {
	code, _ := NewEnrollmentCode()
	f.Add(code)
	f.Fuzz(func(t *testing.T, c string) {
		typed := strings.Map(func(r rune) rune {
			switch {
			case 'A' <= r && r <= 'Z':
				return r - 'A' + 'a'
			case r == '-':
				return ' '
			}
			return r
		}, c)
		if EnrollmentCodeHash(typed) != EnrollmentCodeHash(c) {
			t.Fatalf("%q: the hash depends on case or dashes", c)
		}
	})
}

// FuzzReceiptVerify: a receipt read from a server or from disk, however
// mangled, never panics Verify; and whatever verifies has a leaf that is in
// the tree of the checkpoint it names, signed by the log key. The seed is a
// real receipt for a three-leaf log.
func FuzzReceiptVerify(f *testing.F) {
	key, err := keys.GenerateSigningKey("testimony-log-fuzz")
	if err != nil {
		f.Fatal(err)
	}
	v, _ := keys.ParseVerifier(key.Verifier())
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	var rcs []Receipt
	for i := range 3 {
		rc := Receipt{ID: fmt.Sprintf("%032x", i), SHA256: fmt.Sprintf("%064x", i+1), Day: "2026-11-22", Device: "laptop-1"}
		if i == 1 {
			rc.Reid = &FileRef{SHA256: fmt.Sprintf("%064x", 9)}
		}
		leaf, err := rc.Leaf()
		if err != nil {
			f.Fatal(err)
		}
		hs, _ := tlog.StoredHashes(int64(i), leaf, r)
		hashes = append(hashes, hs...)
		rcs = append(rcs, rc)
	}
	root, _ := tlog.TreeHash(3, r)
	signed, err := auditlog.Sign(auditlog.Checkpoint{Origin: key.Name(), Size: 3, Root: root}, key)
	if err != nil {
		f.Fatal(err)
	}
	for i, rc := range rcs {
		p, _ := tlog.ProveRecord(3, int64(i), r)
		rc.Log = &LogProof{Index: int64(i), Proof: auditlog.Wire(p), Checkpoint: string(signed)}
		b, _ := json.Marshal(rc)
		if _, err := rc.Verify(v.Note()); err != nil {
			f.Fatalf("seed receipt %d does not verify: %v", i, err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"x","log":{"index":-1,"proof":[""],"checkpoint":""}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var rc Receipt
		if json.Unmarshal(b, &rc) != nil {
			return
		}
		cp, err := rc.Verify(v.Note())
		if err != nil {
			return
		}
		// Whatever verifies is a real leaf of the signed three-leaf tree.
		leaf, err := rc.Leaf()
		if err != nil || cp.Size != 3 || cp.Root != root || rc.Log.Index < 0 || rc.Log.Index >= 3 {
			t.Fatalf("verified a receipt outside the signed tree: %+v", rc)
		}
		if auditlog.LeafHash(leaf) != hashes[tlog.StoredHashIndex(0, rc.Log.Index)] {
			t.Fatalf("verified a leaf that is not in the tree: %s", leaf)
		}
	})
}

// FuzzLookupReceiptVerify: a lookup receipt, however mangled, never panics
// Verify; whatever verifies is the lookup leaf of the signed tree, which
// holds submission leaves around it. The seed is a real receipt.
func FuzzLookupReceiptVerify(f *testing.F) {
	key, err := keys.GenerateSigningKey("testimony-log-fuzz")
	if err != nil {
		f.Fatal(err)
	}
	v, _ := keys.ParseVerifier(key.Verifier())
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	lr := LookupReceipt{ID: fmt.Sprintf("%032x", 7), Submission: fmt.Sprintf("%032x", 0), SHA256: fmt.Sprintf("%064x", 8),
		Size: 900, Day: "2026-11-22", Custodian: "0123456789abcdef"}
	for i := range 3 {
		var leaf []byte
		if i == 1 {
			leaf, err = lr.Leaf()
		} else {
			rc := Receipt{ID: fmt.Sprintf("%032x", i), SHA256: fmt.Sprintf("%064x", i+1), Day: "2026-11-22", Device: "laptop-1"}
			leaf, err = rc.Leaf()
		}
		if err != nil {
			f.Fatal(err)
		}
		hs, _ := tlog.StoredHashes(int64(i), leaf, r)
		hashes = append(hashes, hs...)
	}
	root, _ := tlog.TreeHash(3, r)
	signed, err := auditlog.Sign(auditlog.Checkpoint{Origin: key.Name(), Size: 3, Root: root}, key)
	if err != nil {
		f.Fatal(err)
	}
	p, _ := tlog.ProveRecord(3, 1, r)
	lr.Log = &LogProof{Index: 1, Proof: auditlog.Wire(p), Checkpoint: string(signed)}
	if _, err := lr.Verify(v.Note()); err != nil {
		f.Fatalf("seed receipt does not verify: %v", err)
	}
	b, _ := json.Marshal(lr)
	f.Add(b)
	f.Add([]byte(strings.Replace(string(b), `"index":1`, `"index":0`, 1)))
	f.Add([]byte(`{"id":"x","custodian":"-","log":{"index":-1,"proof":[""],"checkpoint":""}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var rc LookupReceipt
		if json.Unmarshal(b, &rc) != nil {
			return
		}
		cp, err := rc.Verify(v.Note())
		if err != nil {
			return
		}
		leaf, err := rc.Leaf()
		if err != nil || cp.Size != 3 || cp.Root != root || rc.Log.Index != 1 {
			t.Fatalf("verified a receipt outside the signed tree: %+v", rc)
		}
		if auditlog.LeafHash(leaf) != hashes[tlog.StoredHashIndex(0, 1)] {
			t.Fatalf("verified a leaf that is not in the tree: %s", leaf)
		}
	})
}
