package desk

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Every form the person posts answers with a redirect to a page (Post,
// Redirect, Get): a refresh shows the page again instead of sending the
// form again, and switching language shows the same page in the other
// language. What the post did travels to that page as a result kept in the
// desk's memory under a random ID, which the redirect names in its query
// ("?m=ID"): the address carries no name, no note text and no path typed,
// only an ID that means nothing once the desk locks or the result expires.

// result is what a post did, for the page it redirects to.
type result struct {
	ok   bool   // a message of success, else of failure
	msg  string // English, translated when it is shown
	args []any
	// detail is the technical detail of a failure the person cannot fix
	// (a disk error, the server's answer), shown folded.
	detail string
	// data is the page's own part of the result: what was typed (kept
	// when it was refused), what the post found.
	data any
	made time.Time
}

// Results are kept for resultTTL, at most maxResults of them, and all are
// forgotten when the desk locks (they may hold what was typed, or a
// custodian's answer).
const (
	resultTTL  = 30 * time.Minute
	maxResults = 64
)

type results struct {
	mu    sync.Mutex
	byID  map[string]*result
	order []string // oldest first
}

var resultID = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

func (rs *results) put(res *result) string {
	id := randomString(16)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.byID == nil {
		rs.byID = map[string]*result{}
	}
	for len(rs.order) >= maxResults {
		delete(rs.byID, rs.order[0])
		rs.order = rs.order[1:]
	}
	rs.byID[id] = res
	rs.order = append(rs.order, id)
	return id
}

func (rs *results) get(id string, now time.Time) *result {
	if !resultID.MatchString(id) {
		return nil
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	res := rs.byID[id]
	if res == nil || now.Sub(res.made) > resultTTL {
		return nil
	}
	return res
}

func (rs *results) forget() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.byID, rs.order = nil, nil
}

// done keeps res and redirects to page (a desk path, possibly with a
// query and a "#fragment") with the result's ID.
func (d *Desk) done(w http.ResponseWriter, r *http.Request, page string, res *result) {
	res.made = d.cfg.Now()
	id := d.results.put(res)
	path, frag, _ := strings.Cut(page, "#")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	target := path + sep + "m=" + id
	if frag != "" {
		target += "#" + frag
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// ok redirects to page with a message of success (msg is English, args
// are formatted into its translation).
func (d *Desk) ok(w http.ResponseWriter, r *http.Request, page string, data any, msg string, args ...any) {
	d.done(w, r, page, &result{ok: true, msg: msg, args: args, data: data})
}

// refused redirects to page with a message of failure. msg is English and
// translated; err, for failures the person cannot fix, is the folded
// technical detail (nil for a mistake in what they typed).
func (d *Desk) refused(w http.ResponseWriter, r *http.Request, page string, data any, msg string, err error) {
	res := &result{msg: msg, data: data}
	if err != nil {
		res.detail = err.Error()
	}
	d.done(w, r, page, res)
}

// result returns the result the request's address names, or nil.
func (d *Desk) result(r *http.Request) *result {
	return d.results.get(r.URL.Query().Get("m"), d.cfg.Now())
}

// resultData returns the data of the request's result if it is a T.
func resultData[T any](d *Desk, r *http.Request) (T, bool) {
	var zero T
	res := d.result(r)
	if res == nil {
		return zero, false
	}
	v, ok := res.data.(T)
	return v, ok
}

// withResult returns page with the request's result ID, for a link that
// should show the same result (the language switch uses Back instead).
func withResult(r *http.Request, page string) string {
	m := r.URL.Query().Get("m")
	if !resultID.MatchString(m) {
		return page
	}
	return page + "?m=" + url.QueryEscape(m)
}
