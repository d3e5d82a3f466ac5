package backup

import (
	"encoding/base64"

	"golang.org/x/mod/sumdb/tlog"
)

// treeBuilder computes the RFC 6962 root of a tree leaf by leaf in memory
// logarithmic in the number of leaves: it keeps the roots of the perfect
// subtrees along the tree's right edge, largest first.
type treeBuilder struct {
	n     int64
	stack []tlog.Hash
}

func (b *treeBuilder) add(leaf []byte) {
	h := tlog.RecordHash(leaf)
	for n := b.n; n&1 == 1; n >>= 1 {
		h = tlog.NodeHash(b.stack[len(b.stack)-1], h)
		b.stack = b.stack[:len(b.stack)-1]
	}
	b.stack = append(b.stack, h)
	b.n++
}

// root returns the tree hash of the leaves added so far, as
// tlog.TreeHash does.
func (b *treeBuilder) root() tlog.Hash {
	if b.n == 0 {
		h, _ := tlog.TreeHash(0, nil)
		return h
	}
	h := b.stack[len(b.stack)-1]
	for i := len(b.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(b.stack[i], h)
	}
	return h
}

func rootString(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }
