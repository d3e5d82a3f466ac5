package desk

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzDraftEntities feeds the people and places table anything a person
// could type: it becomes a valid entities document or a clear error.
func FuzzDraftEntities(f *testing.F) {
	f.Add("박영수, Pak Yong-su", "m", "interviewee", "혜산, Hyesan", "량강도")
	f.Add(",,;\n、", "x", "", " ", "")
	f.Add("金錫漢", "f", "relative", "Hoeryŏng", "함경북도")
	f.Fuzz(func(t *testing.T, names, sex, role, place, prov string) {
		dr := &draft{People: []personRow{{Names: names, Sex: sex, Role: role}, {}}, Places: []placeRow{{Names: place, Province: prov}}}
		e, err := dr.entities()
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		for _, p := range e.People {
			if len(p.Names) == 0 {
				t.Fatalf("a person without names: %+v", p)
			}
			for _, n := range p.Names {
				if strings.TrimSpace(n) != n || n == "" {
					t.Fatalf("an untrimmed name %q", n)
				}
			}
		}
	})
}

// FuzzFlattenAnswers: any answers file becomes rows, never a panic.
func FuzzFlattenAnswers(f *testing.F) {
	f.Add([]byte(`{"a": {"b": [1, "x", null, true]}, "c": "d"}`))
	f.Add([]byte(`[[[[]]]]`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows := flattenAnswers(b)
		if len(b) > 0 && len(rows) == 0 && !strings.HasPrefix(strings.TrimSpace(string(b)), "{") && !strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
			t.Fatalf("%q gave no rows", b)
		}
	})
}

// FuzzFold: search folding gives valid text without spaces or marks, and
// folding twice changes nothing.
func FuzzFold(f *testing.F) {
	f.Add("Kim Sŏk-han 김석한은")
	f.Add("ＫＩＭ　ｓｅｏｋ\u200b")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		out := fold(s)
		if !utf8.ValidString(out) {
			t.Fatalf("fold(%q) is not UTF-8", s)
		}
		if strings.ContainsFunc(out, unicode.IsSpace) {
			t.Fatalf("fold(%q) = %q keeps a space", s, out)
		}
		if again := fold(out); again != out {
			t.Fatalf("fold is not stable: %q → %q → %q", s, out, again)
		}
	})
}

// FuzzDeskPath: wherever the desk sends a person back to (after
// unlocking, after switching language), the browser stays on the desk.
// The Location the desk writes is read the way a browser reads it (WHATWG
// URL: tabs and newlines dropped, leading and trailing spaces and control
// characters trimmed, "\" taken for "/") and resolved against the desk's
// address: the host must not change, and the path must be a desk page.
func FuzzDeskPath(f *testing.F) {
	for _, tc := range redirectCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := deskPath(s)
		if again := deskPath(out); again != out {
			t.Fatalf("deskPath(%q) = %q, but deskPath(%q) = %q", s, out, out, again)
		}
		u := browserResolve(t, s, out)
		if u.Scheme != "http" || u.Host != "127.0.0.1:1234" || u.User != nil {
			t.Fatalf("deskPath(%q) = %q: a browser goes to %s", s, out, u)
		}
		if !deskPage(u.Path) {
			t.Fatalf("deskPath(%q) = %q: a browser opens %q, not a desk page", s, out, u.Path)
		}
	})
}

// browserResolve returns where a browser on the desk goes when the desk
// redirects it to target (the output of deskPath for in).
func browserResolve(t *testing.T, in, target string) *url.URL {
	t.Helper()
	w := httptest.NewRecorder()
	http.Redirect(w, httptest.NewRequest(http.MethodGet, "/unlock", nil), target, http.StatusSeeOther)
	loc := w.Header().Get("Location")
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
	base, _ := url.Parse("http://127.0.0.1:1234/unlock")
	ref, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("deskPath(%q) = %q: Location %q does not parse: %v", in, target, loc, err)
	}
	return base.ResolveReference(ref)
}
