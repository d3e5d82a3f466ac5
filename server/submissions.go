package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"testimony/internal/agepolicy"
	"testimony/internal/blob"
	"testimony/internal/envelope"
	"testimony/internal/store"
)

// Receipt is what the server answers for an accepted submission.
type Receipt struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Reid describes the re-identification record committed with it.
	Reid *FileRef `json:"reid,omitempty"`
	// Day is the day the server accepted it.
	Day string `json:"day"`
	// Device is the device ID of the token that submitted it, if any.
	Device string `json:"device,omitempty"`
	// Log proves that the submission is in the server's log. Receipts of
	// PUT /submissions/{id} carry it; list entries do not.
	Log *LogProof `json:"log,omitempty"`
}

// FileRef names a stored file by digest and size.
type FileRef struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Listed is one entry of the submission list.
type Listed struct {
	Receipt
	Seq int64 `json:"seq"`
	// Leaf is the index of the submission's leaf in the log.
	Leaf int64 `json:"leaf"`
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// submissionID returns the {id} of the request (of a submission, an
// annotation or a lookup), validated before anything touches storage: 32
// lowercase hex digits, nothing else (no paths, no look-alike characters, no
// other case).
func submissionID(r *http.Request) (string, error) {
	id := chi.URLParam(r, "id")
	if !idPattern.MatchString(id) {
		return "", errBadID
	}
	return id, nil
}

func receiptOf(s store.Submission) Receipt {
	rc := Receipt{ID: s.ID, SHA256: hex.EncodeToString(s.Digest[:]), Size: s.Size, Day: s.Day, Device: s.Device}
	if s.HasReid {
		rc.Reid = &FileRef{SHA256: hex.EncodeToString(s.ReidDigest[:]), Size: s.ReidSize}
	}
	return rc
}

// ParseContentDigest returns the SHA-256 in an RFC 9530 Content-Digest
// header value, like `sha-256=:<base64>:`.
func ParseContentDigest(v string) ([32]byte, bool) {
	var d [32]byte
	for _, item := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || strings.ToLower(k) != "sha-256" || len(val) < 2 || val[0] != ':' || val[len(val)-1] != ':' {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(val[1 : len(val)-1])
		if err != nil || len(b) != 32 {
			return d, false
		}
		copy(d[:], b)
		return d, true
	}
	return d, false
}

// ContentDigest formats d as an RFC 9530 Content-Digest value.
func ContentDigest(d [32]byte) string {
	return "sha-256=:" + base64.StdEncoding.EncodeToString(d[:]) + ":"
}

var errNoDigest = apiErr(http.StatusBadRequest, "digest_required", "send the file's SHA-256 in a Content-Digest header (sha-256=:BASE64:)")

func (s *Server) putSubmission(w http.ResponseWriter, r *http.Request) {
	id, err := submissionID(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	if err := s.checkPusher(tokenOf(r)); err != nil {
		s.fail(w, err)
		return
	}
	digest, ok := ParseContentDigest(r.Header.Get("Content-Digest"))
	if !ok {
		s.fail(w, errNoDigest)
		return
	}
	var reidDigest [32]byte
	hasReid := false
	if v := r.Header.Get("Testimony-Reid-Digest"); v != "" {
		if reidDigest, hasReid = ParseContentDigest(v); !hasReid {
			s.fail(w, apiErr(http.StatusBadRequest, "bad_request", "Testimony-Reid-Digest must be sha-256=:BASE64:"))
			return
		}
	}
	same := func(e store.Submission) bool {
		return e.Digest == digest && e.HasReid == hasReid && (!hasReid || e.ReidDigest == reidDigest)
	}
	// An upload retried after its receipt was lost: answer with the
	// original receipt without reading the body again.
	if e, err := s.cfg.Store.Submission(r.Context(), id); err == nil {
		if !same(e) {
			s.fail(w, store.ErrConflict)
			return
		}
		s.writeReceipt(w, r, http.StatusOK, e)
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		s.fail(w, err)
		return
	}
	pol, err := s.reviewersPolicy()
	if err != nil {
		s.fail(w, err)
		return
	}
	size, body, err := s.receive(w, r, upload{digest: digest, policy: pol, extra: sealedPayload, limit: s.cfg.MaxUpload, inline: true, key: id})
	if err != nil {
		s.fail(w, err)
		return
	}
	sub := store.Submission{ID: id, Digest: digest, Size: size, Body: body, Device: tokenOf(r).Device, Day: s.day()}
	if hasReid {
		n, err := s.stagedSize(r, id+".reid", reidDigest)
		if err != nil {
			s.fail(w, err)
			return
		}
		sub.HasReid, sub.ReidDigest, sub.ReidSize = true, reidDigest, n
	}
	stored, created, err := s.cfg.Store.AddSubmission(r.Context(), sub)
	if err != nil {
		s.fail(w, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	s.writeReceipt(w, r, status, stored)
}

// writeReceipt answers with the receipt of sub, proved in the log. If the
// proof fails, the submission is stored all the same; the client's retry
// gets its receipt.
func (s *Server) writeReceipt(w http.ResponseWriter, r *http.Request, status int, sub store.Submission) {
	rc := receiptOf(sub)
	p, err := s.logProof(r.Context(), sub.Leaf)
	if err != nil {
		s.fail(w, err)
		return
	}
	rc.Log = p
	writeJSON(w, status, rc)
}

// putReid stages a re-identification record. It becomes part of the
// submission only when the sealed file is put with a matching
// Testimony-Reid-Digest; until then nobody can fetch it.
func (s *Server) putReid(w http.ResponseWriter, r *http.Request) {
	id, err := submissionID(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	if err := s.checkPusher(tokenOf(r)); err != nil {
		s.fail(w, err)
		return
	}
	digest, ok := ParseContentDigest(r.Header.Get("Content-Digest"))
	if !ok {
		s.fail(w, errNoDigest)
		return
	}
	if e, err := s.cfg.Store.Submission(r.Context(), id); err == nil {
		if !e.HasReid || e.ReidDigest != digest {
			s.fail(w, store.ErrConflict)
			return
		}
		writeJSON(w, http.StatusOK, FileRef{SHA256: hex.EncodeToString(digest[:]), Size: e.ReidSize})
		return
	}
	cur := s.roster.Load().r
	if len(cur.Custodians) == 0 {
		s.fail(w, apiErr(http.StatusUnprocessableEntity, "policy", "the roster has no custodians, so no re-identification record can be accepted"))
		return
	}
	pol := agepolicy.Policy{StanzaType: cur.Kind().StanzaType(), Recipients: len(cur.Custodians)}
	size, _, err := s.receive(w, r, upload{digest: digest, policy: pol, limit: s.cfg.MaxUpload, key: id + ".reid"})
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, FileRef{SHA256: hex.EncodeToString(digest[:]), Size: size})
}

// stagedSize checks that a staged blob exists with the digest and returns
// its size.
func (s *Server) stagedSize(r *http.Request, key string, digest [32]byte) (int64, error) {
	rc, _, err := s.cfg.Blobs.Get(r.Context(), key)
	if errors.Is(err, blob.ErrNotFound) {
		return 0, apiErr(http.StatusConflict, "reid_missing", "put the re-identification record (PUT …/reid) before the sealed file")
	}
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(h.Sum(nil), digest[:]) {
		return 0, apiErr(http.StatusConflict, "conflict", "the staged re-identification record has another digest")
	}
	return n, nil
}

// reviewersPolicy is the age header policy of a file sealed to the current
// roster's reviewers.
func (s *Server) reviewersPolicy() (agepolicy.Policy, error) {
	cur := s.roster.Load().r
	if len(cur.Reviewers) == 0 {
		return agepolicy.Policy{}, errNoReviewers
	}
	return agepolicy.Policy{StanzaType: cur.Kind().StanzaType(), Recipients: len(cur.Reviewers)}, nil
}

// upload says what file an upload must be and where it goes.
type upload struct {
	// digest is the SHA-256 the client sent in Content-Digest.
	digest [32]byte
	// policy is the age header policy the file must pass.
	policy agepolicy.Policy
	// extra is a further check of the payload length, or nil.
	extra func(int64) error
	// limit is the largest file accepted, in bytes.
	limit int64
	// inline asks for a file of at most store.MaxInlineBody bytes whole,
	// to be stored in the metadata transaction.
	inline bool
	// key is the blob key a larger file streams to; "" if the file must
	// fit inline.
	key string
}

// receive reads the request body, applying the age header policy before
// anything is stored and the payload length checks before anything becomes
// visible. With u.inline set, a file of at most store.MaxInlineBody bytes is
// returned whole, to be stored in the metadata transaction (one shared fsync
// makes a note durable); a larger one streams into the blob store under
// u.key.
func (s *Server) receive(w http.ResponseWriter, r *http.Request, u upload) (int64, []byte, error) {
	if r.ContentLength > u.limit {
		return 0, nil, blob.ErrTooLarge
	}
	// The body is already under its deadline (limits.go).
	body := http.MaxBytesReader(w, r.Body, u.limit)
	hdr, rest, err := agepolicy.ReadHeader(body)
	if err != nil {
		return 0, nil, err
	}
	if err := u.policy.CheckHeader(hdr); err != nil {
		return 0, nil, err
	}
	payload := &payloadReader{r: rest, pol: u.policy, extra: u.extra}
	var head []byte
	if u.inline && len(hdr) < store.MaxInlineBody {
		room := int64(store.MaxInlineBody - len(hdr))
		head, err = io.ReadAll(io.LimitReader(payload, room+1))
		if err != nil {
			return 0, nil, err
		}
		if int64(len(head)) <= room {
			// The whole file, its length already checked at its end.
			file := append(hdr, head...)
			if sha256.Sum256(file) != u.digest {
				return 0, nil, blob.ErrDigestMismatch
			}
			return int64(len(file)), file, nil
		}
	}
	if u.key == "" {
		return 0, nil, blob.ErrTooLarge
	}
	n, err := s.cfg.Blobs.Put(r.Context(), u.key, io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(head), payload), u.digest, u.limit)
	return n, nil, err
}

// payloadReader counts the payload and, at its end, checks its length, so
// that a file with an impossible length fails inside blob.Put and is never
// stored.
type payloadReader struct {
	r     io.Reader
	pol   agepolicy.Policy
	extra func(int64) error // a further check of the payload length, or nil
	n     int64
}

func (p *payloadReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if err == io.EOF {
		if perr := p.pol.CheckPayloadSize(p.n); perr != nil {
			return n, perr
		}
		if p.extra != nil {
			if perr := p.extra(p.n); perr != nil {
				return n, perr
			}
		}
	}
	return n, err
}

// sealedPayload rejects a sealed file whose payload length no sealed file
// can have (its plaintext is always PADMÉ-padded): most cut or extended
// uploads, without a key.
func sealedPayload(n int64) error {
	if _, err := envelope.PayloadPlaintextSize(n); err != nil {
		return &agepolicy.Rejection{Reason: "the payload length is not one a sealed testimony file can have: the file was cut short or extended"}
	}
	return nil
}

// MaxPage is the most entries one list request returns.
const MaxPage = 1000

// page reads the cursor and page size of a list request: after (a Seq from
// a previous list's next, 0 by default) and limit (1 to MaxPage, MaxPage by
// default).
func page(r *http.Request) (after int64, limit int, err error) {
	after, limit = 0, MaxPage
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, apiErr(http.StatusBadRequest, "bad_request", "after must be a cursor from a previous list")
		}
		after = n
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPage {
			return 0, 0, apiErr(http.StatusBadRequest, "bad_request", "limit must be between 1 and 1000")
		}
		limit = n
	}
	return after, limit, nil
}

func (s *Server) listSubmissions(w http.ResponseWriter, r *http.Request) {
	after, limit, err := page(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	subs, err := s.cfg.Store.Submissions(r.Context(), after, limit)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := struct {
		Submissions []Listed `json:"submissions"`
		Next        int64    `json:"next"`
	}{Submissions: []Listed{}, Next: after}
	for _, sub := range subs {
		out.Submissions = append(out.Submissions, Listed{Receipt: receiptOf(sub), Seq: sub.Seq, Leaf: sub.Leaf})
		out.Next = sub.Seq
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getSubmission(w http.ResponseWriter, r *http.Request) { s.serveBlob(w, r, false) }
func (s *Server) getReid(w http.ResponseWriter, r *http.Request)       { s.serveBlob(w, r, true) }

// serveBlob streams a stored file. Only files the metadata lists are
// served: a blob without its row (an upload that never completed) is not.
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request, reid bool) {
	id, err := submissionID(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	sub, err := s.cfg.Store.Submission(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	// An interviewer's device may fetch what it submitted itself, to check
	// that the server still holds it unchanged (testimony verify), and only
	// while the roster lists it with its token's key (devices.go). It holds
	// no key that opens either file. Anything else answers as if there
	// were no such file.
	if !s.mayFetch(tokenOf(r), sub) {
		s.fail(w, errNotFound)
		return
	}
	key, digest := id, sub.Digest
	if !reid {
		if body, ok, err := s.cfg.Store.SubmissionBody(r.Context(), id); err != nil {
			s.fail(w, err)
			return
		} else if ok {
			writeFile(w, body, digest)
			return
		}
	}
	if reid {
		if !sub.HasReid {
			s.fail(w, apiErr(http.StatusNotFound, "not_found", "this submission has no re-identification record"))
			return
		}
		key, digest = id+".reid", sub.ReidDigest
	}
	s.streamBlob(w, r, key, digest)
}

// writeFile answers with a stored file kept in the metadata store.
func writeFile(w http.ResponseWriter, body []byte, digest [32]byte) {
	fileHeaders(w, int64(len(body)), digest)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// streamBlob answers with the blob under key.
func (s *Server) streamBlob(w http.ResponseWriter, r *http.Request, key string, digest [32]byte) {
	rc, size, err := s.cfg.Blobs.Get(r.Context(), key)
	if err != nil {
		s.fail(w, err)
		return
	}
	defer rc.Close()
	fileHeaders(w, size, digest)
	w.WriteHeader(http.StatusOK)
	io.Copy(w, rc)
}

func fileHeaders(w http.ResponseWriter, size int64, digest [32]byte) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("Content-Digest", ContentDigest(digest))
	w.Header().Set("Cache-Control", "no-store")
}
