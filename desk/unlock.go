package desk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"testimony/internal/client"
	"testimony/internal/durable"
	"testimony/internal/pseudonym"
	"testimony/keys"
)

// unlocked is what the desk holds while it is unlocked: keys, the server
// client, and what was decrypted. forget drops all of it.
type unlocked struct {
	client *client.Client
	logKey note.Verifier

	// An interviewer's.
	device   *keys.SigningKey
	pkey     *keys.PseudonymKey
	drafts   *keys.Identity
	registry *pseudonym.Registry

	// A reviewer's or custodian's.
	identity *keys.Identity
	inbox    *inbox    // reviewer: decrypted testimony
	records  *registry // custodian: decrypted re-identification records
}

// forget drops what was decrypted. The desk drops its reference to u
// when it locks; a request or a pull still running with u finishes with
// the keys it holds (Go cannot wipe them), and what it decrypts after this
// is dropped.
func (u *unlocked) forget() {
	if u.inbox != nil {
		u.inbox.forget()
	}
	if u.records != nil {
		u.records.forget()
	}
}

func (d *Desk) path(name ...string) string {
	return filepath.Join(append([]string{d.cfg.Home}, name...)...)
}

// needUnlocked runs h with the unlocked state, or sends the person to the
// unlock page.
func (d *Desk) needUnlocked(h func(http.ResponseWriter, *http.Request, *unlocked)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		if d.open != nil && d.cfg.Now().Sub(d.lastSeen) > d.cfg.IdleLock {
			d.open.forget()
			d.open = nil
			d.results.forget()
		}
		u := d.open
		if u != nil {
			d.lastSeen = d.cfg.Now()
		}
		d.mu.Unlock()
		if u == nil {
			next := "/"
			if r.Method == http.MethodGet {
				next = deskPath(r.URL.EscapedPath())
			}
			http.Redirect(w, r, "/unlock?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		h(w, r, u)
	}
}

// progress is how far the unlock running has come, for the unlock page:
// unlocking takes a scrypt per key file (0.7 s each at the real work
// factor), then opening what the desk holds, and a page that only waits
// looks frozen. The page's script asks /unlock/progress while the post
// runs and shows each step as it ends.
type progress struct {
	mu      sync.Mutex
	running bool
	steps   []string // English, translated when shown
	done    int      // steps finished
	next    string   // the page the unlock is for
	// ended is set when an unlock in the background ends, until the
	// unlock page has shown how (failed, or nil for unlocked).
	ended  bool
	failed *unlockFailure
}

// start begins an unlock's progress; false if one is running.
func (p *progress) start(steps []string, next string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return false
	}
	p.running, p.steps, p.done, p.next, p.ended, p.failed = true, steps, 0, next, false, nil
	return true
}

func (p *progress) step() {
	p.mu.Lock()
	p.done++
	done := p.done
	p.mu.Unlock()
	if unlockStepHook != nil {
		unlockStepHook(done)
	}
}

// stop ends the unlock's progress; failed says how it ended, for the
// unlock page.
func (p *progress) stop(failed *unlockFailure) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running, p.ended, p.failed = false, true, failed
}

// unlockStepHook, if set (by tests only), runs after each step of an
// unlock, with the number of steps done.
var unlockStepHook func(done int)

// progressView is the unlock page's list of steps.
type progressView struct {
	L       string
	Running bool
	Steps   []progressStep
	Done    int
	Total   int
}

type progressStep struct {
	Name string
	Done bool
	Now  bool // the step running
}

// unlockSteps are the steps of an unlock of the role's desk, in order.
func unlockSteps(role string) []string {
	steps := []string{"Opening the key to the server"}
	switch role {
	case Interviewer:
		steps = append(steps, "Opening this laptop's signing key", "Opening the pseudonym key", "Opening the drafts key", "Opening the list of pseudonyms used")
	case Reviewer:
		steps = append(steps, "Opening your identity key", "Opening the inbox")
	default:
		steps = append(steps, "Opening your identity key", "Opening the re-identification records")
	}
	return steps
}

// unlockProgress is the fragment of the unlock page that lists the steps
// of the unlock running; the page's script fetches it while it waits.
func (d *Desk) unlockProgress(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := d.pages.byName["unlock"].ExecuteTemplate(w, "progress", d.progressView(lang(r))); err != nil {
		d.cfg.Log.Error("failed to render the unlock's progress", "err", err.Error())
	}
}

// progressView is the unlock's progress, for a page in the language l.
func (d *Desk) progressView(l string) progressView {
	d.progress.mu.Lock()
	defer d.progress.mu.Unlock()
	v := progressView{L: l, Running: d.progress.running, Done: d.progress.done, Total: len(d.progress.steps)}
	for i, s := range d.progress.steps {
		v.Steps = append(v.Steps, progressStep{Name: s, Done: i < d.progress.done, Now: i == d.progress.done && d.progress.running})
	}
	return v
}

func (d *Desk) unlockPage(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{"Next": deskPath(r.URL.Query().Get("next"))}
	// An unlock the page started in the background (see unlockPost):
	// running, its steps; ended, the page it was for, or why it failed.
	d.progress.mu.Lock()
	running, ended, failed, next := d.progress.running, d.progress.ended, d.progress.failed, d.progress.next
	if ended {
		d.progress.ended, d.progress.failed = false, nil // shown once
	}
	d.progress.mu.Unlock()
	switch {
	case running:
		// The page's script asks for the progress and goes on when done.
		data["Running"], data["Progress"] = true, d.progressView(lang(r))
	case ended && failed == nil && !d.isLocked():
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	case failed == nil && !d.isLocked():
		// Unlocked already (say, by this page in another tab): nothing to
		// type here.
		http.Redirect(w, r, deskPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	case ended && failed != nil:
		data["Next"] = next
		d.fail(w, r, failed.status, "unlock", "Unlock", data, failed.msg, failed.detail)
		return
	}
	d.render(w, r, http.StatusOK, "unlock", "Unlock", data)
}

func (d *Desk) isLocked() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.open == nil
}

// unlockFailure is why an unlock failed, for the page.
type unlockFailure struct {
	status int
	msg    string
	detail error
}

// unlockPost unlocks the desk with the passphrase posted. From the unlock
// page's script (the form's "async" field), it answers at once with a
// redirect to the unlock page, which shows the steps while the keys open
// in the background and then goes on to the page asked for; otherwise
// (a page without script, a program) it answers when the desk is
// unlocked, with a redirect to that page.
func (d *Desk) unlockPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	next := deskPath(r.FormValue("next"))
	data := map[string]string{"Next": next}
	pass, err := keys.ExistingPassphrase(r.FormValue("passphrase"))
	if err != nil {
		d.fail(w, r, http.StatusBadRequest, "unlock", "Unlock", data, "Type your passphrase.", nil)
		return
	}
	if !d.progress.start(unlockSteps(d.profile.Role), next) {
		// One unlock at a time: this one's page shows the one running.
		http.Redirect(w, r, "/unlock?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	if r.FormValue("async") == "1" {
		go func() {
			failed := d.finishUnlock(d.unlockStepwise(context.Background(), pass, d.progress.step))
			d.progress.stop(failed)
		}()
		http.Redirect(w, r, "/unlock?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	failed := d.finishUnlock(d.unlockStepwise(r.Context(), pass, d.progress.step))
	d.progress.stop(nil) // answered here, not on the page
	if failed != nil {
		d.fail(w, r, failed.status, "unlock", "Unlock", data, failed.msg, failed.detail)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// finishUnlock keeps what an unlock opened, or counts its failure.
func (d *Desk) finishUnlock(u *unlocked, err error) *unlockFailure {
	if err != nil {
		d.mu.Lock()
		d.failures++
		wait := time.Duration(min(d.failures, 10)) * 200 * time.Millisecond
		d.mu.Unlock()
		time.Sleep(wait) // scrypt already slows guessing; this adds to it
		if errors.Is(err, keys.ErrWrongPassphrase) {
			return &unlockFailure{http.StatusForbidden, "That passphrase does not unlock this desk. Check the keyboard language (한/영) and Caps Lock, and try again.", nil}
		}
		return &unlockFailure{http.StatusInternalServerError, "The desk could not unlock its keys.", err}
	}
	d.mu.Lock()
	if d.open != nil {
		d.open.forget()
	}
	d.open, d.lastSeen, d.failures = u, d.cfg.Now(), 0
	d.mu.Unlock()
	d.cfg.Log.Info("unlocked")
	return nil
}

// unlockWith opens every secret file of the profile with pass, one after
// another: each costs a scrypt, which holds 128·r·N bytes while it runs
// (256 MiB at work factor 18), so in parallel an interviewer's four files
// took the desk past 1 GiB. A collection after each frees its buffer for
// the next to reuse, and the memory goes back to the system at the end
// (docs/benchmarks.md, "Unlocking passphrase-protected keys").
func (d *Desk) unlockWith(ctx context.Context, pass keys.Passphrase) (*unlocked, error) {
	return d.unlockStepwise(ctx, pass, nil)
}

// unlockStepwise is unlockWith that calls step, if not nil, after each
// key file and after opening what the desk holds (see unlockSteps).
func (d *Desk) unlockStepwise(ctx context.Context, pass keys.Passphrase, step func()) (*unlocked, error) {
	if step == nil {
		step = func() {}
	}
	u := &unlocked{}
	unlock := keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) { return pass, nil }}
	var token keys.Secret
	jobs := []func() error{func() (err error) { token, err = keys.LoadSecretFile(d.path("token.age"), unlock); return }}
	switch d.profile.Role {
	case Interviewer:
		jobs = append(jobs,
			func() (err error) { u.device, err = keys.LoadSigningKey(d.path("device.key"), unlock); return },
			func() (err error) { u.pkey, err = keys.LoadPseudonymKey(d.path("pseudonym.key"), unlock); return },
			func() (err error) { u.drafts, err = keys.LoadIdentity(d.path("drafts.key"), unlock); return },
		)
	default:
		jobs = append(jobs, func() (err error) { u.identity, err = keys.LoadIdentity(d.path("identity.key"), unlock); return })
	}
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		if errs[i] = j(); errs[i] != nil {
			break
		}
		step()
		runtime.GC()
	}
	debug.FreeOSMemory()
	if err := errors.Join(errs...); err != nil {
		for _, e := range errs {
			if errors.Is(e, keys.ErrWrongPassphrase) {
				return nil, e
			}
		}
		return nil, err
	}
	c, err := client.New(d.profile.Server, token.Reveal(), func(msg string) { d.cfg.Log.Warn("server client", "msg", msg) },
		client.WithProxy(cmp.Or(d.cfg.Proxy, d.profile.Proxy)))
	if err != nil {
		return nil, err
	}
	u.client = c
	d.mu.Lock()
	roster := d.roster
	d.mu.Unlock()
	if u.logKey, err = client.LogKey(roster); err != nil {
		return nil, err
	}
	switch d.profile.Role {
	case Interviewer:
		if u.registry, err = pseudonym.LoadRegistry(d.path("registry.json")); err != nil {
			return nil, err
		}
	case Reviewer:
		u.inbox = newInbox()
		if err := d.loadInbox(u); err != nil {
			return nil, err
		}
	case Custodian:
		u.records = newRegistry()
		if err := d.loadRecords(u); err != nil {
			return nil, err
		}
	}
	step()
	return u, nil
}

func (d *Desk) lockPost(w http.ResponseWriter, r *http.Request) {
	d.lock()
	d.cfg.Log.Info("locked by its user")
	http.Redirect(w, r, "/unlock", http.StatusSeeOther)
}

func (d *Desk) home(w http.ResponseWriter, r *http.Request, u *unlocked) {
	switch d.profile.Role {
	case Interviewer:
		d.interviewerHome(w, r, u)
	case Reviewer:
		d.inboxPage(w, r, u)
	default:
		d.custodianHome(w, r, u)
	}
}

// refreshRoster fetches the server's roster and keeps it if the admin key
// signed it and it is newer than the pinned one. A roster the server holds
// that is older, or not signed, is an error: the server is not trusted.
// Then it fetches the published forms (syncForms), whose refusals are
// logged and stop nothing.
func (d *Desk) refreshRoster(ctx context.Context, u *unlocked) error {
	signed, err := u.client.Roster(ctx)
	if err != nil {
		return err
	}
	d.mu.Lock()
	pinned := d.roster
	d.mu.Unlock()
	r, err := keys.VerifyRoster(signed, d.admin, nil)
	if err == nil {
		err = keys.CheckNotOlder(r, pinned)
	}
	if err != nil {
		return fmt.Errorf("the server's roster was refused: %w", err)
	}
	if r.Version != pinned.Version {
		if err := durable.Replace(d.path("roster.txt"), signed, 0o644); err != nil {
			return err
		}
		d.mu.Lock()
		d.roster = r
		d.mu.Unlock()
	}
	// Forms come with the roster; a refused one does not stop the sync.
	d.syncForms(ctx, u)
	return nil
}
