package desk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"
	"golang.org/x/text/unicode/norm"

	"testimony/internal/durable"
	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/internal/pseudonym"
	"testimony/keys"
)

// A draft is an interview not yet sealed. It is kept on disk only
// encrypted, to the profile's drafts key.
type draft struct {
	ID          string       `json:"id"`
	Day         string       `json:"day"`
	Language    string       `json:"language"`
	Note        string       `json:"note"`
	People      []personRow  `json:"people"`
	Places      []placeRow   `json:"places"`
	Accepted    []string     `json:"accepted"`
	Attachments []attachment `json:"attachments"`
	// Survey is set for a survey draft (see survey_fill.go); a note
	// draft has none.
	Survey *surveyDraft `json:"survey,omitempty"`
}

type personRow struct {
	Names string `json:"names"` // spellings, separated by commas
	Sex   string `json:"sex"`
	Role  string `json:"role"`
}

type placeRow struct {
	Names    string `json:"names"`
	Province string `json:"province"`
}

type attachment struct {
	Ext  string `json:"ext"`
	Type string `json:"type"`
	Data []byte `json:"data"`
	// Key is set for a survey's file answer: the answer holds it until
	// the survey is sealed (see survey_fill.go).
	Key string `json:"key,omitempty"`
}

// Limits of the interview form.
const (
	maxAttachments    = 20
	maxAttachmentSize = 64 << 20
	maxFormSize       = 256 << 20
)

var draftID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (d *Desk) draftPath(id string) string { return d.path("drafts", id+".age") }

func (d *Desk) saveDraft(dr *draft) error {
	b, err := json.Marshal(dr)
	if err != nil {
		return err
	}
	rc, err := keys.ParseRecipient(d.profile.Drafts)
	if err != nil {
		return fmt.Errorf("the profile's drafts key: %w", err)
	}
	if err := os.MkdirAll(d.path("drafts"), 0o700); err != nil {
		return err
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rc.Age())
	if err != nil {
		return err
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		return err
	}
	return durable.Replace(d.draftPath(dr.ID), buf.Bytes(), 0o600)
}

func (d *Desk) loadDraft(u *unlocked, id string) (*draft, error) {
	if !draftID.MatchString(id) {
		return nil, os.ErrNotExist
	}
	b, err := os.ReadFile(d.draftPath(id))
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(b), u.drafts)
	if err != nil {
		return nil, fmt.Errorf("failed to decrypt the draft: %w", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("the draft is damaged: %w", err)
	}
	var dr draft
	if err := json.Unmarshal(plain, &dr); err != nil || dr.ID != id {
		return nil, errors.New("the draft is damaged")
	}
	return &dr, nil
}

// draftSummary is a draft as the home page lists it: by its day and its
// size, never by its words. A note's first words are often a name (the
// home page is what anyone glancing at the screen sees), and even
// pseudonymized they would show any name nobody declared yet.
type draftSummary struct {
	ID, Day string
	// Words, People and Attachments count the note's words, the people
	// declared and the files attached.
	Words, People, Attachments int
	Saved                      time.Time
	// Survey is the title of the form a survey draft answers;
	// FormMissing is set when the desk no longer holds its version.
	Survey      string
	FormMissing bool
}

func (d *Desk) interviewerHome(w http.ResponseWriter, r *http.Request, u *unlocked) {
	d.render(w, r, http.StatusOK, "interviewer", "Interviews", d.interviewerData(u, lang(r)))
}

type interviewerData struct {
	Drafts []draftSummary
	Outbox outboxData
	// Forms are the surveys the interviewer can start; Refused the forms
	// the last sync refused.
	Forms   []formOffer
	Refused []refusalView
}

// interviewerData is the home page's data, with texts in the language l.
func (d *Desk) interviewerData(u *unlocked, l string) interviewerData {
	var out interviewerData
	files, _ := filepath.Glob(d.path("drafts", "*.age"))
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".age")
		dr, err := d.loadDraft(u, id)
		if err != nil {
			continue
		}
		fi, _ := os.Stat(f)
		sum := draftSummary{ID: id, Day: dr.Day, Words: len(strings.Fields(dr.Note)), Attachments: len(dr.Attachments), Saved: fi.ModTime()}
		for _, p := range dr.People {
			if len(splitNames(p.Names)) > 0 {
				sum.People++
			}
		}
		if dr.Survey != nil {
			sum.Survey, sum.FormMissing = dr.Survey.Form, true
			if p, err := d.formVersion(dr.Survey.Form, dr.Survey.Version); err == nil && p.Digest == dr.Survey.Digest {
				sum.Survey, sum.FormMissing = p.Form.Title.In(l, p.Form.DefaultLanguage), false
			}
		}
		out.Drafts = append(out.Drafts, sum)
	}
	sort.Slice(out.Drafts, func(i, j int) bool { return out.Drafts[i].Saved.After(out.Drafts[j].Saved) })
	out.Outbox = d.outbox()
	out.Forms = d.formOffers(l)
	out.Refused = d.formRefusals(l)
	return out
}

func (d *Desk) newInterview(w http.ResponseWriter, r *http.Request, u *unlocked) {
	dr := &draft{ID: envelope.NewID(), Day: d.cfg.Now().Format(time.DateOnly), Language: "ko",
		People: make([]personRow, 3), Places: make([]placeRow, 2)}
	if lang(r) == "en" {
		dr.Language = "en"
	}
	if err := d.saveDraft(dr); err != nil {
		d.refused(w, r, "/", nil, "The draft could not be saved.", err)
		return
	}
	http.Redirect(w, r, "/interview/"+dr.ID, http.StatusSeeOther)
}

// interviewView is the interview page's data.
type interviewView struct {
	D       *draft
	Preview *preview
}

func (d *Desk) interviewPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	dr, err := d.loadDraft(u, r.PathValue("id"))
	if err != nil {
		d.refuse(w, r, http.StatusNotFound, "There is no such draft.")
		return
	}
	if dr.Survey != nil {
		http.Redirect(w, r, "/survey/"+dr.ID, http.StatusSeeOther)
		return
	}
	d.render(w, r, http.StatusOK, "interview", "Interview", &interviewView{D: dr, Preview: d.preview(u, dr)})
}

// readForm updates dr from the submitted interview form. It keeps all
// that was typed, attachments included, and returns the first mistake
// (an English message, translated where it is shown) after reading it all.
func readForm(r *http.Request, dr *draft) error {
	var mistakes []error
	dr.Day = strings.TrimSpace(r.FormValue("day"))
	dr.Language = r.FormValue("language")
	dr.Note = strings.ReplaceAll(r.FormValue("note"), "\r\n", "\n")
	names, sexes, roles := r.Form["pnames"], r.Form["psex"], r.Form["prole"]
	dr.People = dr.People[:0]
	for i := range names {
		dr.People = append(dr.People, personRow{Names: names[i], Sex: at(sexes, i), Role: at(roles, i)})
	}
	lnames, provs := r.Form["lnames"], r.Form["lprov"]
	dr.Places = dr.Places[:0]
	for i := range lnames {
		dr.Places = append(dr.Places, placeRow{Names: lnames[i], Province: at(provs, i)})
	}
	dr.Accepted = slices.DeleteFunc(r.Form["accepted"], func(s string) bool { return len(s) > 64 })
	if !envelope.ValidDay(dr.Day) {
		mistakes = append(mistakes, errors.New("The day must be a date like 2026-03-14."))
	}
	if !envelope.ValidLanguage(dr.Language) {
		dr.Language = "und"
	}
	if len(dr.Note) > envelope.MaxNoteSize || !utf8.ValidString(dr.Note) {
		mistakes = append(mistakes, errors.New("The note is too long or not text."))
		dr.Note = strings.ToValidUTF8(dr.Note, "\uFFFD")
		if len(dr.Note) > envelope.MaxNoteSize {
			dr.Note = strings.ToValidUTF8(dr.Note[:envelope.MaxNoteSize], "")
		}
	}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["attach"] {
			if len(dr.Attachments) >= maxAttachments {
				mistakes = append(mistakes, errors.New("An interview can have at most 20 attachments."))
				break
			}
			a, err := readAttachment(fh)
			if err != nil {
				mistakes = append(mistakes, err)
				continue
			}
			dr.Attachments = append(dr.Attachments, a)
		}
	}
	if len(mistakes) > 0 {
		return mistakes[0]
	}
	return nil
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func readAttachment(fh *multipart.FileHeader) (attachment, error) {
	if fh.Size > maxAttachmentSize {
		return attachment{}, errors.New("An attachment is larger than 64 MiB.")
	}
	f, err := fh.Open()
	if err != nil {
		return attachment{}, errors.New("An attachment could not be read; add it again.")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAttachmentSize+1))
	if err != nil {
		return attachment{}, errors.New("An attachment could not be read; add it again.")
	}
	if len(b) > maxAttachmentSize {
		return attachment{}, errors.New("An attachment is larger than 64 MiB.")
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(fh.Filename), "."))
	if len(ext) > 8 || strings.ContainsFunc(ext, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) {
		ext = "bin"
	}
	return attachment{Ext: ext, Type: http.DetectContentType(b), Data: b}, nil
}

// entities turns the form's rows into an entities document.
func (dr *draft) entities() (*pseudonym.Entities, error) {
	var e pseudonym.Entities
	for i, p := range dr.People {
		names := splitNames(p.Names)
		if len(names) == 0 {
			continue
		}
		e.People = append(e.People, pseudonym.Person{ID: fmt.Sprintf("p%d", i+1), Names: names, Sex: p.Sex, Role: p.Role})
	}
	for i, p := range dr.Places {
		names := splitNames(p.Names)
		if len(names) == 0 {
			continue
		}
		e.Places = append(e.Places, pseudonym.Place{ID: fmt.Sprintf("l%d", i+1), Names: names, Province: strings.TrimSpace(p.Province)})
	}
	b, _ := json.Marshal(e)
	return pseudonym.ParseEntities(b) // the same checks as an entities file
}

func splitNames(s string) []string {
	var out []string
	for _, n := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '、' }) {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// preview is the pseudonymized note as the interviewer sees it before
// sealing.
type preview struct {
	Segments []segment
	Flags    []flagView
	Open     int // flags not yet accepted
	People   []string
	Err      string
	Detail   string
}

type segment struct {
	Text  string
	Class string // "", "rep", "mask", "flag", "flag accepted"
	Note  string
	Flag  string // the flag's ID, for a flag
	// At is the flag's place in the list, for the list to link to the
	// mark (id "at-N"); -1 for a segment that is not a flag.
	At int
}

type flagView struct {
	ID, Reason, Suggestion, Text string
	// Place is true for an undeclared place that was generalized: the
	// text shown is the province, and declaring it would be wrong.
	Place               bool
	Line                int
	Accepted, InAnswers bool
	// Question is the label of the question whose answer a flag is in,
	// and Field the HTML id of that answer's field ("" in the note).
	Question, Field string
	// N numbers the flags of a page's list from 0 (the list item's id is
	// "flag-N").
	N int
	// At is the flag's place in the list (its mark's id is "at-At").
	At int
	// Typed is what the interviewer typed where the flag is (for a place,
	// the place's name, which Text replaces by its province); "" when it
	// could not be found. Start16 and End16 are where, in the note as
	// the page's script counts (UTF-16), or -1.
	Typed            string
	Start16, End16   int
	outStart, outEnd int // where in the pseudonymized text
}

// redactor returns the pseudonymizer for the draft's people and places.
func (d *Desk) redactor(u *unlocked, dr *draft) (*pseudonym.Redactor, error) {
	ents, err := dr.entities()
	if err != nil {
		return nil, err
	}
	return pseudonym.NewWithRegistry(ents, u.pkey, u.registry)
}

// redact pseudonymizes the draft's note.
func (d *Desk) redact(u *unlocked, dr *draft) (*intake.Result, *envelope.Contents, error) {
	red, err := d.redactor(u, dr)
	if err != nil {
		return nil, nil, err
	}
	c := &envelope.Contents{Note: []byte(dr.Note)}
	res, err := intake.Pseudonymize(red, c)
	return res, c, err
}

func (d *Desk) preview(u *unlocked, dr *draft) *preview {
	res, _, err := d.redact(u, dr)
	if err != nil {
		return &preview{Err: "The people and places table has a mistake.", Detail: err.Error()}
	}
	p := &preview{}
	p.Segments, p.Flags = marked(res.Note, dr.Accepted)
	typedAt(p.Flags, dr.Note, res.Note.Text)
	p.count()
	p.addPeople(res.Note)
	return p
}

// count sets Open to the number of flags not accepted, and numbers them.
func (p *preview) count() {
	p.Open = 0
	for i := range p.Flags {
		p.Flags[i].N = i
		if !p.Flags[i].Accepted {
			p.Open++
		}
	}
}

// addPeople adds the pseudonyms of the people res replaced to p.People.
func (p *preview) addPeople(res *pseudonym.Result) {
	for _, rep := range res.Report.Replacements {
		if rep.Kind == "person" && !slices.Contains(p.People, rep.Pseudonym) {
			p.People = append(p.People, rep.Pseudonym)
		}
	}
}

// marked cuts a pseudonymized text into segments that show what was
// replaced, masked or flagged, and lists its flags.
func marked(res *pseudonym.Result, accepted []string) ([]segment, []flagView) {
	text := res.Text
	type mark struct {
		start, end int
		seg        segment
	}
	var marks []mark
	for _, rep := range res.Report.Replacements {
		for _, s := range rep.Spans {
			marks = append(marks, mark{s.Start, s.End, segment{Class: "rep", Note: rep.Kind}})
		}
	}
	for _, m := range res.Report.Masked {
		marks = append(marks, mark{m.Start, m.End, segment{Class: "mask", Note: m.Kind}})
	}
	var flags []flagView
	for _, f := range res.Report.Flags {
		fv := flagView{ID: f.ID, Reason: f.Reason, Suggestion: f.Suggestion, Accepted: slices.Contains(accepted, f.ID),
			Place: strings.HasPrefix(f.Reason, "a place that nobody declared"), At: len(flags), Start16: -1, End16: -1, outStart: -1}
		if 0 <= f.Start && f.Start <= f.End && f.End <= len(text) {
			fv.Text = text[f.Start:f.End]
			fv.Line = 1 + strings.Count(text[:f.Start], "\n")
			fv.outStart, fv.outEnd = f.Start, f.End
			class := "flag"
			if fv.Accepted {
				class = "flag accepted"
			}
			marks = append(marks, mark{f.Start, f.End, segment{Class: class, Flag: f.ID, At: fv.At}})
		}
		flags = append(flags, fv)
	}
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].start < marks[j].start })
	var segs []segment
	pos := 0
	for _, m := range marks {
		if m.start < pos || m.end > len(text) || m.start >= m.end {
			continue // overlapping or out of range: show as text
		}
		if m.start > pos {
			segs = append(segs, segment{Text: text[pos:m.start], At: -1})
		}
		m.seg.Text = text[m.start:m.end]
		segs = append(segs, m.seg)
		pos = m.end
	}
	if pos < len(text) {
		segs = append(segs, segment{Text: text[pos:], At: -1})
	}
	return segs, flags
}

// typedAt sets, for each flag, what was typed where it is: the note as
// typed (typed) is aligned with the pseudonymized text (out), whose
// changes are the only places where they differ.
func typedAt(flags []flagView, typed, out string) {
	src := norm.NFC.String(typed) // the pseudonymizer reads it so
	cs, ok := align(src, out)
	if !ok {
		return
	}
	sameAsTyped := src == typed
	for i := range flags {
		f := &flags[i]
		if f.outStart < 0 {
			continue
		}
		a, b := srcOffset(cs, f.outStart, false), srcOffset(cs, f.outEnd, true)
		if a < 0 || b > len(src) || a >= b {
			continue
		}
		f.Typed = src[a:b]
		if sameAsTyped {
			f.Start16, f.End16 = utf16Len(src[:a]), utf16Len(src[:b])
		}
	}
}

func (d *Desk) previewFragment(w http.ResponseWriter, r *http.Request, u *unlocked) {
	dr, err := d.loadDraft(u, r.PathValue("id"))
	if err == nil && dr.Survey != nil {
		err = os.ErrInvalid
	}
	if err != nil {
		d.refuse(w, r, http.StatusNotFound, "There is no such draft.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	r.ParseMultipartForm(1 << 20)
	v := d.view(r, "Interview", nil)
	if err := readForm(r, dr); err != nil {
		v.Data = &interviewView{D: dr, Preview: &preview{Err: err.Error()}}
	} else {
		if err := d.saveDraft(dr); err != nil {
			d.cfg.Log.Error("failed to save a draft", "err", err.Error())
		}
		v.Data = &interviewView{D: dr, Preview: d.preview(u, dr)}
	}
	t := d.pages.byName["interview"]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := t.ExecuteTemplate(w, "preview", v); err != nil {
		d.cfg.Log.Error("failed to render the preview", "err", err.Error())
	}
}

// interviewPost saves what the interview page holds and does what its
// button asks, then sends the person back to the page (to the part the
// button was in) or, once sealed, to the outbox.
func (d *Desk) interviewPost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	dr, err := d.loadDraft(u, r.PathValue("id"))
	if err == nil && dr.Survey != nil {
		err = os.ErrInvalid // a survey is not sealed as a note
	}
	if err != nil {
		d.refuse(w, r, http.StatusNotFound, "There is no such draft.")
		return
	}
	page := "/interview/" + dr.ID
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseMultipartForm(32 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		d.refused(w, r, page, nil, "The form could not be read (is an attachment larger than 64 MiB?). What was typed since the last save is lost; the draft is kept.", nil)
		return
	}
	formErr := readForm(r, dr)
	action, arg, _ := strings.Cut(r.FormValue("action"), ":")
	anchor := ""
	switch action {
	case "addperson":
		dr.People = append(dr.People, personRow{})
		anchor = "#people"
	case "addplace":
		dr.Places = append(dr.Places, placeRow{})
		anchor = "#places"
	case "declare":
		// The flagged word becomes a declared person.
		if p := d.preview(u, dr); p.Err == "" {
			for _, f := range p.Flags {
				if f.ID == arg && f.Text != "" && !f.Place {
					dr.People = append(dr.People, personRow{Names: f.Text})
					break
				}
			}
		}
		anchor = "#people"
	case "accept":
		if !slices.Contains(dr.Accepted, arg) && len(arg) <= 64 {
			dr.Accepted = append(dr.Accepted, arg)
		}
		anchor = "#flags"
	case "unaccept":
		dr.Accepted = slices.DeleteFunc(dr.Accepted, func(s string) bool { return s == arg })
		anchor = "#flags"
	case "detach":
		var i int
		if _, err := fmt.Sscan(arg, &i); err == nil && 0 <= i && i < len(dr.Attachments) {
			dr.Attachments = slices.Delete(dr.Attachments, i, i+1)
		}
		anchor = "#attachments"
	case "preview":
		anchor = "#preview-title"
	case "discard":
		if err := os.Remove(d.draftPath(dr.ID)); err != nil {
			d.refused(w, r, page, nil, "The draft could not be deleted.", err)
			return
		}
		d.ok(w, r, "/", nil, "The draft was deleted.")
		return
	}
	if err := d.saveDraft(dr); err != nil {
		d.refused(w, r, page, nil, "The draft could not be saved. What was typed since the last save is lost.", err)
		return
	}
	if formErr != nil {
		d.refused(w, r, page, nil, formErr.Error(), nil)
		return
	}
	switch action {
	case "seal":
	case "save":
		d.ok(w, r, page, nil, "The draft is saved, encrypted on this computer.")
		return
	default:
		http.Redirect(w, r, page+anchor, http.StatusSeeOther)
		return
	}
	id, err := d.seal(u, dr)
	var fe flagsLeft
	switch {
	case errors.As(err, &fe):
		d.refused(w, r, page+"#flags", nil, "Some flags are not resolved yet: declare each flagged name in the table, or accept it. Nothing was sealed.", nil)
	case errors.Is(err, errEmptyNote):
		d.refused(w, r, page+"#note", nil, "The note is empty. Write the note before sealing; nothing was sealed.", nil)
	case errors.Is(err, errPeopleTable):
		d.refused(w, r, page+"#people", nil, "The people and places table has a mistake: a name is given twice, or a row is not complete. Nothing was sealed.", nil)
	case err != nil:
		d.refused(w, r, page, nil, "The interview could not be sealed. Nothing was sealed; the draft is kept.", err)
	default:
		d.cfg.Log.Info("sealed an interview into the outbox")
		http.Redirect(w, r, "/outbox?sealed="+id, http.StatusSeeOther)
	}
}

// Mistakes sealing refuses that the person can fix on the page.
var (
	errEmptyNote   = errors.New("the note is empty")
	errPeopleTable = errors.New("the people and places table has a mistake")
)

type flagsLeft int

func (f flagsLeft) Error() string { return fmt.Sprintf("%d flag(s) not resolved", int(f)) }

// seal pseudonymizes and seals the draft into the outbox, with its
// re-identification record, and deletes the draft.
func (d *Desk) seal(u *unlocked, dr *draft) (string, error) {
	if strings.TrimSpace(dr.Note) == "" {
		return "", errEmptyNote
	}
	res, c, err := d.redact(u, dr)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errPeopleTable, err)
	}
	if open := res.Open(dr.Accepted); len(open) > 0 {
		return "", flagsLeft(len(open))
	}
	for _, a := range dr.Attachments {
		c.Attachments = append(c.Attachments, a.sealable())
	}
	return d.sealOutbox(u, dr, c, res.Reids, envelope.Options{Day: dr.Day, Language: dr.Language, Subject: subjectOf(dr, res.Note)}, nil)
}

// sealable returns the attachment as Seal takes it.
func (a attachment) sealable() envelope.Attachment {
	data := a.Data
	return envelope.Attachment{Ext: a.Ext, Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// subjectOf returns the interviewee's pseudonym, if one of results
// replaced the person the draft declares as the interviewee.
func subjectOf(dr *draft, results ...*pseudonym.Result) string {
	ents, err := dr.entities()
	if err != nil {
		return ""
	}
	for _, p := range ents.People {
		if p.Role != "interviewee" {
			continue
		}
		for _, res := range results {
			for _, rep := range res.Report.Replacements {
				if rep.Entity == p.ID {
					return rep.Pseudonym
				}
			}
		}
		break
	}
	return ""
}

// sealOutbox seals c, already pseudonymized, into the outbox with the
// re-identification records reids, and deletes the draft. opts gives what
// the draft decides (form, day, language, subject); the roster, the device
// and the submission ID are the desk's. check, if not nil, sees what Seal
// reported before anything is kept: an error from it keeps nothing.
func (d *Desk) sealOutbox(u *unlocked, dr *draft, c *envelope.Contents, reids []pseudonym.Reid, opts envelope.Options, check func(*envelope.Sealed) error) (string, error) {
	d.mu.Lock()
	roster := d.roster
	d.mu.Unlock()
	if err := os.MkdirAll(d.path("outbox"), 0o700); err != nil {
		return "", err
	}
	id := envelope.NewID()
	reid, err := durable.Create(d.path("outbox", id+".reid.age"), 0o600)
	if err != nil {
		return "", err
	}
	defer reid.Abort()
	reidDigest, err := intake.SealReid(reid, roster, reids, intake.ReidBinding{ID: id, DeviceID: d.profile.Device, Device: u.device})
	if err != nil {
		return "", err
	}
	f, err := durable.Create(d.path("outbox", id+".age"), 0o600)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	opts.Roster, opts.Device, opts.DeviceID, opts.ID, opts.Reid = roster, u.device, d.profile.Device, id, reidDigest
	sealed, err := envelope.Seal(f, *c, opts)
	if err != nil {
		return "", err
	}
	if check != nil {
		if err := check(sealed); err != nil {
			return "", err
		}
	}
	// The record first: a record without its sealed file is harmless, a
	// sealed file without its record would lose the custodian's mapping.
	if err := reid.Commit(); err != nil {
		return "", err
	}
	if err := f.Commit(); err != nil {
		return "", err
	}
	if err := u.registry.Save(d.path("registry.json")); err != nil {
		return "", err
	}
	if err := os.Remove(d.draftPath(dr.ID)); err != nil {
		return "", err
	}
	return id, nil
}
