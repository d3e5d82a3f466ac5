package desk

import (
	"fmt"
	"net/http"
	"sync"

	"golang.org/x/text/language"
)

// The desk speaks Korean and English. Pages and messages are written in
// English in the code and templates; ko holds the Korean for each. A test
// renders every page in Korean and fails on any text without Korean.

var matcher = language.NewMatcher([]language.Tag{language.English, language.Korean})

// lang returns "ko" or "en": the person's choice (cookie), else the
// browser's preference.
func lang(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "ko" || c.Value == "en") {
		return c.Value
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if _, i, conf := matcher.Match(tags...); i == 1 && conf != language.No {
		return "ko"
	}
	return "en"
}

// setLang switches the language and goes back to the page.
func (d *Desk) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("to")
	if l != "ko" && l != "en" {
		l = "en"
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, deskPath(r.URL.Query().Get("back")), http.StatusSeeOther)
}

var (
	missingMu sync.Mutex
	missing   = map[string]bool{} // English texts without Korean, for the test
)

// tr translates an English text, formatting args into it.
func tr(l, en string, args ...any) string {
	s := en
	if k, ok := enKeyed[en]; ok && l != "ko" {
		s = k
	} else if l == "ko" {
		if k, ok := ko[en]; ok {
			s = k
		} else {
			missingMu.Lock()
			missing[en] = true
			missingMu.Unlock()
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// enKeyed is the English of texts the templates name by a key made from
// data (role:…, kind:…, lang:…), not by their English.
var enKeyed = map[string]string{
	"role:":            "–",
	"role:interviewee": "interviewee",
	"role:relative":    "relative",
	"role:broker":      "broker",
	"role:official":    "official",
	"role:other":       "other",
	"kind:person":      "person",
	"kind:place":       "place",
	"lang:ko":          "Korean",
	"lang:en":          "English",
	"lang:und":         "other",
}
