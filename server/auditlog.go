package server

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/auditlog"
	"testimony/internal/store"
)

// LogProof is the log part of a receipt: where the leaf of the submission
// (or lookup) is, and the proof that it is in the tree of a signed
// checkpoint.
type LogProof struct {
	// Index is the leaf's index in the log.
	Index int64 `json:"index"`
	// Proof is the RFC 6962 inclusion proof of the leaf in the tree of
	// Checkpoint (base64 hashes).
	Proof [][]byte `json:"proof"`
	// Checkpoint is the signed checkpoint (a signed note) the proof is for.
	Checkpoint string `json:"checkpoint"`
}

// Leaf returns the log leaf this receipt says records the submission. A
// client builds it from what it knows, not from what the server says the
// leaf is.
func (rc *Receipt) Leaf() ([]byte, error) {
	l := auditlog.Submission{ID: rc.ID, Device: rc.Device, Day: rc.Day}
	d, err := hex.DecodeString(rc.SHA256)
	if err != nil || len(d) != 32 {
		return nil, fmt.Errorf("%w: receipt digest %q", auditlog.ErrMalformed, rc.SHA256)
	}
	l.SHA256 = [32]byte(d)
	if rc.Reid != nil {
		d, err := hex.DecodeString(rc.Reid.SHA256)
		if err != nil || len(d) != 32 {
			return nil, fmt.Errorf("%w: receipt re-identification digest %q", auditlog.ErrMalformed, rc.Reid.SHA256)
		}
		rd := [32]byte(d)
		l.Reid = &rd
	}
	return l.MarshalLeaf()
}

// Verify checks the receipt's log proof: its checkpoint is signed by the
// log key, and the leaf built from the receipt is in that checkpoint's tree
// at the receipt's index. It returns the checkpoint.
func (rc *Receipt) Verify(logKey note.Verifier) (auditlog.Checkpoint, error) {
	return verifyProof(rc.Log, rc.Leaf, logKey)
}

// verifyProof checks that p's checkpoint is signed by the log key and that
// the leaf a receipt builds is in its tree at p's index.
func verifyProof(p *LogProof, leafOf func() ([]byte, error), logKey note.Verifier) (auditlog.Checkpoint, error) {
	if p == nil {
		return auditlog.Checkpoint{}, errors.New("the receipt has no log proof")
	}
	cp, err := auditlog.Open([]byte(p.Checkpoint), logKey)
	if err != nil {
		return auditlog.Checkpoint{}, err
	}
	leaf, err := leafOf()
	if err != nil {
		return auditlog.Checkpoint{}, err
	}
	if err := auditlog.CheckInclusion(cp, p.Index, leaf, p.Proof); err != nil {
		return auditlog.Checkpoint{}, err
	}
	return cp, nil
}

// treeHead is a signed checkpoint of the log.
type treeHead struct {
	cp     auditlog.Checkpoint
	signed []byte
}

// headCache keeps the newest signed checkpoint, so that the log is hashed
// and signed once per size, not once per request.
type headCache struct {
	mu   sync.Mutex
	head *treeHead
	// refresh is held by the one receipt that signs a newer checkpoint;
	// the others of its batch wait and use that one.
	refresh sync.Mutex
}

func (s *Server) hashReader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return s.cfg.Store.LogHashes(ctx, idx) })
}

// checkpoint returns a signed checkpoint of the log as it is now.
func (s *Server) checkpoint(ctx context.Context) (*treeHead, error) {
	n, err := s.cfg.Store.LogSize(ctx)
	if err != nil {
		return nil, err
	}
	s.heads.mu.Lock()
	h := s.heads.head
	s.heads.mu.Unlock()
	if h != nil && h.cp.Size == n {
		return h, nil
	}
	root, err := tlog.TreeHash(n, s.hashReader(ctx))
	if err != nil {
		return nil, fmt.Errorf("failed to hash the log: %w", err)
	}
	cp := auditlog.Checkpoint{Origin: s.cfg.LogKey.Name(), Size: n, Root: root}
	signed, err := auditlog.Sign(cp, s.cfg.LogKey)
	if err != nil {
		return nil, err
	}
	h = &treeHead{cp: cp, signed: signed}
	s.heads.mu.Lock()
	if s.heads.head == nil || s.heads.head.cp.Size < n {
		s.heads.head = h
	}
	s.heads.mu.Unlock()
	return h, nil
}

// logProof proves the leaf at index against a recent checkpoint: the newest
// one signed, if its tree holds the leaf, so that concurrent uploads share
// one signature per batch instead of one each.
func (s *Server) logProof(ctx context.Context, index int64) (*LogProof, error) {
	head := func() *treeHead {
		s.heads.mu.Lock()
		defer s.heads.mu.Unlock()
		return s.heads.head
	}
	h := head()
	if h == nil || h.cp.Size <= index {
		// The receipts of one commit all find the checkpoint too old:
		// one of them signs a new one, and the rest use it, instead of
		// each reading, hashing and signing the same tree.
		s.heads.refresh.Lock()
		if h = head(); h == nil || h.cp.Size <= index {
			var err error
			h, err = s.checkpoint(ctx)
			if err != nil {
				s.heads.refresh.Unlock()
				return nil, err
			}
		}
		s.heads.refresh.Unlock()
	}
	p, err := tlog.ProveRecord(h.cp.Size, index, s.hashReader(ctx))
	if err != nil {
		return nil, fmt.Errorf("failed to prove leaf %d: %w", index, err)
	}
	return &LogProof{Index: index, Proof: auditlog.Wire(p), Checkpoint: string(h.signed)}, nil
}

func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request) {
	h, err := s.checkpoint(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(h.signed)
}

// InclusionProof is the answer of GET /api/v1/log/inclusion.
type InclusionProof struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Proof [][]byte `json:"proof"`
}

// ConsistencyProof is the answer of GET /api/v1/log/consistency.
type ConsistencyProof struct {
	From  int64    `json:"from"`
	To    int64    `json:"to"`
	Proof [][]byte `json:"proof"`
}

// treeSize reads a tree size parameter: at most the log's size now.
func (s *Server) treeSize(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	if err != nil || n < 0 {
		return 0, apiErr(http.StatusBadRequest, "bad_request", name+" must be a tree size from a checkpoint")
	}
	size, err := s.cfg.Store.LogSize(r.Context())
	if err != nil {
		return 0, err
	}
	if n > size {
		return 0, apiErr(http.StatusNotFound, "beyond_log", fmt.Sprintf("the log has %d leaves, fewer than %s=%d", size, name, n))
	}
	return n, nil
}

func (s *Server) getInclusion(w http.ResponseWriter, r *http.Request) {
	size, err := s.treeSize(r, "size")
	if err != nil {
		s.fail(w, err)
		return
	}
	index, err := strconv.ParseInt(r.URL.Query().Get("index"), 10, 64)
	if err != nil || index < 0 || index >= size {
		s.fail(w, apiErr(http.StatusBadRequest, "bad_request", "index must be a leaf index below size"))
		return
	}
	p, err := tlog.ProveRecord(size, index, s.hashReader(r.Context()))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, InclusionProof{Index: index, Size: size, Proof: auditlog.Wire(p)})
}

func (s *Server) getConsistency(w http.ResponseWriter, r *http.Request) {
	to, err := s.treeSize(r, "to")
	if err != nil {
		s.fail(w, err)
		return
	}
	from, err := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
	if err != nil || from < 0 || from > to {
		s.fail(w, apiErr(http.StatusBadRequest, "bad_request", "from must be a tree size not above to"))
		return
	}
	proof := [][]byte{}
	if from > 0 && from < to {
		p, err := tlog.ProveTree(to, from, s.hashReader(r.Context()))
		if err != nil {
			s.fail(w, err)
			return
		}
		proof = auditlog.Wire(p)
	}
	writeJSON(w, http.StatusOK, ConsistencyProof{From: from, To: to, Proof: proof})
}

func (s *Server) getLeaf(w http.ResponseWriter, r *http.Request) {
	index, err := strconv.ParseInt(chi.URLParam(r, "index"), 10, 64)
	if err != nil || index < 0 {
		s.fail(w, apiErr(http.StatusBadRequest, "bad_request", "a leaf index is a number from 0"))
		return
	}
	leaf, err := s.cfg.Store.LogLeaf(r.Context(), index)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, apiErr(http.StatusNotFound, "not_found", "no such leaf"))
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(leaf)
}
