package desk

import (
	"io/fs"
	"net/http"
)

// Handler returns the desk's whole route table, behind the security checks:
// the setup page's until the home holds a profile, then the profile's.
func (d *Desk) Handler() http.Handler {
	if d.InSetup() {
		return d.security(d.setupRoutes())
	}
	return d.security(d.routes())
}

// routes is the route table of a desk with a profile.
func (d *Desk) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /lang", d.setLang)
	mux.HandleFunc("GET /unlock", d.unlockPage)
	mux.HandleFunc("POST /unlock", d.unlockPost)
	mux.HandleFunc("GET /unlock/progress", d.unlockProgress)
	mux.HandleFunc("POST /lock", d.lockPost)
	mux.HandleFunc("GET /{$}", d.needUnlocked(d.home))

	switch d.profile.Role {
	case Interviewer:
		mux.HandleFunc("POST /interview/new", d.needUnlocked(d.newInterview))
		mux.HandleFunc("GET /interview/{id}", d.needUnlocked(d.interviewPage))
		mux.HandleFunc("POST /interview/{id}", d.needUnlocked(d.interviewPost))
		mux.HandleFunc("POST /interview/{id}/preview", d.needUnlocked(d.previewFragment))
		mux.HandleFunc("POST /survey/new", d.needUnlocked(d.newSurvey))
		mux.HandleFunc("GET /survey/{id}", d.needUnlocked(d.surveyPage))
		mux.HandleFunc("POST /survey/{id}", d.needUnlocked(d.surveyPost))
		mux.HandleFunc("POST /survey/{id}/preview", d.needUnlocked(d.surveyPreviewFragment))
		mux.HandleFunc("GET /outbox", d.needUnlocked(d.outboxPage))
		mux.HandleFunc("POST /outbox/sync", d.needUnlocked(d.syncPost))
		mux.HandleFunc("POST /outbox/export", d.needUnlocked(d.exportPost))
		mux.HandleFunc("POST /outbox/import", d.needUnlocked(d.importPost))
	case Reviewer:
		mux.HandleFunc("POST /pull", d.needUnlocked(d.pullPost))
		mux.HandleFunc("GET /pull", d.needUnlocked(d.pullPage))
		mux.HandleFunc("GET /t/{id}", d.needUnlocked(d.testimonyPage))
		mux.HandleFunc("GET /t/{id}/a/{n}", d.needUnlocked(d.attachment))
		mux.HandleFunc("POST /t/{id}/annotate", d.needUnlocked(d.annotatePost))
		mux.HandleFunc("POST /verify", d.needUnlocked(d.verifyPost))
		mux.HandleFunc("GET /verify", d.needUnlocked(d.verifyPage))
		mux.HandleFunc("GET /surveys", d.needUnlocked(d.surveysPage))
		mux.HandleFunc("GET /surveys/{form}", d.needUnlocked(d.surveyStatsPage))
		mux.HandleFunc("GET /surveys/{form}/crosstab", d.needUnlocked(d.surveyCrossPage))
		mux.HandleFunc("GET /surveys/{form}/export", d.needUnlocked(d.surveyExportPage))
		mux.HandleFunc("POST /surveys/{form}/export", d.needUnlocked(d.surveyExportPost))
	case Custodian:
		mux.HandleFunc("POST /pull", d.needUnlocked(d.pullPost))
		mux.HandleFunc("GET /pull", d.needUnlocked(d.pullPage))
		mux.HandleFunc("POST /lookup", d.needUnlocked(d.lookupPost))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d.refuse(w, r, http.StatusNotFound, "There is no such page on this desk.")
	})
	return mux
}
