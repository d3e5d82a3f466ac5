package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"testimony/internal/store"
)

// Handler returns the whole HTTP API. The route table is here and nowhere
// else; docs/api.md describes it.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.logRequests)
	r.Use(s.limitByAddress(s.cfg.RatePerAddress))
	r.Get("/healthz", s.healthz)
	r.Route("/api/v1", func(r chi.Router) {
		r.Post("/enroll", s.enroll)
		r.With(s.require(store.Interviewer, store.Reviewer, store.Custodian, store.Admin)).Get("/roster", s.getRoster)
		r.With(s.require(store.Admin)).Put("/roster", s.putRoster)
		r.With(s.require(store.Interviewer)).Put("/submissions/{id}", s.putSubmission)
		r.With(s.require(store.Interviewer)).Put("/submissions/{id}/reid", s.putReid)
		r.With(s.require(store.Interviewer, store.Reviewer, store.Custodian, store.Admin)).Get("/whoami", s.whoami)
		r.With(s.require(store.Reviewer, store.Custodian)).Get("/submissions", s.listSubmissions)
		r.With(s.require(store.Reviewer, store.Interviewer)).Get("/submissions/{id}", s.getSubmission)
		r.With(s.require(store.Custodian, store.Interviewer)).Get("/submissions/{id}/reid", s.getReid)
		r.With(s.require(store.Interviewer, store.Reviewer, store.Custodian, store.Admin)).Get("/log/checkpoint", s.getCheckpoint)
		r.With(s.require(store.Interviewer, store.Reviewer, store.Custodian, store.Admin)).Get("/log/inclusion", s.getInclusion)
		r.With(s.require(store.Interviewer, store.Reviewer, store.Custodian, store.Admin)).Get("/log/consistency", s.getConsistency)
		r.With(s.require(store.Reviewer, store.Custodian)).Get("/log/leaves/{index}", s.getLeaf)
		r.With(s.require(store.Reviewer)).Put("/annotations/{id}", s.putAnnotation)
		r.With(s.require(store.Reviewer)).Get("/annotations", s.listAnnotations)
		r.With(s.require(store.Reviewer)).Get("/annotations/{id}", s.getAnnotation)
		r.With(s.require(store.Custodian)).Put("/lookups/{id}", s.putLookup)
		r.With(s.require(store.Custodian)).Get("/lookups", s.listLookups)
		r.With(s.require(store.Custodian)).Get("/lookups/{id}", s.getLookup)
		r.With(s.require(store.Admin)).Put("/forms/{id}/{version}", s.putForm)
		r.With(s.require(store.Interviewer, store.Reviewer, store.Custodian, store.Admin)).Get("/forms", s.listForms)
		r.With(s.require(store.Interviewer, store.Reviewer, store.Custodian, store.Admin)).Get("/forms/{id}/{version}", s.getForm)
	})
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		s.fail(w, apiErr(http.StatusNotFound, "no_route", "no such API endpoint"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		s.fail(w, apiErr(http.StatusMethodNotAllowed, "method", "method not allowed here"))
	})
	// Deadlines and caps come first, before even the origin check: a
	// request refused there must not wait for its body either.
	return s.limits(http.NewCrossOriginProtection().Handler(r))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.cfg.Store.Roster(r.Context()); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// whoami tells a client what its token may do.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	t := tokenOf(r)
	writeJSON(w, http.StatusOK, map[string]string{"id": t.ID, "role": string(t.Role), "label": t.Label, "device": t.Device})
}
