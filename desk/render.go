package desk

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed templates/*.html templates/parts/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages are the parsed templates, one set per page.
type pages struct{ byName map[string]*template.Template }

var funcs = template.FuncMap{
	"t":    tr,
	"day":  formatDay,
	"size": formatSize,
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"roles": func() []string {
		return []string{"", "interviewee", "relative", "broker", "official", "other"}
	},
	"sizeOf":  func(b []byte) string { return formatSize(int64(len(b))) },
	"reason":  flagReason,
	"pseudos": pseudoMarks,
	"langName": func(l, tag string) string {
		if _, ok := enKeyed["lang:"+tag]; ok {
			return tr(l, "lang:"+tag)
		}
		return tag // a language the desk has no name for: its BCP 47 tag
	},
}

func loadPages() (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts/*.html", n)
		if err != nil {
			return nil, fmt.Errorf("desk template %s: %w", n, err)
		}
		p.byName[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return p, nil
}

// view is what every page template gets.
type view struct {
	L      string // "ko" or "en"
	Role   string
	Label  string
	Org    string
	Path   string
	Back   string // the page with its query, to come back to after switching language
	Title  string
	Locked bool
	Flash  string // a translated message of success
	Error  string // a translated message of failure
	Detail string // the technical detail of Error, in English
	Data   any
}

// render writes page name with data, or a plain error if it fails.
func (d *Desk) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, flash ...any) {
	v := d.view(r, title, data)
	if len(flash) > 0 {
		v.Flash = tr(v.L, flash[0].(string), flash[1:]...)
	}
	d.write(w, status, name, v)
}

func (d *Desk) write(w http.ResponseWriter, status int, name string, v *view) {
	t := d.pages.byName[name]
	if t == nil {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		d.cfg.Log.Error("failed to render a page", "page", name, "err", err.Error())
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (d *Desk) view(r *http.Request, title string, data any) *view {
	d.mu.Lock()
	locked := d.open == nil
	org := d.roster.Org
	d.mu.Unlock()
	l := lang(r)
	back := r.URL.EscapedPath()
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		back = r.URL.RequestURI()
	}
	back = deskPath(back)
	v := &view{L: l, Role: d.profile.Role, Label: d.profile.Label, Org: org, Path: r.URL.Path, Back: back,
		Title: tr(l, title), Locked: locked, Data: data}
	if res := d.result(r); res != nil && res.msg != "" && r.Method == http.MethodGet {
		if res.ok {
			v.Flash = tr(l, res.msg, res.args...)
		} else {
			v.Error, v.Detail = tr(l, res.msg, res.args...), res.detail
		}
	}
	return v
}

// fail shows page name again with an error message (msg is translated;
// err, if any, is shown as the technical detail).
func (d *Desk) fail(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, msg string, err error) {
	v := d.view(r, title, data)
	v.Error = tr(v.L, msg)
	if err != nil {
		v.Detail = err.Error()
	}
	d.write(w, status, name, v)
}

// refuse answers a request that may not be served, in the person's
// language, without the layout (the person may not be let in).
func (d *Desk) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := &view{L: lang(r), Title: tr(lang(r), "Refused"), Error: tr(lang(r), msg)}
	d.write(w, status, "refused", v)
}

// formName is how a page names the form a testimony answers (its
// manifest's "ID/version"): "Interview note" for a note, the survey's
// title in the language l when this desk holds that version, else the
// form's ID and version as they are.
func (d *Desk) formName(l, form string) string {
	id, version, ok := strings.Cut(form, "/")
	if form == "" || id == "note" {
		return tr(l, "Interview note")
	}
	if ok {
		if p, err := d.formVersion(id, version); err == nil {
			return p.Form.Title.In(l, p.Form.DefaultLanguage)
		}
	}
	return form
}

// formatDay writes a YYYY-MM-DD day in the language's way.
func formatDay(l, day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	if l == "ko" {
		return fmt.Sprintf("%d년 %d월 %d일", t.Year(), t.Month(), t.Day())
	}
	return fmt.Sprintf("%d %s %d", t.Day(), t.Month(), t.Year())
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// flagReason translates a pseudonymizer flag's reason by its fixed
// beginning; the entity IDs some reasons end with are kept.
func flagReason(l, reason string) string {
	if l != "ko" {
		return reason
	}
	for _, p := range flagReasons {
		if rest, ok := strings.CutPrefix(reason, p[0]); ok {
			return p[1] + rest
		}
	}
	return reason
}

var flagReasons = [][2]string{
	{"looks like a Korean name that nobody declared", "선언되지 않은 한국 사람 이름으로 보입니다"},
	{"looks like a Korean name in Chinese characters that nobody declared", "선언되지 않은 한자 이름으로 보입니다"},
	{"a name that is both a town and a river or mountain; the town is not written here", "도시 이름이자 강·산 이름이라, 여기서는 도시로 바꾸지 않았습니다"},
	{"a name with a title that nobody declared", "직함이 붙은, 선언되지 않은 이름입니다"},
	{"a surname with a title, which could be ", "직함이 붙은 성으로, 다음 중 누구일 수 있습니다: "},
	{"a surname with a title", "직함이 붙은 성입니다"},
	{"a one-syllable given name of ", "너무 짧아 안전하게 바꿀 수 없는 한 음절 이름입니다: "},
	{"a place that nobody declared was generalized to its province", "선언되지 않은 장소를 도(道) 이름으로 바꾸었습니다"},
	{"this spelling fits more than one declared person ", "이 표기는 선언된 여러 사람에 해당합니다 "},
}
