package server

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/mod/sumdb/note"

	"testimony/internal/agepolicy"
	"testimony/internal/auditlog"
	"testimony/internal/store"
)

// MaxLookupSize is the largest sealed reason of a lookup accepted, in bytes
// (or the server's MaxUpload, if that is smaller).
const MaxLookupSize = 64 << 10

// LookupReceipt is what the server answers for a recorded lookup: a
// custodian consulted the re-identification record of a submission, for a
// reason sealed to the custodians. A desk shows the real name only once the
// receipt verifies: then the lookup is in the log, where the server cannot
// remove it without the log showing it.
type LookupReceipt struct {
	ID string `json:"id"`
	// Submission is the ID of the submission whose record is consulted.
	Submission string `json:"submission"`
	// SHA256 and Size describe the sealed reason.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Day is the day the server accepted it.
	Day string `json:"day"`
	// Custodian is the token ID (not the label) of the custodian who
	// recorded it.
	Custodian string `json:"custodian"`
	// Log proves that the lookup is in the server's log. Receipts of
	// PUT /lookups/{id} carry it; list entries do not.
	Log *LogProof `json:"log,omitempty"`
}

// ListedLookup is one entry of the lookup list.
type ListedLookup struct {
	LookupReceipt
	Seq int64 `json:"seq"`
	// Leaf is the index of the lookup's leaf in the log.
	Leaf int64 `json:"leaf"`
}

// LookupList is the answer of GET /lookups: up to 1000 lookups by Seq, and
// the cursor of the next page.
type LookupList struct {
	Lookups []ListedLookup `json:"lookups"`
	Next    int64          `json:"next"`
}

// Leaf returns the log leaf this receipt says records the lookup. A client
// builds it from what it knows, not from what the server says the leaf is.
func (rc *LookupReceipt) Leaf() ([]byte, error) {
	d, err := hex.DecodeString(rc.SHA256)
	if err != nil || len(d) != 32 {
		return nil, fmt.Errorf("%w: receipt digest %q", auditlog.ErrMalformed, rc.SHA256)
	}
	return auditlog.Lookup{ID: rc.ID, SHA256: [32]byte(d), Submission: rc.Submission, Custodian: rc.Custodian, Day: rc.Day}.MarshalLeaf()
}

// Verify checks the receipt's log proof: its checkpoint is signed by the
// log key, and the leaf built from the receipt is in that checkpoint's tree
// at the receipt's index. It returns the checkpoint.
func (rc *LookupReceipt) Verify(logKey note.Verifier) (auditlog.Checkpoint, error) {
	return verifyProof(rc.Log, rc.Leaf, logKey)
}

var (
	errNoLookup     = apiErr(http.StatusNotFound, "not_found", "no such lookup")
	errNoSubmission = apiErr(http.StatusNotFound, "no_submission", "no submission has the ID in Testimony-Submission")
	errNoCustodians = apiErr(http.StatusUnprocessableEntity, "no_custodians", "the roster has no custodians, so no lookup reason can be sealed to them")
	errLookupHeader = apiErr(http.StatusBadRequest, "bad_request", "send the ID of the submission whose re-identification record is consulted in a Testimony-Submission header (32 lowercase hex digits)")
)

func lookupReceiptOf(l store.Lookup) LookupReceipt {
	return LookupReceipt{ID: l.ID, Submission: l.Submission, SHA256: hex.EncodeToString(l.Digest[:]), Size: l.Size, Day: l.Day, Custodian: l.Custodian}
}

// putLookup records a custodian's lookup and appends its leaf to the log,
// in one transaction, and answers with a receipt that proves it.
func (s *Server) putLookup(w http.ResponseWriter, r *http.Request) {
	id, err := submissionID(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	digest, ok := ParseContentDigest(r.Header.Get("Content-Digest"))
	if !ok {
		s.fail(w, errNoDigest)
		return
	}
	sub := r.Header.Get("Testimony-Submission")
	if !idPattern.MatchString(sub) {
		s.fail(w, errLookupHeader)
		return
	}
	custodian := tokenOf(r).ID
	// A retry after a lost receipt: the original receipt, proved in the
	// log as it is now. The same ID from another custodian, or for
	// another submission or reason, is a conflict: a record says who
	// looked, and nobody takes over another's.
	if e, err := s.cfg.Store.Lookup(r.Context(), id); err == nil {
		if e.Digest != digest || e.Submission != sub || e.Custodian != custodian {
			s.fail(w, store.ErrConflict)
			return
		}
		s.writeLookupReceipt(w, r, http.StatusOK, e)
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		s.fail(w, err)
		return
	}
	if _, err := s.cfg.Store.Submission(r.Context(), sub); errors.Is(err, store.ErrNotFound) {
		s.fail(w, errNoSubmission)
		return
	} else if err != nil {
		s.fail(w, err)
		return
	}
	cur := s.roster.Load().r
	if len(cur.Custodians) == 0 {
		s.fail(w, errNoCustodians)
		return
	}
	pol := agepolicy.Policy{StanzaType: cur.Kind().StanzaType(), Recipients: len(cur.Custodians)}
	size, body, err := s.receive(w, r, upload{digest: digest, policy: pol, limit: min(MaxLookupSize, s.cfg.MaxUpload), inline: true})
	if err != nil {
		s.fail(w, err)
		return
	}
	l := store.Lookup{ID: id, Submission: sub, Digest: digest, Size: size, Custodian: custodian, Day: s.day(), Body: body}
	stored, created, err := s.cfg.Store.AddLookup(r.Context(), l)
	if errors.Is(err, store.ErrNotFound) {
		err = errNoSubmission
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	s.writeLookupReceipt(w, r, status, stored)
}

// writeLookupReceipt answers with the receipt of l, proved in the log. If
// the proof fails, the lookup is recorded all the same; the client's retry
// gets its receipt.
func (s *Server) writeLookupReceipt(w http.ResponseWriter, r *http.Request, status int, l store.Lookup) {
	rc := lookupReceiptOf(l)
	p, err := s.logProof(r.Context(), l.Leaf)
	if err != nil {
		s.fail(w, err)
		return
	}
	rc.Log = p
	writeJSON(w, status, rc)
}

func (s *Server) listLookups(w http.ResponseWriter, r *http.Request) {
	after, limit, err := page(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	ls, err := s.cfg.Store.Lookups(r.Context(), after, limit)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := LookupList{Lookups: []ListedLookup{}, Next: after}
	for _, l := range ls {
		out.Lookups = append(out.Lookups, ListedLookup{LookupReceipt: lookupReceiptOf(l), Seq: l.Seq, Leaf: l.Leaf})
		out.Next = l.Seq
	}
	writeJSON(w, http.StatusOK, out)
}

// getLookup serves a lookup's sealed reason.
func (s *Server) getLookup(w http.ResponseWriter, r *http.Request) {
	id, err := submissionID(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	l, err := s.cfg.Store.Lookup(r.Context(), id)
	var body []byte
	if err == nil {
		body, err = s.cfg.Store.LookupBody(r.Context(), id)
	}
	if errors.Is(err, store.ErrNotFound) {
		err = errNoLookup
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	writeFile(w, body, l.Digest)
}
