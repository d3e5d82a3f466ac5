package desk

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"testimony/internal/durable"
)

var sealedFile = regexp.MustCompile(`^([0-9a-f]{32})(\.reid)?\.age$`)

type outboxEntry struct {
	ID     string
	Size   int64
	Sealed time.Time
	Sent   bool
	Reid   bool
}

type outboxData struct {
	Entries      []outboxEntry
	Waiting      int
	Sealed       string // the ID just sealed
	Results      []syncResult
	ExportedTo   string
	Imported     int
	DefaultExprt string
	// ExportDir and ImportDir are the folders last typed.
	ExportDir, ImportDir string
	// Device is this laptop's device ID and Fingerprint its key's, as the
	// roster lists it: what the interviewer reads to the admin.
	Device, Fingerprint string
}

type syncResult struct {
	ID, Error, Day string
	OK             bool
}

// outbox lists the sealed files waiting or sent.
func (d *Desk) outbox() outboxData {
	out := outboxData{Device: d.profile.Device}
	d.mu.Lock()
	if v, ok := d.roster.Device(out.Device); ok {
		out.Fingerprint = v.Fingerprint()
	}
	d.mu.Unlock()
	files, _ := os.ReadDir(d.path("outbox"))
	for _, f := range files {
		m := sealedFile.FindStringSubmatch(f.Name())
		if m == nil || m[2] != "" {
			continue
		}
		fi, err := f.Info()
		if err != nil {
			continue
		}
		e := outboxEntry{ID: m[1], Size: fi.Size(), Sealed: fi.ModTime()}
		if _, err := os.Stat(d.path("receipts", m[1]+".json")); err == nil {
			e.Sent = true
		} else {
			out.Waiting++
		}
		if _, err := os.Stat(d.path("outbox", m[1]+".reid.age")); err == nil {
			e.Reid = true
		}
		out.Entries = append(out.Entries, e)
	}
	sort.Slice(out.Entries, func(i, j int) bool { return out.Entries[i].Sealed.After(out.Entries[j].Sealed) })
	return out
}

// outboxResult is what a post on the outbox page did: what it sent,
// exported or imported, and the folders typed.
type outboxResult struct {
	Results    []syncResult
	ExportedTo string
	Imported   int
	ExportDir  string
	ImportDir  string
}

func (d *Desk) outboxPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	data := d.outbox()
	if id := r.URL.Query().Get("sealed"); draftID.MatchString(id) {
		data.Sealed = id
	}
	if res, ok := resultData[*outboxResult](d, r); ok {
		data.Results, data.ExportedTo, data.Imported = res.Results, res.ExportedTo, res.Imported
		data.ExportDir, data.ImportDir = res.ExportDir, res.ImportDir
	}
	d.render(w, r, http.StatusOK, "outbox", "Outbox", data)
}

// syncPost sends every sealed file that has no receipt yet.
func (d *Desk) syncPost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	if err := d.refreshRoster(r.Context(), u); err != nil {
		d.refused(w, r, "/outbox", &outboxResult{}, "The server could not be reached, or its answer was refused. Everything stays in the outbox; try again later.", err)
		return
	}
	var results []syncResult
	for _, e := range d.outbox().Entries {
		if e.Sent {
			continue
		}
		rc, err := u.client.Push(r.Context(), d.path("outbox", e.ID+".age"), u.logKey, d.path("receipts"))
		if err != nil {
			results = append(results, syncResult{ID: e.ID, Error: err.Error()})
			continue
		}
		results = append(results, syncResult{ID: e.ID, OK: true, Day: rc.Day})
	}
	res := &outboxResult{Results: results}
	failed := 0
	for _, sr := range results {
		if !sr.OK {
			failed++
		}
	}
	d.cfg.Log.Info("synced the outbox", "sent", len(results)-failed, "failed", failed)
	switch {
	case failed > 0:
		d.refused(w, r, "/outbox", res, "Some files were not accepted; they stay in the outbox. Syncing again is safe.", nil)
	case len(results) == 0:
		d.ok(w, r, "/outbox", res, "Nothing to send: every sealed file has a receipt.")
	default:
		d.ok(w, r, "/outbox", res, "Sent. The server's log holds every file (its receipts were checked).")
	}
}

// exportPost copies the files waiting in the outbox (sealed files only) to
// a folder, such as a USB drive, for another desk to send.
func (d *Desk) exportPost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	dir := strings.TrimSpace(r.FormValue("dir"))
	typed := &outboxResult{ExportDir: dir}
	if dir == "" || !filepath.IsAbs(dir) {
		d.refused(w, r, "/outbox#export-dir", typed, "Give the full path of a folder, such as the USB drive's.", nil)
		return
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		d.refused(w, r, "/outbox#export-dir", typed, "That folder does not exist.", nil)
		return
	}
	dst := filepath.Join(dir, "testimony-outbox-"+d.cfg.Now().Format("20060102-150405"))
	if err := os.Mkdir(dst, 0o700); err != nil {
		d.refused(w, r, "/outbox#export-dir", typed, "The export failed.", err)
		return
	}
	n := 0
	for _, e := range d.outbox().Entries {
		if e.Sent {
			continue
		}
		names := []string{e.ID + ".age"}
		if e.Reid {
			names = append(names, e.ID+".reid.age")
		}
		for _, name := range names {
			b, err := os.ReadFile(d.path("outbox", name))
			if err == nil {
				err = durable.WriteNew(filepath.Join(dst, name), b, 0o600)
			}
			if err != nil {
				d.refused(w, r, "/outbox#export-dir", typed, "The export failed.", err)
				return
			}
		}
		n++
	}
	d.cfg.Log.Info("exported the outbox", "files", n)
	d.ok(w, r, "/outbox", &outboxResult{ExportedTo: dst, ExportDir: dir}, "Exported. The files are sealed: whoever finds the drive cannot read them. Import them on a desk that is online.")
}

// importPost copies sealed files from a folder (an export of another
// desk's outbox) into this outbox. Only files named and shaped like sealed
// files are taken; they are sent at the next sync.
func (d *Desk) importPost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	dir := strings.TrimSpace(r.FormValue("dir"))
	typed := &outboxResult{ImportDir: dir}
	if dir == "" || !filepath.IsAbs(dir) {
		d.refused(w, r, "/outbox#import-dir", typed, "Give the full path of a folder, such as the USB drive's.", nil)
		return
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		d.refused(w, r, "/outbox#import-dir", typed, "That folder cannot be read.", nil)
		return
	}
	if err := os.MkdirAll(d.path("outbox"), 0o700); err != nil {
		d.refused(w, r, "/outbox#import-dir", typed, "The import failed.", err)
		return
	}
	n, skipped := 0, 0
	var bad, large []string
	for _, f := range files {
		m := sealedFile.FindStringSubmatch(f.Name())
		if m == nil || !f.Type().IsRegular() {
			continue
		}
		if _, err := os.Stat(d.path("outbox", f.Name())); err == nil {
			skipped++
			continue
		}
		err := importSealed(filepath.Join(dir, f.Name()), d.path("outbox", f.Name()), maxSealedSize)
		switch {
		case errors.Is(err, errTooLarge):
			large = append(large, f.Name())
			continue
		case errors.Is(err, errNotSealed):
			bad = append(bad, f.Name())
			continue
		case err != nil:
			d.refused(w, r, "/outbox#import-dir", typed, "The import failed.", err)
			return
		}
		if m[2] == "" {
			n++
		}
	}
	typed.Imported = n
	d.cfg.Log.Info("imported into the outbox", "files", n)
	switch {
	case len(large) > 0:
		d.refused(w, r, "/outbox#import-dir", typed, "Some files are larger than a sealed file can be (2 GiB) and were not imported.", errors.New(strings.Join(append(large, bad...), ", ")))
	case len(bad) > 0:
		d.refused(w, r, "/outbox#import-dir", typed, "Some files are not sealed testimony files and were not imported.", errors.New(strings.Join(bad, ", ")))
	case n == 0 && skipped == 0:
		d.refused(w, r, "/outbox#import-dir", typed, "That folder holds no sealed files.", nil)
	default:
		d.ok(w, r, "/outbox", typed, "Imported %d sealed file(s). Sync to send them.", n)
	}
}

// maxSealedSize is the largest sealed file the desk imports: the server's
// default limit on one upload. A desk seals at most 20 attachments of
// 64 MiB, well under it.
const maxSealedSize = 2 << 30

var (
	errTooLarge  = errors.New("larger than a sealed file can be")
	errNotSealed = errors.New("not a sealed file")
)

// importSealed copies the sealed file src to the new file dst, durably. A
// file larger than limit is refused with errTooLarge before any of it is
// read (and if it grows while it is copied, the copy stops at limit and is
// refused the same way); a file that is not a binary age file with a
// well-formed header is refused with errNotSealed. The server checks the
// header against the roster. Nothing is left at dst after a refusal.
func importSealed(src, dst string, limit int64) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("%w: %w", errNotSealed, err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: not a regular file", errNotSealed)
	}
	if fi.Size() > limit {
		return fmt.Errorf("%w: %d bytes", errTooLarge, fi.Size())
	}
	out, err := durable.Create(dst, 0o600)
	if err != nil {
		return err
	}
	defer out.Abort()
	// The header is checked as it is copied, so that a file that is not
	// sealed is refused before the rest of it is read.
	lr := &io.LimitedReader{R: in, N: limit + 1}
	tee := &teeWriter{w: out}
	if _, err := age.ExtractHeader(io.TeeReader(lr, tee)); err != nil {
		switch {
		case tee.err != nil:
			return fmt.Errorf("failed to copy %s: %w", filepath.Base(src), tee.err)
		case lr.N == 0:
			return fmt.Errorf("%w: it grew while it was read", errTooLarge)
		}
		return fmt.Errorf("%w: %w", errNotSealed, err)
	}
	if _, err := io.Copy(out, lr); err != nil {
		return fmt.Errorf("failed to copy %s: %w", filepath.Base(src), err)
	}
	if lr.N == 0 {
		return fmt.Errorf("%w: it grew while it was read", errTooLarge)
	}
	return out.Commit()
}

// teeWriter keeps the first write error, which io.TeeReader would report
// as a read error.
type teeWriter struct {
	w   io.Writer
	err error
}

func (t *teeWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil && t.err == nil {
		t.err = err
	}
	return n, err
}
