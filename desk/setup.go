package desk

// The setup page: a desk whose home holds no profile makes one, as 'keygen',
// 'enroll' and 'desk init' do on the command line, in two steps.
//
//  1. The person gives the invitation file the admin handed over (or, for a
//     reviewer or custodian without one, the server's address and the admin
//     key as text), the one-time enrollment code, and a new passphrase. The
//     desk checks everything it can before it spends the code, makes the
//     keys on this computer, redeems the code for a token, fetches the
//     server's roster and checks it against the admin key, and writes the
//     keys protected by the passphrase, with pending.json last. If anything
//     fails, what it wrote is removed: the home holds no profile and no
//     pending setup, and the person starts again (with a new code, if the
//     server took this one).
//  2. The page shows the fingerprint to read to the admin, and the public
//     key files to hand over. Once the admin has signed the key into the
//     roster and published it, the person checks again with their
//     passphrase: the desk fetches the roster, checks the admin's signature
//     and that it lists this key, and writes profile.json. The desk is then
//     an ordinary desk, unlocked.
//
// The admin key is never taken from the server: it comes from the
// invitation file or is pasted by the person, and the page shows its
// fingerprint, which the admin reads out to compare.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"testimony/internal/client"
	"testimony/internal/durable"
	"testimony/keys"
	"testimony/server"
)

// pendingFile marks a setup that has its keys and token and waits for the
// admin to put its key in the roster.
const pendingFile = "pending.json"

const pendingFormat = "testimony-desk-pending-v1"

// setupFiles are every file step 1 writes, removed if it fails.
var setupFiles = []string{"token.age", "device.key", "pseudonym.key", "drafts.key", "identity.key", "admin.pub", "roster.txt", pendingFile}

// setupState is the state of a desk in setup mode.
type setupState struct {
	pending *pendingSetup // nil before step 1
}

// pendingSetup is pending.json: the public part of a setup waiting for the
// roster.
type pendingSetup struct {
	Format string `json:"format"`
	Org    string `json:"org"`
	Role   string `json:"role"`
	Label  string `json:"label"`
	Server string `json:"server"`
	Proxy  string `json:"proxy,omitempty"`
	Device string `json:"device,omitempty"`
	// DevicePub is an interviewer laptop's verifier key; Recipient and
	// Signer a reviewer's or custodian's public keys.
	DevicePub string `json:"device_pub,omitempty"`
	Recipient string `json:"recipient,omitempty"`
	Signer    string `json:"signer,omitempty"`
	Drafts    string `json:"drafts,omitempty"`
	// AdminPub is the pinned admin key, whose fingerprint the page shows.
	AdminPub string `json:"admin_pub"`
}

// loadSetup reads the setup state of a home without a profile.
func loadSetup(home string) (*setupState, error) {
	b, err := os.ReadFile(filepath.Join(home, pendingFile))
	if errors.Is(err, os.ErrNotExist) {
		return &setupState{}, nil
	}
	if err != nil {
		return nil, err
	}
	var p pendingSetup
	if err := json.Unmarshal(b, &p); err != nil || p.Format != pendingFormat {
		return nil, fmt.Errorf("%s is damaged; delete it and set the desk up again", filepath.Join(home, pendingFile))
	}
	return &setupState{pending: &p}, nil
}

// setupRoutes serves the setup page, and the desk's own pages once setup
// has made a profile.
func (d *Desk) setupRoutes() http.Handler {
	mux := http.NewServeMux()
	static, _ := staticFSsub()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /lang", d.setLang)
	mux.HandleFunc("GET /{$}", d.setupPage)
	mux.HandleFunc("POST /setup", d.setupPost)
	mux.HandleFunc("POST /setup/check", d.setupCheck)
	mux.HandleFunc("POST /setup/strength", d.strengthPost)
	mux.HandleFunc("GET /setup/key/{what}", d.setupKey)
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/", http.StatusSeeOther) // the setup page comes first
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d.refuse(w, r, http.StatusNotFound, "There is no such page on this desk.")
	})
	var once sync.Once
	var desk http.Handler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !d.InSetup() {
			once.Do(func() { desk = d.routes() })
			desk.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// setupData is what the setup page shows.
type setupData struct {
	// The form, as typed (never the passphrase).
	Role, Server, AdminPub, Code string
	// AdminFingerprint is the fingerprint of the admin key given, to
	// compare with the admin's.
	AdminFingerprint string
	Strength         string // weak, fair or strong, after a post
	Hint             string // translated

	Pending *pendingSetup
	// Fingerprint is the one to read to the admin; Files the public key
	// files to hand over; Commands what the admin runs.
	Fingerprint string
	Files       []setupFileLink
	Commands    []string
}

type setupFileLink struct{ Path, Name, What string }

func (d *Desk) setupView(r *http.Request, data *setupData) *view {
	l := lang(r)
	title := "Set up this desk"
	if data.Pending != nil {
		title = "Waiting for the admin"
		d.describePending(data)
	}
	back := deskPath(r.URL.EscapedPath())
	return &view{L: l, Path: r.URL.Path, Back: back, Title: tr(l, title), Locked: true, Data: data}
}

func (d *Desk) pendingSetup() *pendingSetup {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.setup == nil {
		return nil
	}
	return d.setup.pending
}

func (d *Desk) setupPage(w http.ResponseWriter, r *http.Request) {
	data := &setupData{Role: r.URL.Query().Get("role"), Pending: d.pendingSetup()}
	d.write(w, http.StatusOK, "setup", d.setupView(r, data))
}

// setupFail shows the setup page again with msg (translated) and err's
// text as the technical detail.
func (d *Desk) setupFail(w http.ResponseWriter, r *http.Request, status int, data *setupData, msg string, err error, args ...any) {
	v := d.setupView(r, data)
	for i, a := range args {
		if a == Interviewer || a == Reviewer || a == Custodian {
			args[i] = tr(v.L, a.(string))
		}
	}
	v.Error = tr(v.L, msg, args...)
	if err != nil {
		v.Detail = err.Error()
	}
	d.write(w, status, "setup", v)
}

// setupError is a refusal of the setup form: a message for the page (in
// English, translated when shown) and the technical detail.
type setupError struct {
	status int
	msg    string
	args   []any
	err    error
}

func (e *setupError) Error() string {
	if e.err != nil {
		return fmt.Sprintf(e.msg, e.args...) + ": " + e.err.Error()
	}
	return fmt.Sprintf(e.msg, e.args...)
}

func refused(status int, err error, msg string, args ...any) *setupError {
	return &setupError{status: status, msg: msg, args: args, err: err}
}

// setupForm is the setup form as posted.
type setupForm struct {
	role, server, adminPub, code string
	invitation                   []byte // nil without a file
	pass, pass2                  string
}

func (d *Desk) setupPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxInvitationSize+64<<10)
	var f setupForm
	if err := r.ParseMultipartForm(MaxInvitationSize + 64<<10); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		d.setupFail(w, r, http.StatusBadRequest, &setupData{}, "The form could not be read; the invitation file may be too large to be one.", err)
		return
	}
	f.role, f.server = r.FormValue("role"), strings.TrimSpace(r.FormValue("server"))
	f.adminPub, f.code = strings.TrimSpace(r.FormValue("admin_pub")), strings.TrimSpace(r.FormValue("code"))
	f.pass, f.pass2 = r.FormValue("passphrase"), r.FormValue("passphrase2")
	if file, _, err := r.FormFile("invitation"); err == nil {
		f.invitation, err = io.ReadAll(io.LimitReader(file, MaxInvitationSize+1))
		file.Close()
		if err != nil {
			d.setupFail(w, r, http.StatusBadRequest, &setupData{}, "The invitation file could not be read.", err)
			return
		}
		if len(f.invitation) == 0 {
			f.invitation = nil
		}
	}
	data := &setupData{Role: f.role, Server: f.server, AdminPub: f.adminPub, Code: f.code}
	if _, hint := strengthOf(f.pass); f.pass != "" {
		data.Strength, data.Hint = strengthLevel(f.pass), tr(lang(r), hint)
	}
	if d.pendingSetup() != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	p, err := d.runSetup(r.Context(), f)
	if err != nil {
		var se *setupError
		if !errors.As(err, &se) {
			se = refused(http.StatusInternalServerError, err, "The desk could not be set up.")
		}
		d.cfg.Log.Warn("setup refused", "status", se.status)
		d.setupFail(w, r, se.status, data, se.msg, se.err, se.args...)
		return
	}
	d.mu.Lock()
	d.setup.pending = p
	d.mu.Unlock()
	d.cfg.Log.Info("setup: keys made and code redeemed; waiting for the roster")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func strengthLevel(p string) string { l, _ := strengthOf(p); return l }

// setupSource is what the form or the invitation says about the server.
type setupSource struct {
	role, label, device, server, proxy, org string
	admin                                   keys.Verifier
	roster                                  *keys.Roster // the invitation's, if any
	pkey                                    *keys.PseudonymKey
}

// runSetup is step 1. It checks the form, spends the code and writes the
// pending setup, or writes nothing.
func (d *Desk) runSetup(ctx context.Context, f setupForm) (*pendingSetup, error) {
	// Everything that can be checked here is, before the code is spent.
	var src setupSource
	if f.invitation != nil {
		inv, admin, roster, err := ParseInvitation(f.invitation)
		if err != nil {
			return nil, refused(http.StatusBadRequest, err, "This file is not a desk invitation. Open the file the admin gave you (it ends in .json), or fill in the server's address and the admin key instead.")
		}
		if f.role != "" && f.role != inv.Role {
			return nil, refused(http.StatusBadRequest, nil, "This invitation is for the role %s, but you chose %s. Choose the role the admin gave you.", inv.Role, f.role)
		}
		src = setupSource{role: inv.Role, label: inv.Label, device: inv.Device, server: inv.Server, proxy: inv.Proxy, org: inv.Org, admin: admin, roster: roster}
	} else {
		switch f.role {
		case Reviewer, Custodian:
		case Interviewer:
			return nil, refused(http.StatusBadRequest, nil, "An interviewer's laptop is set up with the invitation file from the admin: it carries the organisation's pseudonym key. Open it above.")
		default:
			return nil, refused(http.StatusBadRequest, nil, "Choose your role: interviewer, reviewer or custodian.")
		}
		if err := client.CheckURL(f.server); err != nil {
			return nil, refused(http.StatusBadRequest, err, "The server's address must look like https://intake.example.org. Copy it exactly as the admin gave it.")
		}
		admin, err := keys.ParseVerifier(f.adminPub)
		if err != nil {
			return nil, refused(http.StatusBadRequest, err, "The admin key is not one. Paste the whole line the admin gave you (it looks like name+1a2b3c4d+…).")
		}
		src = setupSource{role: f.role, server: f.server, admin: admin}
	}
	if _, err := CodePassphrase(f.code); err != nil {
		return nil, refused(http.StatusBadRequest, err, "The enrollment code is four groups of five letters and digits, like ABCDE-FGHIJ-KLMNO-PQRST. Check what you typed.")
	}
	if f.pass != f.pass2 {
		return nil, refused(http.StatusBadRequest, nil, "The two passphrases are not the same. Type the same passphrase twice.")
	}
	if level, hint := strengthOf(f.pass); level == strengthWeak {
		return nil, refused(http.StatusBadRequest, nil, hint)
	}
	pass, err := keys.NewPassphrase(f.pass)
	if err != nil {
		return nil, refused(http.StatusBadRequest, err, "This passphrase cannot be used. Use letters, digits, spaces and signs only.")
	}
	if src.role == Interviewer {
		inv, _, _, _ := ParseInvitation(f.invitation)
		if src.pkey, err = inv.OpenPseudonymKey(f.code); err != nil {
			if errors.Is(err, keys.ErrWrongPassphrase) {
				return nil, refused(http.StatusBadRequest, nil, "This code does not belong to this invitation. Check the code, or ask the admin which code goes with the file.")
			}
			return nil, refused(http.StatusBadRequest, err, "The invitation's pseudonym key could not be opened.")
		}
	}
	proxyURL, err := client.CheckProxy(src.server, src.proxy)
	if err != nil {
		return nil, refused(http.StatusBadRequest, err, "The proxy to reach the server cannot be used.")
	}
	if proxyURL != nil {
		src.proxy = proxyURL.String()
	}

	// The keys, made here.
	req := server.EnrollRequest{Code: f.code}
	p := &pendingSetup{Format: pendingFormat, Role: src.role, Server: src.server, Proxy: src.proxy, Device: src.device}
	var device *keys.SigningKey
	var identity *keys.Identity
	if src.role == Interviewer {
		if device, err = keys.GenerateSigningKey(src.device); err != nil {
			return nil, err
		}
		req.DeviceID, req.DevicePub, p.DevicePub = src.device, device.Verifier(), device.Verifier()
	} else {
		if identity, err = keys.GenerateIdentity(keys.Hybrid); err != nil {
			return nil, err
		}
		p.Recipient = identity.Recipient().String()
		if src.role == Reviewer {
			signer, err := identity.ReviewerSigner()
			if err != nil {
				return nil, err
			}
			p.Signer = signer.Verifier()
		}
	}

	// The code is spent here.
	c, err := client.New(src.server, "", func(string) {}, client.WithProxy(src.proxy))
	if err != nil {
		return nil, refused(http.StatusBadRequest, err, "The server's address must look like https://intake.example.org. Copy it exactly as the admin gave it.")
	}
	er, err := c.Enroll(ctx, req)
	if err != nil {
		return nil, enrollRefusal(err)
	}
	if string(er.Role) != src.role || (src.role == Interviewer && er.Device != src.device) {
		return nil, refused(http.StatusConflict, nil, "The server says this code is for a %s (device %q), not for this desk. The code is used up: ask the admin for a new one, for the right role.", string(er.Role), er.Device)
	}
	p.Label = er.Label
	token := er.Token
	tc, err := client.New(src.server, token, func(string) {}, client.WithProxy(src.proxy))
	if err != nil {
		return nil, err
	}
	signed, err := tc.Roster(ctx)
	if err != nil {
		return nil, refused(http.StatusBadGateway, err, "The server did not give its roster. Try again later; the code is used up, so ask the admin for a new one.")
	}
	roster, err := keys.VerifyRoster(signed, src.admin, nil)
	if err == nil && src.roster != nil {
		err = keys.CheckNotOlder(roster, src.roster)
	}
	if err != nil {
		return nil, refused(http.StatusBadGateway, err, "The server's roster is not signed by the admin key you gave. Do not use this server: tell the admin, and check the server's address and the admin key.")
	}
	p.Org, p.AdminPub = roster.Org, src.admin.String()

	// Written with pending.json last; removed if anything fails.
	home := d.cfg.Home
	path := func(n string) string { return filepath.Join(home, n) }
	if _, err := os.Stat(path("profile.json")); err == nil {
		return nil, refused(http.StatusConflict, nil, "This desk already has a profile.")
	}
	for _, n := range setupFiles {
		os.Remove(path(n)) // what a setup cut short left behind
	}
	ok := false
	defer func() {
		if !ok {
			for _, n := range setupFiles {
				os.Remove(path(n))
			}
		}
	}()
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	if err := keys.WriteSecretFile(path("token.age"), token, pass); err != nil {
		return nil, err
	}
	if src.role == Interviewer {
		if err := keys.WriteSigningKeyFile(path("device.key"), device, &pass); err != nil {
			return nil, err
		}
		if err := keys.WritePseudonymKeyFile(path("pseudonym.key"), src.pkey, &pass); err != nil {
			return nil, err
		}
		drafts, err := keys.GenerateIdentity(keys.Hybrid)
		if err != nil {
			return nil, err
		}
		if err := keys.WriteIdentityFile(path("drafts.key"), drafts, &pass); err != nil {
			return nil, err
		}
		p.Drafts = drafts.Recipient().String()
	} else if err := keys.WriteIdentityFile(path("identity.key"), identity, &pass); err != nil {
		return nil, err
	}
	if err := durable.WriteNew(path("admin.pub"), []byte(src.admin.String()+"\n"), 0o644); err != nil {
		return nil, err
	}
	if err := durable.WriteNew(path("roster.txt"), signed, 0o644); err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(p, "", "  ")
	if err := durable.WriteNew(path(pendingFile), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	ok = true
	return p, nil
}

// enrollRefusal says why the server refused an enrollment.
func enrollRefusal(err error) error {
	var se *client.StatusError
	switch {
	case errors.As(err, &se) && se.Code == "bad_code":
		return refused(http.StatusForbidden, err, "The server does not accept this code: it is mistyped, already used, or older than 15 minutes. Check it, or ask the admin for a new one.")
	case errors.As(err, &se) && (se.Code == "wrong_device" || se.Code == "device_key"):
		return refused(http.StatusConflict, err, "The server refused this laptop's key for this device. Ask the admin.")
	case errors.As(err, &se) && se.Code == "bad_request":
		return refused(http.StatusBadRequest, err, "The server refused the enrollment: the code may be for another role. Ask the admin which role it is for.")
	case errors.As(err, &se):
		return refused(http.StatusBadGateway, err, "The server at this address did not answer as a testimony server. Check the address the admin gave you.")
	case errors.Is(err, client.ErrBadProxy):
		return refused(http.StatusBadGateway, err, "The proxy to reach the server cannot be used.")
	}
	return refused(http.StatusBadGateway, err, "The desk could not reach the server at this address. Check the address, and that this computer is online, and try again: the code was not used.")
}

// setupCheck is step 2: with the passphrase, fetch the roster and, if it
// lists this desk's key, make the profile and unlock.
func (d *Desk) setupCheck(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	p := d.pendingSetup()
	if p == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	data := &setupData{Pending: p}
	pass, err := keys.ExistingPassphrase(r.FormValue("passphrase"))
	if err != nil {
		d.setupFail(w, r, http.StatusBadRequest, data, "Type your passphrase.", nil)
		return
	}
	if err := d.finishSetup(r.Context(), p, pass); err != nil {
		var se *setupError
		if !errors.As(err, &se) {
			se = refused(http.StatusInternalServerError, err, "The desk could not be set up.")
		}
		d.setupFail(w, r, se.status, data, se.msg, se.err, se.args...)
		return
	}
	d.cfg.Log.Info("setup: done; the desk is unlocked")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (d *Desk) finishSetup(ctx context.Context, p *pendingSetup, pass keys.Passphrase) error {
	unlock := keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) { return pass, nil }}
	token, err := keys.LoadSecretFile(d.path("token.age"), unlock)
	if errors.Is(err, keys.ErrWrongPassphrase) {
		return refused(http.StatusForbidden, nil, "That passphrase does not unlock this desk. Check the keyboard language (한/영) and Caps Lock, and try again.")
	}
	if err != nil {
		return err
	}
	pub, err := os.ReadFile(d.path("admin.pub"))
	if err != nil {
		return err
	}
	admin, err := keys.ParseVerifier(strings.TrimSpace(string(pub)))
	if err != nil {
		return err
	}
	pinnedSigned, err := os.ReadFile(d.path("roster.txt"))
	if err != nil {
		return err
	}
	pinned, err := keys.VerifyRoster(pinnedSigned, admin, nil)
	if err != nil {
		return err
	}
	c, err := client.New(p.Server, token.Reveal(), func(string) {}, client.WithProxy(p.Proxy))
	if err != nil {
		return err
	}
	signed, err := c.Roster(ctx)
	if err != nil {
		return refused(http.StatusBadGateway, err, "The desk could not fetch the roster from the server. Check that this computer is online, and try again.")
	}
	roster, err := keys.VerifyRoster(signed, admin, nil)
	if err == nil {
		err = keys.CheckNotOlder(roster, pinned)
	}
	if err != nil {
		return refused(http.StatusBadGateway, err, "The server's roster was refused: it is not signed by the admin key, or older than the one this desk has. Tell the admin.")
	}
	if !listed(roster, p) {
		return refused(http.StatusConflict, nil, "The roster (version %d) does not list this desk's key yet. Read the fingerprint to the admin, give them the key file, and check again once they have added it.", roster.Version)
	}
	if _, err := client.LogKey(roster); err != nil {
		return refused(http.StatusConflict, err, "The roster names no log key for the server, so its receipts cannot be checked. Ask the admin to add it.")
	}
	if err := durable.Replace(d.path("roster.txt"), signed, 0o644); err != nil {
		return err
	}
	prof := &Profile{Format: ProfileFormat, Role: p.Role, Label: p.Label, Server: p.Server, Proxy: p.Proxy, Device: p.Device, Drafts: p.Drafts}
	b, _ := json.MarshalIndent(prof, "", "  ")
	if err := durable.WriteNew(d.path("profile.json"), append(b, '\n'), 0o600); err != nil {
		return err
	}
	os.Remove(d.path(pendingFile))
	d.mu.Lock()
	d.profile, d.admin, d.roster, d.setup = prof, admin, roster, nil
	d.mu.Unlock()
	// The keys were just unlocked once; the desk opens with them.
	u, err := d.unlockWith(ctx, pass)
	if err != nil {
		return nil // the profile is made; the unlock page says what fails
	}
	d.mu.Lock()
	d.open, d.lastSeen, d.failures = u, d.cfg.Now(), 0
	d.mu.Unlock()
	return nil
}

// listed reports whether roster lists the pending setup's key in its role.
func listed(roster *keys.Roster, p *pendingSetup) bool {
	switch p.Role {
	case Interviewer:
		v, ok := roster.Device(p.Device)
		return ok && v.String() == p.DevicePub
	case Reviewer, Custodian:
		members := roster.Reviewers
		if p.Role == Custodian {
			members = roster.Custodians
		}
		return slices.ContainsFunc(members, func(m keys.Member) bool { return m.Recipient.String() == p.Recipient })
	}
	return false
}

// describePending fills what the waiting page shows: the fingerprint, the
// files to hand over and the admin's commands.
func (d *Desk) describePending(data *setupData) {
	p := data.Pending
	if v, err := keys.ParseVerifier(p.AdminPub); err == nil {
		data.AdminFingerprint = v.Fingerprint()
	}
	switch p.Role {
	case Interviewer:
		v, err := keys.ParseVerifier(p.DevicePub)
		if err != nil {
			return
		}
		data.Fingerprint = v.Fingerprint()
		data.Files = []setupFileLink{{"/setup/key/device", p.Device + ".pub", "this laptop's public key"}}
		data.Commands = []string{
			"testimony roster add-device --roster roster.txt --admin-key admin.key --id " + p.Device + " --public-key " + p.Device + ".pub --fingerprint " + data.Fingerprint,
		}
	default:
		rec, err := keys.ParseRecipient(p.Recipient)
		if err != nil {
			return
		}
		data.Fingerprint = groupFingerprint(rec.Fingerprint()[:16])
		name := fileLabel(p.Label)
		data.Files = []setupFileLink{{"/setup/key/recipient", name + ".pub", "your public key (recipient)"}}
		cmd := "testimony roster add-" + p.Role + " --roster roster.txt --admin-key admin.key --label \"" + p.Label + "\" --recipient " + name + ".pub"
		if p.Signer != "" {
			data.Files = append(data.Files, setupFileLink{"/setup/key/signer", name + ".signer", "your signing key for annotations (public)"})
			cmd += " --signer " + name + ".signer"
		}
		data.Commands = []string{cmd, "testimony roster show --roster roster.txt   # the fingerprint shown must be " + strings.ToLower(strings.ReplaceAll(data.Fingerprint, "-", ""))}
	}
	data.Commands = append(data.Commands, "testimony roster publish --server "+p.Server+" --token-file admin.token --roster roster.txt")
}

// groupFingerprint writes hex in groups of four, to read aloud.
func groupFingerprint(hex string) string {
	var parts []string
	for i := 0; i < len(hex); i += 4 {
		parts = append(parts, strings.ToUpper(hex[i:min(i+4, len(hex))]))
	}
	return strings.Join(parts, "-")
}

// fileLabel makes a file name from a label: letters, digits and dashes.
func fileLabel(label string) string {
	s := strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, label)
	if s = strings.Trim(s, "-"); s == "" {
		return "key"
	}
	return s
}

// setupKey downloads a public key of the pending setup, to hand to the
// admin.
func (d *Desk) setupKey(w http.ResponseWriter, r *http.Request) {
	p := d.pendingSetup()
	if p == nil {
		d.refuse(w, r, http.StatusNotFound, "There is no such page on this desk.")
		return
	}
	var body, name string
	switch r.PathValue("what") {
	case "device":
		body, name = p.DevicePub, p.Device+".pub"
	case "recipient":
		body, name = p.Recipient, fileLabel(p.Label)+".pub"
	case "signer":
		body, name = p.Signer, fileLabel(p.Label)+".signer"
	}
	if body == "" {
		d.refuse(w, r, http.StatusNotFound, "There is no such page on this desk.")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	io.WriteString(w, body+"\n")
}

// strengthPost answers the page's script with the strength of what is
// typed, in the page's language. The passphrase goes no further than this
// desk on this computer.
func (d *Desk) strengthPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	level, hint := strengthOf(r.FormValue("passphrase"))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"level": level, "hint": tr(lang(r), hint)})
}

func staticFSsub() (fs.FS, error) { return fs.Sub(staticFS, "static") }
