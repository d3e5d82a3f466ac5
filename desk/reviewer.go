package desk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"testimony/internal/annotation"
	"testimony/internal/client"
	"testimony/internal/durable"
	"testimony/internal/envelope"
	"testimony/internal/pseudonym"
	"testimony/keys"
	"testimony/server"
)

// inbox holds a reviewer's decrypted testimony, in memory only.
type inbox struct {
	mu    sync.RWMutex
	items map[string]*testimony
	notes map[string][]annotationView // by submission ID
	seen  map[string]bool             // annotation IDs read
	// closed is set when the desk locks: what a pull still running
	// decrypts afterwards is dropped.
	closed bool
}

type testimony struct {
	ID       string
	M        *envelope.Manifest
	Note     string
	Answers  []answer
	Attached []attached
	Err      string // why it could not be opened
	// CopyOf is set when the file is authentic but signed under another
	// submission ID: a copy of that testimony, never one of its own.
	CopyOf string
	Logged bool // pull checked that the server's log holds it
	// ReidProblem says (as a message key) how the re-identification
	// record the server's log holds for it differs from the one the
	// device sealed with it, or is "".
	ReidProblem string
	fold        string // folded text for search
	// answersJSON is answers.json as sealed, for survey statistics.
	answersJSON []byte
}

type answer struct{ Key, Value string }

type attached struct {
	Name, Type string
	Data       []byte
}

// contentType sniffs an attachment's type; recordings in MP4 containers
// (m4a) and AAC, which sniffing calls video or does not know, go by their
// extension.
func contentType(name string, b []byte) string {
	t := http.DetectContentType(b)
	switch strings.ToLower(filepath.Ext(name)) {
	case ".m4a":
		if t == "video/mp4" || t == "application/octet-stream" {
			return "audio/mp4"
		}
	case ".aac":
		if t == "application/octet-stream" {
			return "audio/aac"
		}
	}
	return t
}

func (a attached) Kind() string {
	switch {
	case strings.HasPrefix(a.Type, "image/") && a.Type != "image/svg+xml":
		return "image"
	case strings.HasPrefix(a.Type, "audio/"), a.Type == "application/ogg":
		return "audio"
	}
	return "file"
}

// annotationView is an annotation as the testimony page shows it.
type annotationView struct {
	ID, Day, Text string
	Tags          []string
	// Signed: Author is the roster label of the reviewer whose signature
	// verified. Otherwise the annotation is unsigned (format 1) and Claim is
	// the label the server gave it: a claim, never shown as authorship.
	Signed bool
	Author string
	Claim  string
	// Refused says why an annotation meant for this testimony was refused;
	// nothing else of it is shown.
	Refused string
}

func newInbox() *inbox {
	return &inbox{items: map[string]*testimony{}, notes: map[string][]annotationView{}, seen: map[string]bool{}}
}

// forget overwrites what was decrypted and drops it.
func (in *inbox) forget() {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, t := range in.items {
		for _, a := range t.Attached {
			clear(a.Data)
		}
	}
	in.items, in.notes, in.seen, in.closed = nil, nil, nil, true
}

// loadInbox opens every pulled file not yet open, and every annotation.
func (d *Desk) loadInbox(u *unlocked) error {
	files, err := filepath.Glob(d.path("inbox", "*.age"))
	if err != nil {
		return err
	}
	d.mu.Lock()
	roster := d.roster
	d.mu.Unlock()
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".age")
		if !draftID.MatchString(id) {
			continue
		}
		u.inbox.mu.RLock()
		_, done := u.inbox.items[id]
		u.inbox.mu.RUnlock()
		if done {
			continue
		}
		t := d.openTestimony(f, id, u, roster)
		u.inbox.mu.Lock()
		if u.inbox.closed { // locked meanwhile
			u.inbox.mu.Unlock()
			return nil
		}
		u.inbox.items[id] = t
		u.inbox.mu.Unlock()
	}
	return d.loadAnnotations(u)
}

func (d *Desk) openTestimony(path, id string, u *unlocked, roster any) *testimony {
	t := &testimony{ID: id}
	var rc *server.Receipt
	if b, err := os.ReadFile(d.path("inbox", "receipts", id+".json")); err == nil {
		if json.Unmarshal(b, &rc) == nil && rc.ID == id {
			t.Logged = true
		} else {
			rc = nil
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Err = err.Error()
		return t
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Err = err.Error()
		return t
	}
	mem := &envelope.Memory{Limit: 1 << 30}
	d.mu.Lock()
	r := d.roster
	d.mu.Unlock()
	o, err := envelope.Open(f, fi.Size(), mem, envelope.OpenOptions{Identity: u.identity, Roster: r, ID: id})
	if err != nil {
		var wrong *envelope.WrongIDError
		if errors.As(err, &wrong) {
			t.CopyOf = wrong.Signed
		}
		t.Err = err.Error()
		return t
	}
	t.M = o.Manifest
	t.ReidProblem = reidProblem(o.Manifest, rc)
	t.Note = string(mem.Entries[envelope.NoteName])
	if b := mem.Entries[envelope.AnswersName]; b != nil {
		t.Answers = flattenAnswers(b)
		t.answersJSON = b
	}
	for _, e := range o.Manifest.Entries {
		if strings.HasPrefix(e.Name, envelope.AttachmentDir) {
			b := mem.Entries[e.Name]
			name := strings.TrimPrefix(e.Name, envelope.AttachmentDir)
			t.Attached = append(t.Attached, attached{Name: name, Type: contentType(name, b), Data: b})
		}
	}
	var all strings.Builder
	all.WriteString(t.Note)
	for _, a := range t.Answers {
		all.WriteString("\n" + a.Value)
	}
	all.WriteString("\n" + t.M.Subject + "\n" + t.M.Device)
	t.fold = fold(all.String())
	return t
}

// reidProblem compares the re-identification record the device sealed with
// a testimony (its signed digest, format 2) with the one the server's log
// holds for it, as the receipt pull checked says.
func reidProblem(m *envelope.Manifest, rc *server.Receipt) string {
	if m.Format == envelope.FormatV1 || rc == nil {
		return "" // nothing signed to compare, or no receipt to compare with
	}
	switch {
	case m.Reid == "" && rc.Reid != nil:
		return "The server holds a re-identification record for this testimony that its device did not seal with it."
	case m.Reid != "" && rc.Reid == nil:
		return "The device sealed a re-identification record with this testimony, but the server's log holds none: the custodians cannot re-identify its people."
	case m.Reid != "" && m.Reid != rc.Reid.SHA256:
		return "The re-identification record the server holds for this testimony is not the one its device sealed with it."
	}
	return ""
}

// flattenAnswers lists a JSON document's values by their path.
func flattenAnswers(b []byte) []answer {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return []answer{{Key: "answers.json", Value: string(b)}}
	}
	var out []answer
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, t[k])
			}
		case []any:
			for i, x := range t {
				walk(fmt.Sprintf("%s[%d]", prefix, i), x)
			}
		case nil:
			out = append(out, answer{prefix, ""})
		default:
			out = append(out, answer{prefix, fmt.Sprint(t)})
		}
	}
	walk("", v)
	return out
}

// fold makes text searchable: compatibility-normalized, lower case,
// without marks (Sŏk → sok), spaces and hyphens (Seok-han → seokhan).
func fold(s string) string {
	s = norm.NFKD.String(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.IsSpace(r), r == '-', r == '\'', r == '’', r == '\u200b':
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}

type inboxView struct {
	Query    string
	Items    []*testimony
	Total    int
	Tags     map[string][]tagSummary
	Pulling  bool
	Verified *client.Report
	Problems []string
}

func (d *Desk) inboxData(u *unlocked, q string) *inboxView {
	v := &inboxView{Query: q, Tags: map[string][]tagSummary{}}
	// A pseudonym is found in both scripts: 김영석 also finds Kim Young-seok.
	queries := []string{fold(q)}
	if h, r, ok := pseudonym.PseudonymSpellings(q); ok {
		queries = []string{fold(h), fold(r)}
	}
	contains := func(s string) bool {
		for _, fq := range queries {
			if strings.Contains(s, fq) {
				return true
			}
		}
		return false
	}
	fq := queries[0]
	u.inbox.mu.RLock()
	defer u.inbox.mu.RUnlock()
	v.Total = len(u.inbox.items)
	for _, t := range u.inbox.items {
		tags := tagsOf(u.inbox.notes[t.ID])
		v.Tags[t.ID] = tags
		if fq != "" {
			hit := contains(t.fold)
			for _, n := range u.inbox.notes[t.ID] {
				hit = hit || contains(fold(n.Text))
			}
			for _, tag := range tags {
				hit = hit || contains(fold(tag.Name))
			}
			if !hit {
				continue
			}
		}
		v.Items = append(v.Items, t)
	}
	sort.Slice(v.Items, func(i, j int) bool {
		a, b := v.Items[i], v.Items[j]
		if a.M == nil || b.M == nil {
			return a.M == nil && b.M != nil
		}
		if a.M.Day != b.M.Day {
			return a.M.Day > b.M.Day
		}
		return a.ID < b.ID
	})
	return v
}

// tagSummary is a tag of a testimony's summary. Unverified: no signed
// annotation carries it, only unsigned ones (format 1), which anyone
// holding the reviewers' public keys could have made.
type tagSummary struct {
	Name       string
	Unverified bool
}

// tagsOf sums up the tags of a testimony's annotations, each once, marking
// those that only unsigned annotations carry. Refused annotations carry none.
func tagsOf(notes []annotationView) []tagSummary {
	var tags []tagSummary
	for _, n := range notes {
		if n.Refused != "" {
			continue
		}
		for _, t := range n.Tags {
			i := slices.IndexFunc(tags, func(s tagSummary) bool { return s.Name == t })
			if i < 0 {
				tags = append(tags, tagSummary{Name: t, Unverified: !n.Signed})
			} else if n.Signed {
				tags[i].Unverified = false
			}
		}
	}
	return tags
}

func (d *Desk) inboxPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	q := r.URL.Query().Get("q")
	if len(q) > 200 {
		q = q[:200]
	}
	d.render(w, r, http.StatusOK, "inbox", "Inbox", d.inboxData(u, q))
}

// pullState is the progress of the pull running in the background.
type pullState struct {
	running  bool
	progress client.Progress
	done     bool
	got      int
	err      error
}

type pullView struct {
	Running   bool
	Done      bool
	Files     int
	Bytes     int64
	Size      int64
	Got       int
	Error     string
	Role      string
	Percent   int
	BackTo    string
	Announced bool
}

func (d *Desk) pullPost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	d.mu.Lock()
	if !d.pull.running {
		d.pull = pullState{running: true}
		go d.runPull(u)
	}
	d.mu.Unlock()
	http.Redirect(w, r, "/pull", http.StatusSeeOther)
}

// runPull pulls new files (and, for a reviewer, annotations) and opens them.
func (d *Desk) runPull(u *unlocked) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	err := d.refreshRoster(ctx, u)
	got := 0
	if err == nil {
		dir := d.path("inbox")
		if d.profile.Role == Custodian {
			dir = d.path("reid")
		}
		var res client.PullResult
		res, err = u.client.Pull(ctx, dir, filepath.Join(dir, "receipts"), u.logKey, func(p client.Progress) {
			d.mu.Lock()
			d.pull.progress = p
			d.mu.Unlock()
		})
		got = len(res.New)
	}
	if err == nil && d.profile.Role == Reviewer {
		err = d.syncAnnotations(ctx, u)
	}
	if err == nil {
		// Open what came into the desk as it is unlocked now: the person
		// may have locked and unlocked it while the pull ran.
		d.mu.Lock()
		cur := d.open
		d.mu.Unlock()
		if cur != nil {
			if d.profile.Role == Reviewer {
				err = d.loadInbox(cur)
			} else {
				err = d.loadRecords(cur)
			}
		}
	}
	d.mu.Lock()
	d.pull.running, d.pull.done, d.pull.got, d.pull.err = false, true, got, err
	d.mu.Unlock()
	if err != nil {
		d.cfg.Log.Warn("pull failed")
	} else {
		d.cfg.Log.Info("pulled", "new", got)
	}
}

func (d *Desk) pullPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	d.mu.Lock()
	p := d.pull
	d.mu.Unlock()
	v := &pullView{Running: p.running, Done: p.done, Files: p.progress.Files, Bytes: p.progress.Bytes, Size: p.progress.Size, Got: p.got, Role: d.profile.Role}
	if p.progress.Size > 0 {
		v.Percent = int(p.progress.Bytes * 100 / p.progress.Size)
	}
	if p.err != nil {
		v.Error = p.err.Error()
	}
	if v.Running {
		w.Header().Set("Refresh", "1")
	}
	d.render(w, r, http.StatusOK, "pull", "Pull", v)
}

// testimonyView is a testimony's page.
type testimonyView struct {
	T     *testimony
	Notes []annotationView
	Tags  []tagSummary
	// Unlisted is this reviewer's signing key when the roster does not
	// list it: they cannot annotate until the admin adds it.
	Unlisted string
}

// testimonyData is the page of testimony id, or nil if the inbox has none.
func testimonyData(u *unlocked, id string) *testimonyView {
	u.inbox.mu.RLock()
	defer u.inbox.mu.RUnlock()
	t := u.inbox.items[id]
	if t == nil {
		return nil
	}
	notes := slices.Clone(u.inbox.notes[id])
	return &testimonyView{T: t, Notes: notes, Tags: tagsOf(notes)}
}

func (d *Desk) testimonyPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	v := testimonyData(u, r.PathValue("id"))
	if v == nil {
		d.refuse(w, r, http.StatusNotFound, "There is no such testimony in the inbox.")
		return
	}
	if _, unlisted, err := d.reviewerSigner(u); err == nil {
		v.Unlisted = unlisted
	}
	d.render(w, r, http.StatusOK, "testimony", "Testimony", v, flashOf(r)...)
}

func flashOf(r *http.Request) []any {
	if r.URL.Query().Get("saved") == "1" {
		return []any{"Saved and sealed to the reviewers."}
	}
	if r.URL.Query().Get("saved") == "later" {
		return []any{"Saved and sealed, but not sent: the server could not be reached. It is sent at the next pull."}
	}
	return nil
}

// attachment serves a decrypted attachment from memory: images and audio
// inline, anything else as a download.
func (d *Desk) attachment(w http.ResponseWriter, r *http.Request, u *unlocked) {
	u.inbox.mu.RLock()
	t := u.inbox.items[r.PathValue("id")]
	u.inbox.mu.RUnlock()
	if t == nil {
		d.refuse(w, r, http.StatusNotFound, "There is no such testimony in the inbox.")
		return
	}
	for _, a := range t.Attached {
		if a.Name != r.PathValue("n") {
			continue
		}
		switch a.Kind() {
		case "image", "audio":
			w.Header().Set("Content-Type", a.Type)
			w.Header().Set("Content-Disposition", "inline")
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", `attachment; filename="`+t.ID[:8]+"-"+a.Name+`"`)
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.Data))
		return
	}
	d.refuse(w, r, http.StatusNotFound, "There is no such attachment.")
}

// annotationMeta is what the server said about an annotation. Author is
// the label of the token that uploaded it: the server's claim, shown only
// for unsigned (format 1) annotations and marked as such.
type annotationMeta struct {
	ID     string `json:"id"`
	Seq    int64  `json:"seq"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Author string `json:"author"`
	Day    string `json:"day"`
}

func (d *Desk) annotatePost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	id := r.PathValue("id")
	view := testimonyData(u, id)
	if view == nil {
		d.refuse(w, r, http.StatusNotFound, "There is no such testimony in the inbox.")
		return
	}
	signer, unlisted, err := d.reviewerSigner(u)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "testimony", "Testimony", view, "The note could not be sealed.", err)
		return
	}
	if signer == nil {
		view.Unlisted = unlisted
		d.fail(w, r, http.StatusForbidden, "testimony", "Testimony", view, "The roster does not list your signing key, so you cannot annotate yet. Ask the admin to add it (testimony roster set-signer) and give them the key shown below.", nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	var tags []string
	for _, tag := range strings.Split(r.FormValue("tags"), ",") {
		if tag = strings.TrimSpace(tag); annotation.ValidTag(tag) && !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	text := strings.TrimSpace(strings.ReplaceAll(r.FormValue("text"), "\r\n", "\n"))
	if len(tags) == 0 && text == "" {
		d.fail(w, r, http.StatusBadRequest, "testimony", "Testimony", view, "Write a tag or a note first.", nil)
		return
	}
	if len(text) > annotation.MaxText {
		d.fail(w, r, http.StatusBadRequest, "testimony", "Testimony", view, "A note can be at most 16 KiB.", nil)
		return
	}
	if len(tags) > annotation.MaxTags {
		d.fail(w, r, http.StatusBadRequest, "testimony", "Testimony", view, "A note can have at most 64 tags.", nil)
		return
	}
	// The ID it is filed under is inside what is signed: a copy filed
	// under another ID is refused.
	aid := envelope.NewID()
	d.mu.Lock()
	roster := d.roster
	d.mu.Unlock()
	var buf bytes.Buffer
	a := annotation.Annotation{ID: aid, Submission: id, Tags: tags, Text: text, Day: d.cfg.Now().UTC().Format(time.DateOnly)}
	if err := annotation.Seal(&buf, a, signer, roster.Reviewers); err != nil {
		d.fail(w, r, http.StatusInternalServerError, "testimony", "Testimony", view, "The note could not be sealed.", err)
		return
	}
	sealed := buf.Bytes()
	if err := os.MkdirAll(d.path("annotations", "pending"), 0o700); err != nil {
		d.fail(w, r, http.StatusInternalServerError, "testimony", "Testimony", view, "The note could not be saved.", err)
		return
	}
	if err := durable.WriteNew(d.path("annotations", "pending", aid+".age"), sealed, 0o600); err != nil {
		d.fail(w, r, http.StatusInternalServerError, "testimony", "Testimony", view, "The note could not be saved.", err)
		return
	}
	saved := "1"
	if err := d.sendPending(r.Context(), u); err != nil {
		saved = "later"
	}
	if err := d.loadAnnotations(u); err != nil {
		d.cfg.Log.Warn("failed to load annotations")
	}
	http.Redirect(w, r, "/t/"+id+"?saved="+saved, http.StatusSeeOther)
}

// reviewerSigner returns this reviewer's signing key if the roster lists it
// as theirs. If it does not, it returns the key's verifier, for the reviewer
// to hand to the admin.
func (d *Desk) reviewerSigner(u *unlocked) (*keys.SigningKey, string, error) {
	k, err := u.identity.ReviewerSigner()
	if err != nil {
		return nil, "", err
	}
	d.mu.Lock()
	roster := d.roster
	d.mu.Unlock()
	for _, m := range roster.Reviewers {
		if m.Recipient.String() == u.identity.Recipient().String() && m.Signer.String() == k.Verifier() {
			return k, "", nil
		}
	}
	return nil, k.Verifier(), nil
}

// sendPending uploads the annotations written here and not yet sent.
func (d *Desk) sendPending(ctx context.Context, u *unlocked) error {
	files, _ := filepath.Glob(d.path("annotations", "pending", "*.age"))
	for _, f := range files {
		aid := strings.TrimSuffix(filepath.Base(f), ".age")
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		ans, err := u.client.Put(ctx, "/annotations/"+aid, b, nil, http.StatusCreated, http.StatusOK)
		if err != nil {
			return err
		}
		var m annotationMeta
		if err := json.Unmarshal(ans, &m); err != nil || m.ID != aid {
			return errors.New("the server's answer for an annotation is not valid")
		}
		if err := d.keepAnnotation(m, b); err != nil {
			return err
		}
		os.Remove(f)
	}
	return nil
}

func (d *Desk) keepAnnotation(m annotationMeta, sealed []byte) error {
	mb, _ := json.Marshal(m)
	if err := durable.Replace(d.path("annotations", m.ID+".json"), mb, 0o600); err != nil {
		return err
	}
	return durable.Replace(d.path("annotations", m.ID+".age"), sealed, 0o600)
}

// syncAnnotations sends pending annotations and fetches colleagues' new
// ones.
func (d *Desk) syncAnnotations(ctx context.Context, u *unlocked) error {
	if err := os.MkdirAll(d.path("annotations"), 0o700); err != nil {
		return err
	}
	if err := d.sendPending(ctx, u); err != nil {
		return err
	}
	cursorPath := d.path("annotations", ".cursor")
	cursor := int64(0)
	if b, err := os.ReadFile(cursorPath); err == nil {
		cursor, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	for range 10000 {
		var page struct {
			Annotations []annotationMeta `json:"annotations"`
			Next        int64            `json:"next"`
		}
		if err := u.client.GetJSON(ctx, "/annotations?after="+strconv.FormatInt(cursor, 10), &page); err != nil {
			return err
		}
		if len(page.Annotations) == 0 {
			return nil
		}
		for _, m := range page.Annotations {
			if !draftID.MatchString(m.ID) {
				return errors.New("the server listed an invalid annotation ID")
			}
			if _, err := os.Stat(d.path("annotations", m.ID+".age")); err == nil {
				continue
			}
			b, err := u.client.Get(ctx, "/annotations/"+m.ID, 2<<20)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			if hex.EncodeToString(sum[:]) != m.SHA256 {
				return errors.New("an annotation does not match the digest the server listed")
			}
			if err := d.keepAnnotation(m, b); err != nil {
				return err
			}
		}
		cursor = page.Next
		if err := durable.Replace(cursorPath, []byte(strconv.FormatInt(cursor, 10)+"\n"), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// loadAnnotations decrypts the annotations kept on disk that are not yet
// read, and checks each against the roster (see internal/annotation). A
// signed one shows its signer's roster label as author; an unsigned one
// (format 1) shows the server's label only as the server's claim; one that
// does not verify shows only that it was refused, where it claims to belong.
func (d *Desk) loadAnnotations(u *unlocked) error {
	d.mu.Lock()
	roster := d.roster
	d.mu.Unlock()
	files, _ := filepath.Glob(d.path("annotations", "*.json"))
	for _, f := range files {
		var m annotationMeta
		b, err := os.ReadFile(f)
		if err != nil || json.Unmarshal(b, &m) != nil || !draftID.MatchString(m.ID) {
			continue
		}
		u.inbox.mu.RLock()
		seen := u.inbox.seen[m.ID]
		u.inbox.mu.RUnlock()
		if seen {
			continue
		}
		sealed, err := os.ReadFile(d.path("annotations", m.ID+".age"))
		if err != nil {
			continue
		}
		var sub string
		var v annotationView
		a, err := annotation.Open(sealed, m.ID, u.identity, roster)
		var refused *annotation.RefusedError
		switch {
		case err == nil && a.Signed:
			sub = a.Submission
			v = annotationView{ID: m.ID, Day: a.Day, Text: a.Text, Tags: a.Tags, Signed: true, Author: a.Author}
		case err == nil:
			sub = a.Submission
			v = annotationView{ID: m.ID, Day: m.Day, Text: a.Text, Tags: a.Tags, Claim: m.Author}
		case errors.As(err, &refused) && refused.Submission != "":
			d.cfg.Log.Warn("an annotation was refused: its signature does not verify")
			sub = refused.Submission
			v = annotationView{ID: m.ID, Day: m.Day, Refused: refusalReason(err)}
		default:
			d.cfg.Log.Warn("an annotation could not be opened")
			continue
		}
		u.inbox.mu.Lock()
		if u.inbox.closed { // locked meanwhile
			u.inbox.mu.Unlock()
			return nil
		}
		u.inbox.seen[m.ID] = true
		u.inbox.notes[sub] = append(u.inbox.notes[sub], v)
		sort.SliceStable(u.inbox.notes[sub], func(i, j int) bool {
			return u.inbox.notes[sub][i].Day < u.inbox.notes[sub][j].Day
		})
		u.inbox.mu.Unlock()
	}
	return nil
}

// refusalReason says, in words for the page, why an annotation was refused.
func refusalReason(err error) string {
	switch {
	case errors.Is(err, annotation.ErrUnknownSigner):
		return "Refused: not signed by a reviewer in the roster (forged, or by a reviewer since removed)."
	case errors.Is(err, annotation.ErrBadSignature):
		return "Refused: changed after it was signed."
	case errors.Is(err, annotation.ErrWrongID):
		return "Refused: a copy of another note, filed under another ID."
	}
	return "Refused: not a valid signed note."
}

// verifyView is the outcome of checking the server's log.
type verifyView struct {
	Report *client.Report
	Error  string
}

func (d *Desk) verifyPost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	rep, err := u.client.Verify(r.Context(), d.path("inbox", "receipts"), u.logKey)
	v := &verifyView{Report: &rep}
	if err != nil {
		v.Error = err.Error()
	}
	d.render(w, r, http.StatusOK, "verify", "Log check", v)
}
