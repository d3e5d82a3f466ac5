package desk

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"testimony/internal/survey"
	"testimony/internal/survey/export"
)

// The reviewer's survey export: a form in the page chooses the format,
// names or labels, free text, the quasi-identifiers, k, generalizations
// and suppression; "Check" shows how many responses are unique or in
// groups below k with those choices, and "Download" sends a zip of the
// table(s) and the disclosure record, or refuses while small groups
// remain (see package export). Nothing is written on this computer but the
// download the browser saves; an XLSX sheet larger than 16 MiB spills into
// a private directory in the desk's home while it is made.

// maxExportForm bounds the export page's form.
const maxExportForm = 64 << 10

// surveyExportView is the export page.
type surveyExportView struct {
	Form     *survey.Form
	Versions []string
	Version  string
	Records  int
	Skipped  int
	// Choices made (or defaults).
	Format    string
	Labels    bool
	Language  string
	FreeText  bool
	Geo       string
	Quasi     map[string]bool
	K         int
	MinK      int
	AgeBand   int
	YearRange int
	Province  bool
	Suppress  string
	Insecure  bool
	// Questions that can be quasi-identifiers.
	Candidates []exportCandidate
	// The check, once made.
	Checked    bool
	Disclosure export.Disclosure
	Problem    string
}

// exportCandidate is a question that can be marked as a quasi-identifier.
type exportCandidate struct {
	Name, Label, Kind string
}

// exportFields are the export page's form fields: the choices, which say
// nothing of any answer (question names, numbers, formats), and may travel
// in the page's address.
var exportFields = []string{"version", "format", "headers", "language", "free_text", "geo", "quasi", "k", "age", "year", "place", "suppress", "insecure_allow_small_groups"}

// exportChoices reads the choices made in vals, or the defaults if none
// were (chosen false).
func exportChoices(r *http.Request, vals url.Values, f *survey.Form, chosen bool) (*surveyExportView, export.Options, error) {
	v := &surveyExportView{Form: f, Format: "csv", Language: f.DefaultLanguage, Geo: "1", K: f.MinCell, MinK: survey.MinCellFloor, Quasi: map[string]bool{}}
	if lang(r) == "ko" && slices.ContainsFunc(f.Languages, func(l survey.Language) bool { return l.Code == "ko" }) {
		v.Language = "ko"
	}
	_ = f.Walk(func(q, repeat *survey.Question) error {
		if repeat == nil && q.Type.HasAnswer() {
			v.Candidates = append(v.Candidates, exportCandidate{Name: q.Name, Label: q.Label.In(v.Language, f.DefaultLanguage), Kind: q.Identifier})
			if !chosen && q.Identifier != "" {
				v.Quasi[q.Name] = true
			}
		}
		return nil
	})
	if chosen {
		v.Format = vals.Get("format")
		v.Labels = vals.Get("headers") == "labels"
		if l := vals.Get("language"); l != "" {
			v.Language = l
		}
		v.FreeText = vals.Get("free_text") == "1"
		v.Geo = vals.Get("geo")
		for _, q := range vals["quasi"] {
			v.Quasi[q] = true
		}
		v.AgeBand, _ = strconv.Atoi(vals.Get("age"))
		v.YearRange, _ = strconv.Atoi(vals.Get("year"))
		v.Province = vals.Get("place") == "province"
		v.Suppress = vals.Get("suppress")
		v.Insecure = vals.Get("insecure_allow_small_groups") == "1"
		k, err := strconv.Atoi(vals.Get("k"))
		if err != nil || k < survey.MinCellFloor || k > 1000 {
			return v, export.Options{}, fmt.Errorf("k must be a whole number from %d to 1000", survey.MinCellFloor)
		}
		v.K = k
	}
	o := export.Options{
		Format: export.Format(v.Format), Labels: v.Labels, Language: v.Language, FreeText: v.FreeText,
		K: v.K, Suppress: export.Suppression(v.Suppress), AllowSmallGroups: v.Insecure,
		Generalize: export.Generalization{AgeBand: v.AgeBand, YearRange: v.YearRange, Province: v.Province},
		Quasi:      []string{},
	}
	for _, c := range v.Candidates {
		if v.Quasi[c.Name] {
			o.Quasi = append(o.Quasi, c.Name)
		}
	}
	switch v.Geo {
	case "none":
		o.GeoDecimals = export.GeoOmit
	default:
		n, err := strconv.Atoi(v.Geo)
		if err != nil || n < 0 || n > 2 {
			return v, o, errors.New("choose how precisely geopoints are kept")
		}
		o.GeoDecimals = n
	}
	if !slices.Contains(export.Formats, o.Format) {
		return v, o, errors.New("choose CSV, JSON Lines or XLSX")
	}
	return v, o, nil
}

// surveyExportPage shows the export page: the defaults, or the choices in
// its address (check=1) and what they give.
func (d *Desk) surveyExportPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	q := r.URL.Query()
	d.surveyExport(w, r, u, q, q.Get("check") == "1", false)
}

// surveyExportPost downloads the export, or (Check) shows the page with
// the choices made: a redirect to the page with the choices in its
// address, so that a refresh or the language switch shows the same check
// without sending the form again.
func (d *Desk) surveyExportPost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	r.Body = http.MaxBytesReader(w, r.Body, maxExportForm)
	if err := r.ParseForm(); err != nil {
		d.refuse(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	if r.PostFormValue("action") == "download" {
		d.surveyExport(w, r, u, r.PostForm, true, true)
		return
	}
	http.Redirect(w, r, exportPageAddress(r.PathValue("form"), r.PostForm), http.StatusSeeOther)
}

// exportPageAddress is the export page of form with the choices in vals.
func exportPageAddress(form string, vals url.Values) string {
	q := url.Values{"check": {"1"}}
	for _, k := range exportFields {
		if vs, ok := vals[k]; ok {
			q[k] = vs
		}
	}
	return "/surveys/" + url.PathEscape(form) + "/export?" + q.Encode()
}

func (d *Desk) surveyExport(w http.ResponseWriter, r *http.Request, u *unlocked, vals url.Values, chosen, download bool) {
	forms, records, skipped, err := d.surveyRecords(u, r.PathValue("form"))
	if err != nil || len(forms) == 0 {
		d.refuse(w, r, http.StatusNotFound, "There are no responses to this form in the inbox.")
		return
	}
	// One version at a time: its columns are its questions.
	p := forms[len(forms)-1]
	want := vals.Get("version")
	for _, f := range forms {
		if f.Form.Version == want {
			p = f
		}
	}
	v, o, err := exportChoices(r, vals, p.Form, chosen)
	// A download refused goes back to the page, with the choices made.
	back := func(msg string, args ...any) {
		d.done(w, r, exportPageAddress(r.PathValue("form"), vals), &result{msg: msg, args: args})
	}
	for _, f := range forms {
		v.Versions = append(v.Versions, f.Form.Version)
	}
	v.Version, v.Skipped = p.Form.Version, skipped
	for _, rec := range records {
		if rec.Response.Version == p.Form.Version {
			v.Records++
		}
	}
	if err != nil {
		if download {
			// The page with these choices says what is wrong with them.
			http.Redirect(w, r, exportPageAddress(r.PathValue("form"), vals), http.StatusSeeOther)
			return
		}
		v.Problem = tr(lang(r), err.Error())
		d.render(w, r, http.StatusBadRequest, "survey_export", "Export", v)
		return
	}
	o.Day = d.cfg.Now().UTC().Format(time.DateOnly)
	o.TmpDir = d.path()
	x, err := export.Prepare(p.Form, export.Records(records), o)
	if err != nil {
		if download {
			// The page with these choices says what is wrong with them.
			http.Redirect(w, r, exportPageAddress(r.PathValue("form"), vals), http.StatusSeeOther)
			return
		}
		v.Problem = tr(lang(r), "These choices do not fit the form: %s", err.Error())
		d.render(w, r, http.StatusBadRequest, "survey_export", "Export", v)
		return
	}
	v.Checked, v.Disclosure = true, x.Disclosure()
	if !download {
		d.render(w, r, http.StatusOK, "survey_export", "Export", v)
		return
	}
	if err := x.Check(); err != nil {
		back("Nothing was downloaded: %d of %d responses are in groups of fewer than %d people with the same answers to the marked questions. Generalize, suppress, or mark fewer questions.", v.Disclosure.After.BelowK, v.Disclosure.After.Rows, v.Disclosure.K)
		return
	}
	base := fmt.Sprintf("%s-%s-%s", p.Form.ID, p.Form.Version, o.Day)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err = x.Write(base+"."+string(o.Format), func(name string) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: dayOnly(o.Day)})
	})
	if err == nil {
		disc := x.Disclosure()
		var text []byte
		if text, err = disc.Marshal(); err == nil {
			var sw io.Writer
			if sw, err = zw.CreateHeader(&zip.FileHeader{Name: export.DisclosureFile(base + "." + string(o.Format)), Method: zip.Deflate, Modified: dayOnly(o.Day)}); err == nil {
				_, err = sw.Write(text)
			}
		}
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		d.cfg.Log.Warn("a survey export failed", "err", err.Error())
		d.done(w, r, exportPageAddress(r.PathValue("form"), vals), &result{msg: "The export failed.", detail: err.Error()})
		return
	}
	d.cfg.Log.Info("exported a survey", "form", p.Form.ID, "version", p.Form.Version, "rows", v.Disclosure.After.Rows, "format", string(o.Format))
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+base+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// dayOnly is the zip entries' time: the day of the export, no hour.
func dayOnly(day string) time.Time {
	t, _ := time.Parse(time.DateOnly, day)
	return t
}
