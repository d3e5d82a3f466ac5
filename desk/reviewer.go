package desk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
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

// inbox is a reviewer's inbox while the desk is unlocked: the list of
// testimonies from the encrypted store (see inboxstore.go), their search
// text once read, the annotations, and the attachments being viewed.
type inbox struct {
	store *inboxStore
	files *attachmentCache
	// dir holds the sealed files; identity and roster open them.
	dir      string
	identity *keys.Identity
	roster   func() *keys.Roster

	// importing serializes imports (at unlock and after each pull), and
	// annotating the reading of annotations.
	importing, annotating sync.Mutex

	mu    sync.RWMutex
	items map[string]*testimony
	order []*testimony                // items, newest first; nil when to be sorted again
	seq   int32                       // the last testimony.seq given
	text  searchIndex                 // the search text read so far
	notes map[string][]annotationView // by submission ID
	seen  map[string]bool             // annotation IDs read
	// notesRoster names the roster notes were checked with (rosterStamp):
	// a new roster checks them all again.
	notesRoster string
	// searchReady is closed once every stored testimony's search text is
	// in memory; pending counts the files found but not yet imported.
	searchReady chan struct{}
	pending     int
	// closed is set when the desk locks: what a pull or import still
	// running finds afterwards is dropped.
	closed bool
}

// testimony is a testimony of the inbox: in the list, the fields the store
// keeps (M holds the manifest's list fields only); on its page, opened from
// its sealed file with Note, Answers and Attached.
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
	// seq numbers the testimonies the inbox lists, from 1, for searches
	// to mark their hits; indexed is set once its search text is in the
	// inbox's searchIndex.
	seq     int32
	indexed bool
}

type answer struct{ Key, Value string }

// attached is an attachment as the testimony page lists it; its content is
// served from the attachment cache.
type attached struct {
	Name, Type string
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
	return &inbox{items: map[string]*testimony{}, notes: map[string][]annotationView{}, seen: map[string]bool{}, searchReady: make(chan struct{})}
}

// forget drops what was decrypted, closes the store and removes the
// attachments being viewed.
func (in *inbox) forget() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.files != nil {
		in.files.close()
	}
	if in.store != nil {
		in.store.close()
	}
	in.items, in.order, in.notes, in.seen, in.closed = nil, nil, nil, nil, true
}

// loadInbox makes the inbox current. At unlock it opens the encrypted
// store and reads the list from it (one pass over small sealed rows), and
// leaves to the background reading the search text and importing the files
// not yet in the store. After a pull it imports the new files. Either way
// it reads the annotations not yet read.
func (d *Desk) loadInbox(u *unlocked) error {
	in := u.inbox
	in.mu.RLock()
	opened := in.store != nil
	in.mu.RUnlock()
	if !opened {
		if err := d.openInbox(u); err != nil {
			return err
		}
		go func() {
			in.loadSearch()
			if err := d.importInbox(in); err != nil {
				d.cfg.Log.Warn("failed to import the inbox")
			}
		}()
	} else if err := d.importInbox(in); err != nil {
		return err
	}
	return d.loadAnnotations(u)
}

// openInbox opens the store of u's inbox and reads its list.
func (d *Desk) openInbox(u *unlocked) error {
	in := u.inbox
	s, rebuilt, err := openInboxStore(d.path("inbox"), u.identity)
	if err != nil {
		return err
	}
	if rebuilt {
		d.cfg.Log.Info("the inbox store is new: every sealed file is opened once")
	}
	files, err := newAttachmentCache(d.cacheDir())
	if err != nil {
		s.close()
		return err
	}
	items := map[string]*testimony{}
	var seq int32
	if err := s.list(func(t *testimony) { seq++; t.seq = seq; items[t.ID] = t }); err != nil {
		s.close()
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		s.close()
		files.close()
		return nil
	}
	in.store, in.files, in.items, in.order, in.seq = s, files, items, nil, seq
	in.dir, in.identity = d.path("inbox"), u.identity
	in.roster = func() *keys.Roster {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.roster
	}
	return nil
}

// loadSearch reads every stored testimony's search text into memory, then
// closes searchReady.
func (in *inbox) loadSearch() {
	defer close(in.searchReady)
	const batch = 1024
	type found struct{ id, text string }
	var got []found
	flush := func() bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		for _, f := range got {
			if t := in.items[f.id]; t != nil && !t.indexed {
				in.text.add(t, f.text)
				t.indexed = true
			}
		}
		got = got[:0]
		return !in.closed
	}
	err := in.store.searchTexts(context.Background(), func(id, text string) bool {
		got = append(got, found{id, text})
		return len(got) < batch || flush()
	})
	flush()
	_ = err // rows that do not open show their problem in the list
}

// importInbox opens, verifies and stores every sealed file of the inbox
// that the store does not hold, or holds for a file since changed, with as
// many files in flight as there are processors.
func (d *Desk) importInbox(in *inbox) error {
	in.importing.Lock()
	defer in.importing.Unlock()
	files, err := filepath.Glob(filepath.Join(in.dir, "*.age"))
	if err != nil {
		return err
	}
	stamps, err := in.store.stamps()
	if err != nil {
		return err
	}
	type job struct {
		id   string
		size int64
		time int64
	}
	var todo []job
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".age")
		if !draftID.MatchString(id) {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			continue
		}
		if st, ok := stamps[id]; ok && st.size == fi.Size() && st.mtime == fi.ModTime().UnixNano() {
			continue
		}
		todo = append(todo, job{id, fi.Size(), fi.ModTime().UnixNano()})
	}
	if len(todo) == 0 {
		return nil
	}
	in.mu.Lock()
	in.pending = len(todo)
	in.mu.Unlock()
	roster := in.roster()
	jobs := make(chan job)
	results := make(chan storedItem)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range jobs {
				it := in.openForStore(j.id, roster)
				it.size, it.mtime = j.size, j.time
				results <- it
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, j := range todo {
			in.mu.RLock()
			closed := in.closed
			in.mu.RUnlock()
			if closed {
				return
			}
			jobs <- j
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var batch []storedItem
	var ferr error
	flush := func() {
		if len(batch) == 0 || ferr != nil {
			batch = batch[:0]
			return
		}
		if ferr = in.store.put(batch); ferr != nil {
			return
		}
		in.mu.Lock()
		if !in.closed {
			for _, it := range batch {
				in.keep(it.t, it.search)
			}
			in.order = nil
			in.pending -= len(batch)
		}
		in.mu.Unlock()
		batch = batch[:0]
	}
	for it := range results {
		batch = append(batch, it)
		if len(batch) == 256 {
			flush()
		}
	}
	flush()
	in.mu.Lock()
	in.pending = 0
	in.mu.Unlock()
	return ferr
}

// keep lists t, with its search text, in place of any testimony of the
// same ID. The caller holds in.mu.
func (in *inbox) keep(t *testimony, search string) {
	in.seq++
	t.seq, t.indexed = in.seq, true
	in.text.add(t, search)
	in.items[t.ID] = t
	in.order = nil
}

// openForStore opens and verifies the sealed file id for the store.
func (in *inbox) openForStore(id string, roster *keys.Roster) storedItem {
	sink := &textSink{}
	t := in.open(id, roster, sink)
	it := storedItem{t: t}
	if t.M != nil {
		it.answers = sink.answers
		it.search = searchText(string(sink.note), flattenAnswers(sink.answers), t.M)
		t.M = &envelope.Manifest{ID: id, Format: t.M.Format, Form: t.M.Form, Day: t.M.Day, Language: t.M.Language, Subject: t.M.Subject, Device: t.M.Device, Reid: t.M.Reid}
	}
	return it
}

// openFull opens the testimony id from its sealed file, with the current
// roster, for its page: note, answers and the attachments' names and types.
func (in *inbox) openFull(id string) *testimony {
	sink := &textSink{wantHeads: true}
	t := in.open(id, in.roster(), sink)
	if t.M == nil {
		return t
	}
	t.Note = string(sink.note)
	if sink.answers != nil {
		t.Answers = flattenAnswers(sink.answers)
	}
	for _, e := range t.M.Entries {
		if name, ok := strings.CutPrefix(e.Name, envelope.AttachmentDir); ok {
			t.Attached = append(t.Attached, attached{Name: name, Type: contentType(name, sink.heads[e.Name])})
		}
	}
	return t
}

// open opens the sealed file id into sink and checks it against its
// receipt. M is set only if it opened and verified.
func (in *inbox) open(id string, roster *keys.Roster, sink envelope.Sink) *testimony {
	t := &testimony{ID: id}
	var rc *server.Receipt
	if b, err := os.ReadFile(filepath.Join(in.dir, "receipts", id+".json")); err == nil {
		if json.Unmarshal(b, &rc) == nil && rc.ID == id {
			t.Logged = true
		} else {
			rc = nil
		}
	}
	f, err := os.Open(filepath.Join(in.dir, id+".age"))
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
	o, err := envelope.Open(f, fi.Size(), sink, envelope.OpenOptions{Identity: in.identity, Roster: roster, ID: id})
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
	return t
}

// textSink keeps note.md and answers.json (up to maxText bytes together)
// and, if heads is set, the first 512 bytes of each attachment to tell its
// type; the rest goes nowhere (Open still authenticates it).
type textSink struct {
	note, answers []byte
	heads         map[string][]byte // nil: not kept
	wantHeads     bool
	total         int64
}

// maxText bounds the note and answers of one testimony a desk reads.
const maxText = 256 << 20

func (s *textSink) Create(name string, size int64) (io.WriteCloser, error) {
	switch {
	case name == envelope.NoteName || name == envelope.AnswersName:
		if s.total += size; s.total > maxText {
			return nil, fmt.Errorf("%s is too large for the desk (%d bytes)", name, size)
		}
		return &bufEntry{dst: map[bool]*[]byte{true: &s.note, false: &s.answers}[name == envelope.NoteName], size: size}, nil
	case s.wantHeads:
		if s.heads == nil {
			s.heads = map[string][]byte{}
		}
		return &headEntry{m: s.heads, name: name}, nil
	}
	return nopCloser{io.Discard}, nil
}

type bufEntry struct {
	dst  *[]byte
	size int64
	buf  []byte
}

func (e *bufEntry) Write(p []byte) (int, error) {
	if e.buf == nil {
		e.buf = make([]byte, 0, e.size)
	}
	e.buf = append(e.buf, p...)
	return len(p), nil
}

func (e *bufEntry) Close() error {
	if e.buf == nil {
		e.buf = []byte{}
	}
	*e.dst = e.buf
	return nil
}

type headEntry struct {
	m    map[string][]byte
	name string
	head []byte
}

func (e *headEntry) Write(p []byte) (int, error) {
	if n := min(512-len(e.head), len(p)); n > 0 {
		e.head = append(e.head, p[:n]...)
	}
	return len(p), nil
}

func (e *headEntry) Close() error { e.m[e.name] = e.head; return nil }

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
	Query string
	Items []*testimony // this page's
	Total int
	// Matches counts the testimonies the search found (all of them
	// without a query); Page (from 1) of Pages shows pageSize of them.
	Matches, Page, Pages int
	Tags                 map[string][]tagSummary
	Pulling              bool
	Verified             *client.Report
	Problems             []string
	// Pending counts the sealed files found and not yet opened into the
	// store; Searching is set when the search text was not all read yet.
	Pending   int
	Searching bool
}

// pageSize is how many testimonies an inbox page lists.
const pageSize = 100

// inboxData is page (from 1) of the inbox, or of what the search q finds.
// A search waits for the search text to be read (see loadSearch), at most
// until ctx ends; then it runs over what was read, and says so.
func (d *Desk) inboxData(ctx context.Context, u *unlocked, q string, page int) *inboxView {
	in := u.inbox
	v := &inboxView{Query: q, Tags: map[string][]tagSummary{}}
	// A pseudonym is found in both scripts: 김영석 also finds Kim Young-seok,
	// and a romanized name every pseudonym it can be read as ("Seo
	// Jin-woo": 서진우, and 우서진 given name first). What was typed is
	// always searched for too.
	queries := []string{fold(q)}
	for _, sp := range pseudonym.PseudonymReadings(q) {
		for _, s := range sp {
			if f := fold(s); !slices.Contains(queries, f) {
				queries = append(queries, f)
			}
		}
	}
	contains := func(s string) bool {
		for _, fq := range queries {
			if fq != "" && strings.Contains(s, fq) {
				return true
			}
		}
		return false
	}
	fq := queries[0]
	if fq != "" {
		select {
		case <-in.searchReady:
		case <-ctx.Done():
			v.Searching = true
		}
	}
	in.mu.Lock()
	if in.order == nil {
		in.order = make([]*testimony, 0, len(in.items))
		for _, t := range in.items {
			in.order = append(in.order, t)
		}
		sort.Slice(in.order, func(i, j int) bool {
			a, b := in.order[i], in.order[j]
			if a.M == nil || b.M == nil {
				if (a.M == nil) != (b.M == nil) {
					return a.M == nil
				}
				return a.ID < b.ID
			}
			if a.M.Day != b.M.Day {
				return a.M.Day > b.M.Day
			}
			return a.ID < b.ID
		})
	}
	order := in.order
	in.mu.Unlock()
	in.mu.RLock()
	defer in.mu.RUnlock()
	v.Total, v.Pending = len(order), in.pending
	matches := order
	if fq != "" {
		// Hits are marked by seq; a text of a testimony the inbox no
		// longer lists (its file was imported again) marks nothing listed.
		hits := make([]bool, in.seq+1)
		in.text.search(queries, func(t *testimony) { hits[t.seq] = true })
		for id, notes := range in.notes {
			t := in.items[id]
			if t == nil || hits[t.seq] {
				continue
			}
			for _, n := range notes {
				if n.Refused == "" && contains(fold(n.Text)) {
					hits[t.seq] = true
				}
			}
			for _, tag := range tagsOf(notes) {
				if contains(fold(tag.Name)) {
					hits[t.seq] = true
				}
			}
		}
		matches = nil
		for _, t := range order {
			if hits[t.seq] {
				matches = append(matches, t)
			}
		}
	}
	v.Matches = len(matches)
	v.Pages = max(1, (len(matches)+pageSize-1)/pageSize)
	v.Page = min(max(page, 1), v.Pages)
	v.Items = matches[(v.Page-1)*pageSize : min(v.Page*pageSize, len(matches))]
	for _, t := range v.Items {
		v.Tags[t.ID] = tagsOf(in.notes[t.ID])
	}
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
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	// A search waits for the search text at most this long.
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	d.render(w, r, http.StatusOK, "inbox", "Inbox", d.inboxData(ctx, u, q, page))
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
	// Typed is what the annotation form held when it was refused.
	Typed *annotationTyped
	// FormName names the form the testimony answers (see formName).
	FormName string
}

// testimonyData is the page of testimony id, opened from its sealed file
// with full authentication, or nil if the inbox has none.
func testimonyData(u *unlocked, id string) *testimonyView {
	in := u.inbox
	in.mu.RLock()
	_, ok := in.items[id]
	notes := slices.Clone(in.notes[id])
	closed := in.closed
	in.mu.RUnlock()
	if !ok || closed {
		return nil
	}
	return &testimonyView{T: in.openFull(id), Notes: notes, Tags: tagsOf(notes)}
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
	if typed, ok := resultData[*annotationTyped](d, r); ok {
		v.Typed = typed
	}
	if v.T.M != nil {
		v.FormName = d.formName(lang(r), v.T.M.Form)
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

// attachment serves an attachment, images and audio inline, anything else
// as a download. The testimony's sealed file is opened with full
// authentication into the attachment cache the first time, and the
// attachment streamed from there.
func (d *Desk) attachment(w http.ResponseWriter, r *http.Request, u *unlocked) {
	in := u.inbox
	id, name := r.PathValue("id"), r.PathValue("n")
	in.mu.RLock()
	_, ok := in.items[id]
	in.mu.RUnlock()
	if !ok {
		d.refuse(w, r, http.StatusNotFound, "There is no such testimony in the inbox.")
		return
	}
	files, err := in.files.get(id, func(sink envelope.Sink) error {
		if t := in.open(id, in.roster(), sink); t.M == nil {
			return errors.New(t.Err)
		}
		return nil
	})
	if err != nil {
		d.refuse(w, r, http.StatusNotFound, "There is no such attachment.")
		return
	}
	f, ok := files[name]
	if !ok {
		d.refuse(w, r, http.StatusNotFound, "There is no such attachment.")
		return
	}
	a := attached{Name: name, Type: f.typ}
	switch a.Kind() {
	case "image", "audio":
		w.Header().Set("Content-Type", a.Type)
		w.Header().Set("Content-Disposition", "inline")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+id[:8]+"-"+a.Name+`"`)
	}
	if err := in.files.serve(w, r, f); err != nil {
		d.cfg.Log.Warn("failed to serve an attachment")
		d.refuse(w, r, http.StatusInternalServerError, "There is no such attachment.")
	}
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

// annotationTyped is what the annotation form held when it was refused,
// for the page to show again.
type annotationTyped struct{ Tags, Text string }

func (d *Desk) annotatePost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	id := r.PathValue("id")
	view := testimonyData(u, id)
	if view == nil {
		d.refuse(w, r, http.StatusNotFound, "There is no such testimony in the inbox.")
		return
	}
	page := "/t/" + id
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	typed := &annotationTyped{Tags: r.FormValue("tags"), Text: r.FormValue("text")}
	signer, _, err := d.reviewerSigner(u)
	if err != nil {
		d.refused(w, r, page+"#annotate", typed, "The note could not be sealed.", err)
		return
	}
	if signer == nil { // the page shows the key to hand to the admin
		d.refused(w, r, page+"#unlisted", typed, "The roster does not list your signing key, so you cannot annotate yet. Ask the admin to add it (testimony roster set-signer) and give them the key shown below.", nil)
		return
	}
	var tags []string
	for _, tag := range strings.Split(typed.Tags, ",") {
		if tag = strings.TrimSpace(tag); annotation.ValidTag(tag) && !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	text := strings.TrimSpace(strings.ReplaceAll(typed.Text, "\r\n", "\n"))
	if len(tags) == 0 && text == "" {
		d.refused(w, r, page+"#annotate", typed, "Write a tag or a note first.", nil)
		return
	}
	if len(text) > annotation.MaxText {
		d.refused(w, r, page+"#annotate", typed, "A note can be at most 16 KiB.", nil)
		return
	}
	if len(tags) > annotation.MaxTags {
		d.refused(w, r, page+"#annotate", typed, "A note can have at most 64 tags.", nil)
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
		d.refused(w, r, page+"#annotate", typed, "The note could not be sealed.", err)
		return
	}
	sealed := buf.Bytes()
	if err := os.MkdirAll(d.path("annotations", "pending"), 0o700); err != nil {
		d.refused(w, r, page+"#annotate", typed, "The note could not be saved.", err)
		return
	}
	if err := durable.WriteNew(d.path("annotations", "pending", aid+".age"), sealed, 0o600); err != nil {
		d.refused(w, r, page+"#annotate", typed, "The note could not be saved.", err)
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
	in := u.inbox
	in.annotating.Lock()
	defer in.annotating.Unlock()
	d.mu.Lock()
	roster := d.roster
	d.mu.Unlock()
	stamp := rosterStamp(roster)
	in.mu.Lock()
	store := in.store
	if in.notesRoster != stamp && !in.closed {
		in.notes, in.seen, in.notesRoster = map[string][]annotationView{}, map[string]bool{}, stamp
	}
	in.mu.Unlock()
	// What the store kept of each annotation opened before (see
	// inboxstore_notes.go); without a store, every one is opened.
	var kept map[string]*storedNote
	if store != nil {
		var err error
		if kept, err = store.notes(); err != nil {
			d.cfg.Log.Warn("failed to read the annotations kept in the inbox store")
		}
	}
	fresh := map[string]*storedNote{}
	files, _ := filepath.Glob(d.path("annotations", "*.age"))
	for _, f := range files {
		aid := strings.TrimSuffix(filepath.Base(f), ".age")
		if !draftID.MatchString(aid) {
			continue
		}
		in.mu.RLock()
		seen := in.seen[aid]
		in.mu.RUnlock()
		if seen {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			continue
		}
		n := kept[aid]
		if n == nil || n.Roster != stamp || n.size != fi.Size() || n.mtime != fi.ModTime().UnixNano() {
			if n = d.openAnnotation(aid, u.identity, roster); n == nil {
				continue
			}
			n.Roster, n.size, n.mtime = stamp, fi.Size(), fi.ModTime().UnixNano()
			fresh[aid] = n
		}
		in.mu.Lock()
		if in.closed { // locked meanwhile
			in.mu.Unlock()
			return nil
		}
		sub := n.Submission
		in.seen[aid] = true
		in.notes[sub] = append(in.notes[sub], n.View)
		sort.SliceStable(in.notes[sub], func(i, j int) bool {
			return in.notes[sub][i].Day < in.notes[sub][j].Day
		})
		in.mu.Unlock()
	}
	if store != nil {
		if err := store.putNotes(fresh); err != nil {
			d.cfg.Log.Warn("failed to keep the annotations in the inbox store")
		}
	}
	return nil
}

// openAnnotation opens the annotation aid kept on disk, or returns nil if
// it cannot be opened at all (it is then left out, as before).
func (d *Desk) openAnnotation(aid string, identity *keys.Identity, roster *keys.Roster) *storedNote {
	var m annotationMeta
	b, err := os.ReadFile(d.path("annotations", aid+".json"))
	if err != nil || json.Unmarshal(b, &m) != nil || m.ID != aid {
		return nil
	}
	sealed, err := os.ReadFile(d.path("annotations", aid+".age"))
	if err != nil {
		return nil
	}
	a, err := annotation.Open(sealed, aid, identity, roster)
	var refused *annotation.RefusedError
	switch {
	case err == nil && a.Signed:
		return &storedNote{Submission: a.Submission, View: annotationView{ID: aid, Day: a.Day, Text: a.Text, Tags: a.Tags, Signed: true, Author: a.Author}}
	case err == nil:
		return &storedNote{Submission: a.Submission, View: annotationView{ID: aid, Day: m.Day, Text: a.Text, Tags: a.Tags, Claim: m.Author}}
	case errors.As(err, &refused) && refused.Submission != "":
		d.cfg.Log.Warn("an annotation was refused: its signature does not verify")
		return &storedNote{Submission: refused.Submission, View: annotationView{ID: aid, Day: m.Day, Refused: refusalReason(err)}}
	}
	d.cfg.Log.Warn("an annotation could not be opened")
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
	// Ran is false on the page before any check.
	Ran bool
}

// verifyPost checks the server's log against this desk's receipts and
// sends the person to the page that shows the outcome.
func (d *Desk) verifyPost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	rep, err := u.client.Verify(r.Context(), d.path("inbox", "receipts"), u.logKey)
	v := &verifyView{Report: &rep, Ran: true}
	if err != nil {
		v.Error = err.Error()
	}
	d.done(w, r, "/verify", &result{ok: true, data: v}) // the page says how it went
}

// verifyPage shows the outcome of the check a post just ran, or a button
// to run one.
func (d *Desk) verifyPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	v, ok := resultData[*verifyView](d, r)
	if !ok {
		v = &verifyView{Report: &client.Report{}}
	}
	d.render(w, r, http.StatusOK, "verify", "Log check", v)
}
