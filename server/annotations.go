package server

import (
	"encoding/hex"
	"errors"
	"net/http"

	"testimony/internal/store"
)

// MaxAnnotationSize is the largest annotation accepted, in bytes (or the
// server's MaxUpload, if that is smaller).
const MaxAnnotationSize = 1 << 20

// Annotation describes a reviewer's sealed annotation: the answer of
// PUT /annotations/{id} and an entry of the annotation list. The server
// cannot read an annotation; it states who uploaded it and when.
type Annotation struct {
	ID string `json:"id"`
	// Seq orders annotations; it is the cursor of the list.
	Seq    int64  `json:"seq"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Author is the label of the reviewer token that uploaded it: the
	// server's claim, which nothing checks. The author of a signed
	// annotation is inside it (internal/annotation); desks show this label
	// only for old unsigned annotations, marked as the server's claim.
	Author string `json:"author"`
	// Day is the day the server accepted it.
	Day string `json:"day"`
}

// AnnotationList is the answer of GET /annotations: up to 1000
// annotations by Seq, and the cursor of the next page.
type AnnotationList struct {
	Annotations []Annotation `json:"annotations"`
	Next        int64        `json:"next"`
}

var errNoAnnotation = apiErr(http.StatusNotFound, "not_found", "no such annotation")

func annotationOf(a store.Annotation) Annotation {
	return Annotation{ID: a.ID, Seq: a.Seq, SHA256: hex.EncodeToString(a.Digest[:]), Size: a.Size, Author: a.Author, Day: a.Day}
}

// annotationKey is the blob key of an annotation too large to keep inline.
func annotationKey(id string) string { return id + ".ann" }

// putAnnotation stores a reviewer's annotation, sealed to the roster's
// reviewers. Like a submission it is idempotent by ID and digest, and
// visible only once complete and durable; unlike one, it is not in the log.
func (s *Server) putAnnotation(w http.ResponseWriter, r *http.Request) {
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
	if e, err := s.cfg.Store.Annotation(r.Context(), id); err == nil {
		if e.Digest != digest {
			s.fail(w, store.ErrConflict)
			return
		}
		writeJSON(w, http.StatusOK, annotationOf(e))
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
	size, body, err := s.receive(w, r, upload{digest: digest, policy: pol, limit: min(MaxAnnotationSize, s.cfg.MaxUpload), inline: true, key: annotationKey(id)})
	if err != nil {
		s.fail(w, err)
		return
	}
	a := store.Annotation{ID: id, Digest: digest, Size: size, Body: body, Author: tokenOf(r).Label, Day: s.day()}
	stored, created, err := s.cfg.Store.AddAnnotation(r.Context(), a)
	if err != nil {
		s.fail(w, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	writeJSON(w, status, annotationOf(stored))
}

func (s *Server) listAnnotations(w http.ResponseWriter, r *http.Request) {
	after, limit, err := page(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	as, err := s.cfg.Store.Annotations(r.Context(), after, limit)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := AnnotationList{Annotations: []Annotation{}, Next: after}
	for _, a := range as {
		out.Annotations = append(out.Annotations, annotationOf(a))
		out.Next = a.Seq
	}
	writeJSON(w, http.StatusOK, out)
}

// getAnnotation serves an annotation's ciphertext. Only annotations the
// metadata lists are served.
func (s *Server) getAnnotation(w http.ResponseWriter, r *http.Request) {
	id, err := submissionID(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	a, err := s.cfg.Store.Annotation(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		err = errNoAnnotation
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	body, ok, err := s.cfg.Store.AnnotationBody(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	if ok {
		writeFile(w, body, a.Digest)
		return
	}
	s.streamBlob(w, r, annotationKey(id), a.Digest)
}
