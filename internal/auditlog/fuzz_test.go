package auditlog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/auditlog"
)

// The reference: RFC 6962 §2.1 written out here, without tlog, to check
// tlog and this package against.

// refMTH is the Merkle Tree Hash MTH(D[n]) of the leaves d (§2.1).
func refMTH(d [][]byte) [32]byte {
	switch len(d) {
	case 0:
		return sha256.Sum256(nil) // MTH({}) = SHA-256()
	case 1:
		return sha256.Sum256(append([]byte{0x00}, d[0]...)) // MTH({d(0)}) = SHA-256(0x00 || d(0))
	}
	k := refSplit(len(d))
	left, right := refMTH(d[:k]), refMTH(d[k:])
	return sha256.Sum256(slices.Concat([]byte{0x01}, left[:], right[:]))
}

// refSplit returns k, the largest power of two smaller than n (n > 1).
func refSplit(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// refPath is the audit path PATH(m, D[n]) of leaf m (§2.1.1).
func refPath(m int, d [][]byte) [][32]byte {
	if len(d) == 1 {
		return nil // PATH(0, {d(0)}) = {}
	}
	k := refSplit(len(d))
	if m < k {
		return append(refPath(m, d[:k]), refMTH(d[k:]))
	}
	return append(refPath(m-k, d[k:]), refMTH(d[:k]))
}

// refProof is the consistency proof PROOF(m, D[n]) that the first m leaves
// of d are a tree d extends (§2.1.2).
func refProof(m int, d [][]byte) [][32]byte { return refSubproof(m, d, true) }

// refSubproof is SUBPROOF(m, D[n], b) (§2.1.2).
func refSubproof(m int, d [][]byte, b bool) [][32]byte {
	if m == len(d) {
		if b {
			return nil // SUBPROOF(m, D[m], true) = {}
		}
		return [][32]byte{refMTH(d)} // SUBPROOF(m, D[m], false) = {MTH(D[m])}
	}
	k := refSplit(len(d))
	if m <= k {
		return append(refSubproof(m, d[:k], b), refMTH(d[k:]))
	}
	return append(refSubproof(m-k, d[k:], false), refMTH(d[:k]))
}

// TestReference checks the reference against hashes computed by hand from
// the definitions, so that the fuzz targets compare tlog with something
// right.
func TestReference(t *testing.T) {
	leaf := func(b []byte) [32]byte { return sha256.Sum256(append([]byte{0}, b...)) }
	node := func(l, r [32]byte) [32]byte { return sha256.Sum256(slices.Concat([]byte{1}, l[:], r[:])) }
	d := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	a, b, c := leaf(d[0]), leaf(d[1]), leaf(d[2])
	ab := node(a, b)
	if got, want := refMTH(d), node(ab, c); got != want {
		t.Errorf("MTH of 3 leaves = %x, want %x", got, want)
	}
	if got, want := refPath(0, d), [][32]byte{b, c}; !slices.Equal(got, want) {
		t.Errorf("PATH(0, D[3]) = %x, want %x", got, want)
	}
	if got, want := refPath(2, d), [][32]byte{ab}; !slices.Equal(got, want) {
		t.Errorf("PATH(2, D[3]) = %x, want %x", got, want)
	}
	if got, want := refProof(2, d), [][32]byte{c}; !slices.Equal(got, want) {
		t.Errorf("PROOF(2, D[3]) = %x, want %x", got, want)
	}
	if got, want := refProof(1, d[:2]), [][32]byte{b}; !slices.Equal(got, want) {
		t.Errorf("PROOF(1, D[2]) = %x, want %x", got, want)
	}
	// The example of §2.1.3: the proof from 3 to 7 leaves is c, d, g, l.
	d7 := [][]byte{{0}, {1}, {2}, {3}, {4}, {5}, {6}}
	want := [][32]byte{leaf(d7[2]), leaf(d7[3]), node(leaf(d7[0]), leaf(d7[1])), refMTH(d7[4:])}
	if got := refProof(3, d7); !slices.Equal(got, want) {
		t.Errorf("PROOF(3, D[7]) = %x, want %x", got, want)
	}
}

// fuzzLeaves returns n distinct leaves made from seed.
func fuzzLeaves(seed []byte, n int) [][]byte {
	d := make([][]byte, n)
	for i := range d {
		d[i] = binary.BigEndian.AppendUint16(slices.Clone(seed), uint16(i))
	}
	return d
}

// fuzzTree builds the tree of leaves d with tlog.
func fuzzTree(t *testing.T, d [][]byte) *memTree {
	m := &memTree{}
	for _, leaf := range d {
		m.add(t, leaf)
	}
	return m
}

// hashes converts a tlog proof to plain arrays.
func hashes(p []tlog.Hash) [][32]byte {
	out := make([][32]byte, len(p))
	for i := range p {
		out[i] = p[i]
	}
	return out
}

// flipByte flips one bit of one byte of a copy of a wire proof, chosen by
// choice. The proof must not be empty.
func flipByte(p [][]byte, choice uint32) [][]byte {
	p = cloneProof(p)
	at := int(choice % uint32(len(p)*32))
	p[at/32][at%32] ^= 1 << (choice >> 24 % 8)
	return p
}

// FuzzInclusion checks tlog's inclusion proofs against the reference and
// CheckInclusion against both, on trees of 1 to 300 leaves.
func FuzzInclusion(f *testing.F) {
	f.Add([]byte("leaf"), uint16(1), uint16(0), uint32(0))
	f.Add([]byte("leaf"), uint16(7), uint16(6), uint32(1000))
	f.Add([]byte{}, uint16(13), uint16(5), uint32(77))
	f.Add([]byte("x"), uint16(256), uint16(255), uint32(1<<31))
	f.Add([]byte("y"), uint16(299), uint16(128), uint32(12345))
	f.Fuzz(func(t *testing.T, seed []byte, n16, m16 uint16, choice uint32) {
		n := int(n16)%300 + 1
		m := int(m16) % n
		d := fuzzLeaves(seed, n)
		tree := fuzzTree(t, d)
		cp := tree.checkpoint(t, int64(n))
		if want := refMTH(d); cp.Root != want {
			t.Fatalf("tlog.TreeHash of %d leaves = %x, reference MTH = %x", n, [32]byte(cp.Root), want)
		}
		p, err := tlog.ProveRecord(int64(n), int64(m), tree.reader())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := hashes(p), refPath(m, d); !slices.Equal(got, want) {
			t.Fatalf("tlog.ProveRecord(%d, %d) = %x, reference PATH = %x", n, m, got, want)
		}
		proof := auditlog.Wire(p)
		if err := auditlog.CheckInclusion(cp, int64(m), d[m], proof); err != nil {
			t.Fatalf("leaf %d of %d: %v", m, n, err)
		}
		if len(proof) > 0 {
			if err := auditlog.CheckInclusion(cp, int64(m), d[m], flipByte(proof, choice)); !errors.Is(err, auditlog.ErrNotIncluded) {
				t.Fatalf("leaf %d of %d, a proof byte flipped: %v", m, n, err)
			}
		}
		if err := auditlog.CheckInclusion(cp, int64(m), append(slices.Clone(d[m]), 0), proof); !errors.Is(err, auditlog.ErrNotIncluded) {
			t.Fatalf("leaf %d of %d, changed: %v", m, n, err)
		}
		if n > 1 {
			other := (m + 1 + int(choice)%(n-1)) % n
			if err := auditlog.CheckInclusion(cp, int64(m), d[other], proof); !errors.Is(err, auditlog.ErrNotIncluded) {
				t.Fatalf("leaf %d of %d at index %d: %v", other, n, m, err)
			}
			if err := auditlog.CheckInclusion(cp, int64(other), d[m], proof); !errors.Is(err, auditlog.ErrNotIncluded) {
				t.Fatalf("leaf %d of %d at index %d: %v", m, n, other, err)
			}
		}
	})
}

// FuzzConsistency checks tlog's consistency proofs against the reference and
// CheckConsistency against both, on trees of 1 to 300 leaves.
func FuzzConsistency(f *testing.F) {
	f.Add([]byte("leaf"), uint16(1), uint16(0), uint32(0))
	f.Add([]byte("leaf"), uint16(7), uint16(2), uint32(1000))
	f.Add([]byte{}, uint16(13), uint16(5), uint32(77))
	f.Add([]byte("x"), uint16(256), uint16(127), uint32(1<<31))
	f.Add([]byte("y"), uint16(299), uint16(298), uint32(12345))
	f.Fuzz(func(t *testing.T, seed []byte, n16, m16 uint16, choice uint32) {
		n := int(n16)%300 + 1
		m := int(m16)%n + 1 // 1 ≤ m ≤ n
		d := fuzzLeaves(seed, n)
		tree := fuzzTree(t, d)
		older, newer := tree.checkpoint(t, int64(m)), tree.checkpoint(t, int64(n))
		if want := refMTH(d[:m]); older.Root != want {
			t.Fatalf("tlog.TreeHash of %d leaves = %x, reference MTH = %x", m, [32]byte(older.Root), want)
		}
		if want := refMTH(d); newer.Root != want {
			t.Fatalf("tlog.TreeHash of %d leaves = %x, reference MTH = %x", n, [32]byte(newer.Root), want)
		}
		p, err := tlog.ProveTree(int64(n), int64(m), tree.reader())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := hashes(p), refProof(m, d); !slices.Equal(got, want) {
			t.Fatalf("tlog.ProveTree(%d, %d) = %x, reference PROOF = %x", n, m, got, want)
		}
		proof := auditlog.Wire(p)
		if err := auditlog.CheckConsistency(older, newer, proof); err != nil {
			t.Fatalf("%d to %d: %v", m, n, err)
		}
		if len(proof) > 0 {
			if err := auditlog.CheckConsistency(older, newer, flipByte(proof, choice)); !errors.Is(err, auditlog.ErrFork) {
				t.Fatalf("%d to %d, a proof byte flipped: %v", m, n, err)
			}
		}
		changed := older
		changed.Root = tlog.Hash(flipByte([][]byte{older.Root[:]}, choice)[0])
		if err := auditlog.CheckConsistency(changed, newer, proof); !errors.Is(err, auditlog.ErrFork) {
			t.Fatalf("%d to %d, the older root changed: %v", m, n, err)
		}
		if m < n {
			if err := auditlog.CheckConsistency(newer, older, proof); !errors.Is(err, auditlog.ErrRollback) {
				t.Fatalf("%d to %d: %v", n, m, err)
			}
		}
	})
}

// FuzzParseLeaf checks that ParseLeaf does not panic, classifies every error,
// and accepts only leaves that marshal back to themselves.
func FuzzParseLeaf(f *testing.F) {
	f.Add([]byte(leafFull))
	bare, _ := auditlog.Submission{ID: subFull.ID, SHA256: subFull.SHA256, Day: subFull.Day}.MarshalLeaf()
	f.Add(bare)
	f.Add(bytes.ReplaceAll([]byte(leafFull), []byte("\n"), []byte("\r\n")))
	f.Add([]byte(lookupFull))
	f.Add([]byte(strings.Replace(lookupFull, "v1 lookup", "v1 submission", 1)))
	f.Add([]byte(auditlog.LeafHeader + " custodian\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, leaf []byte) {
		parsed, err := auditlog.ParseLeaf(leaf)
		if err != nil {
			if !errors.Is(err, auditlog.ErrMalformed) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		var m interface{ MarshalLeaf() ([]byte, error) }
		switch p := parsed.(type) {
		case *auditlog.Submission:
			m = p
		case *auditlog.Lookup:
			m = p
		default:
			t.Fatalf("ParseLeaf returned a %T", parsed)
		}
		out, err := m.MarshalLeaf()
		if err != nil || !bytes.Equal(out, leaf) {
			t.Fatalf("accepted %q, which marshals to %q, %v", leaf, out, err)
		}
		again, err := auditlog.ParseLeaf(out)
		if err != nil || !reflect.DeepEqual(again, parsed) {
			t.Fatalf("the marshalled leaf parses to %+v, %v; want %+v", again, err, parsed)
		}
	})
}

// FuzzParseCheckpoint checks that ParseCheckpoint does not panic, classifies
// every error, and accepts only text that its checkpoint writes back.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add(logName + "\n5\n" + b64(tlog.Hash(digest(0x11))) + "\n")
	f.Add(logName + "\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
	f.Add(logName + "\n01\n" + b64(tlog.Hash(digest(0x11))) + "\n")
	f.Add(logName + "\n5\n" + b64(tlog.Hash(digest(0x11))) + "\nextension\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := auditlog.ParseCheckpoint(text)
		if err != nil {
			if !errors.Is(err, auditlog.ErrMalformed) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if c.Text() != text {
			t.Fatalf("accepted %q, which is written %q", text, c.Text())
		}
		if c.Size < 0 || c.Origin == "" {
			t.Fatalf("accepted %+v", c)
		}
	})
}

// FuzzOpen opens arbitrary bytes with the log's verifier. Open must not
// panic, must classify every error, and must accept only a checkpoint the
// log key signed: the fuzzer cannot forge a signature, so an accepted
// checkpoint is one of the texts signed here.
func FuzzOpen(f *testing.F) {
	signer, verifier := newLogKey(f, logName)
	sameName, _ := newLogKey(f, logName)
	otherName, _ := newLogKey(f, "testimony-log-other")
	signedTexts := map[string]bool{}
	add := func(signed []byte) {
		if n, err := note.Open(signed, note.VerifierList(verifier)); err == nil {
			signedTexts[n.Text] = true
		}
		f.Add(signed)
	}
	for _, size := range []int64{0, 1, 3, 1000} {
		cp := auditlog.Checkpoint{Origin: logName, Size: size, Root: tlog.Hash(digest(byte(size)))}
		signed := sign(f, cp, signer)
		add(signed)
		add(signText(f, cp.Text(), signer, otherName))
		add(sign(f, cp, sameName))
		add(bytes.Replace(signed, []byte("\n"), []byte("\n\n"), 1))
	}
	add(signText(f, "hello\n", signer))
	add(signText(f, "other-origin\n3\n"+b64(tlog.Hash{})+"\n", signer))
	add(signText(f, logName+"\n3\n"+b64(tlog.Hash{})+"\nextension\n", signer))
	add([]byte{})
	add([]byte("\n\n— " + logName + " AAAAAAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := auditlog.Open(b, verifier)
		if err != nil {
			if !errors.Is(err, auditlog.ErrMalformed) && !errors.Is(err, auditlog.ErrSignature) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if !signedTexts[c.Text()] || !bytes.HasPrefix(b, []byte(c.Text()+"\n")) {
			t.Fatalf("Open accepted %q, which the log key did not sign", b)
		}
		if c.Origin != logName {
			t.Fatalf("Open accepted a checkpoint of origin %q", c.Origin)
		}
	})
}
