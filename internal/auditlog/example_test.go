package auditlog_test

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/auditlog"
)

// A server appends a leaf for each submission it accepts and signs a
// checkpoint of the tree. A client that kept its receipt rebuilds its own
// leaf, checks the checkpoint against the log key its roster names, and
// checks that the leaf is in the tree.
func ExampleCheckInclusion() {
	// Once: the log key. Its name is the origin of every checkpoint; the
	// verifier key goes into the signed roster.
	skey, vkey, err := note.GenerateKey(rand.Reader, "testimony-log-0123456789abcdef")
	if err != nil {
		log.Fatal(err)
	}
	logKey, err := note.NewSigner(skey)
	if err != nil {
		log.Fatal(err)
	}

	// The server keeps the tree as tlog's stored hashes.
	var stored []tlog.Hash
	hashes := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hs := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			hs[i] = stored[x]
		}
		return hs, nil
	})
	for i, day := range []string{"2026-11-20", "2026-11-21", "2026-11-22"} {
		leaf, err := auditlog.Submission{
			ID:     fmt.Sprintf("%032x", i+1),
			SHA256: sha256.Sum256(fmt.Appendf(nil, "sealed file %d", i+1)),
			Device: "laptop-1",
			Day:    day,
		}.MarshalLeaf()
		if err != nil {
			log.Fatal(err)
		}
		h, err := tlog.StoredHashes(int64(i), leaf, hashes)
		if err != nil {
			log.Fatal(err)
		}
		stored = append(stored, h...)
	}
	root, err := tlog.TreeHash(3, hashes)
	if err != nil {
		log.Fatal(err)
	}
	signed, err := auditlog.Sign(auditlog.Checkpoint{Origin: logKey.Name(), Size: 3, Root: root}, logKey)
	if err != nil {
		log.Fatal(err)
	}
	// The proof for the second submission, as the server sends it.
	p, err := tlog.ProveRecord(3, 1, hashes)
	if err != nil {
		log.Fatal(err)
	}
	proof := auditlog.Wire(p)

	// The client knows the log's verifier key from its roster, and its own
	// submission from the receipt.
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		log.Fatal(err)
	}
	cp, err := auditlog.Open(signed, verifier)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("checkpoint of", cp.Origin, "with", cp.Size, "leaves")
	mine := auditlog.Submission{
		ID:     fmt.Sprintf("%032x", 2),
		SHA256: sha256.Sum256([]byte("sealed file 2")),
		Device: "laptop-1",
		Day:    "2026-11-21",
	}
	leaf, err := mine.MarshalLeaf()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(leaf))
	fmt.Println("included:", auditlog.CheckInclusion(cp, 1, leaf, proof))

	// Had the server changed the day it recorded, it could not prove it.
	mine.Day = "2026-11-23"
	leaf, err = mine.MarshalLeaf()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("included:", auditlog.CheckInclusion(cp, 1, leaf, proof))

	// Output:
	// checkpoint of testimony-log-0123456789abcdef with 3 leaves
	// testimony log leaf v1 submission
	// id 00000000000000000000000000000002
	// sha256 833cefb068c853b1a987710db19a0cf430f7b0eee62e2f000cc8ec62ac2940ef
	// reid -
	// device laptop-1
	// day 2026-11-21
	// included: <nil>
	// included: the leaf is not in the log: leaf 1 does not match the tree of size 3
}

// A client keeps the last checkpoint it saw. When it sees a newer one, it
// asks the server for a consistency proof: the newer tree must extend the
// older one, or the server rewrote its history.
func ExampleCheckConsistency() {
	var stored []tlog.Hash
	hashes := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hs := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			hs[i] = stored[x]
		}
		return hs, nil
	})
	var size int64
	add := func(leaf string) {
		h, err := tlog.StoredHashes(size, []byte(leaf), hashes)
		if err != nil {
			log.Fatal(err)
		}
		stored = append(stored, h...)
		size++
	}
	checkpoint := func() auditlog.Checkpoint {
		root, err := tlog.TreeHash(size, hashes)
		if err != nil {
			log.Fatal(err)
		}
		return auditlog.Checkpoint{Origin: "testimony-log-0123456789abcdef", Size: size, Root: root}
	}

	add("first leaf\n")
	add("second leaf\n")
	seen := checkpoint()

	add("third leaf\n")
	add("fourth leaf\n")
	add("fifth leaf\n")
	now := checkpoint()
	p, err := tlog.ProveTree(now.Size, seen.Size, hashes)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d to %d leaves: %v\n", seen.Size, now.Size, auditlog.CheckConsistency(seen, now, auditlog.Wire(p)))

	// Showing the client the older checkpoint again, after the newer one,
	// is a rollback.
	fmt.Printf("%d to %d leaves: %v\n", now.Size, seen.Size, auditlog.CheckConsistency(now, seen, nil))

	// Output:
	// 2 to 5 leaves: <nil>
	// 5 to 2 leaves: the log was rolled back: it is smaller than a checkpoint seen before: 2 leaves now, 5 seen before
}
