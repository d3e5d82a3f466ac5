package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"testimony/internal/durable"
	"testimony/keys"
)

const rosterHelp = `
Usage:
  testimony roster init --org NAME --admin-key F --out R
  testimony roster add-reviewer  --roster R --admin-key F --label L --recipient REC [--signer S]
  testimony roster add-custodian --roster R --admin-key F --label L --recipient REC
  testimony roster add-device    --roster R --admin-key F --id ID --public-key PUB [--fingerprint FP]
  testimony roster remove-reviewer  --roster R --admin-key F (--label L | --recipient REC)
  testimony roster remove-custodian --roster R --admin-key F (--label L | --recipient REC)
  testimony roster remove-device    --roster R --admin-key F --id ID
  testimony roster set-log-key      --roster R --admin-key F --key VERIFIER
  testimony roster set-signer       --roster R --admin-key F --label L --signer S
  testimony roster upgrade          --roster R --admin-key F
  testimony roster show   --roster R [--admin-pub PUB]
  testimony roster verify --roster R --admin-pub PUB [--previous R0]
  testimony roster publish --server URL [--proxy URL] --token-file ADMIN-TOKEN --roster R

The roster is the organisation's signed list of reviewers, custodians and
devices. Every change re-signs it with the admin key and raises its version
by one; R is replaced in place, atomically. The admin key's passphrase is
asked on the terminal, or read from --passphrase-file.

add-device signs a laptop's key into the roster only after the admin
confirms its fingerprint: the one 'testimony enroll' (or 'keygen --signing')
printed on the laptop, read to the admin over the phone or in person, given
with --fingerprint or typed when asked on the terminal. A key file that came
by e-mail, on a stick or through the server may have been swapped on the
way; the fingerprint came another way. A wrong one signs nothing.

set-log-key names the server's log key (the verifier key that 'testimony
server init' printed): clients then accept only log checkpoints that key
signed, and push, pull and verify need it.

Reviewers sign their annotations. The roster lists each reviewer's signing
key S, which the reviewer prints with 'testimony keygen --reviewer-signer-of
THEIR-KEY' and hands over like their recipient (S is the key or a file
holding it). A reviewer whose signing key is not listed can read but not
annotate. 'set-signer' adds or replaces it; 'add-reviewer --signer' adds both
at once.

'upgrade' turns a roster made before signing keys existed (format 1) into
format 2, once: the same entries, no signing keys yet, version raised by one.
'init' makes format 2 rosters.

Labels are visible to anyone who can read the roster, including the server:
use roles ("reviewer 2"), not full names, where staff names are sensitive.

Examples:
  testimony roster init --org "Example NGO" --admin-key admin.key --out roster.txt
  testimony roster add-reviewer --roster roster.txt --admin-key admin.key \
      --label "reviewer 1" --recipient "$(cat reviewer-1.pub)"
  testimony roster add-device --roster roster.txt --admin-key admin.key \
      --id laptop-1 --public-key laptop-1.pub --fingerprint KXQ4-7HBA-M2ZC-PNE5-RW3T
  testimony roster verify --roster roster.txt --admin-pub "$(cat admin.pub)"
  testimony roster upgrade --roster roster.txt --admin-key admin.key
  testimony roster set-signer --roster roster.txt --admin-key admin.key \
      --label "reviewer 1" --signer reviewer-1.signer
`

func runRoster(e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, strings.TrimLeft(rosterHelp, "\n"))
		return usagef("roster: missing subcommand")
	}
	switch sub, args := args[0], args[1:]; sub {
	case "init":
		return rosterInit(e, args)
	case "add-reviewer", "add-custodian", "remove-reviewer", "remove-custodian", "add-device", "remove-device", "set-log-key", "set-signer", "upgrade":
		return rosterChange(e, sub, args)
	case "show":
		return rosterShow(e, args)
	case "verify":
		return rosterVerify(e, args)
	case "publish":
		return rosterPublish(e, args)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(e.stdout, strings.TrimLeft(rosterHelp, "\n"))
		return nil
	default:
		return usagef("roster: unknown subcommand %q", sub)
	}
}

func rosterInit(e *env, args []string) error {
	fs := e.flagSet("roster init", rosterHelp)
	org := fs.String("org", "", "organisation `NAME`")
	adminKey := fs.String("admin-key", "", "admin signing key `FILE`")
	out := fs.String("out", "", "roster `FILE` to create (must not exist)")
	passFile := fs.String("passphrase-file", "", "read the admin key's passphrase from `F`")
	if err := parseFlags(fs, args, "org", "admin-key", "out"); err != nil {
		return err
	}
	r, err := keys.NewRoster(*org)
	if err != nil {
		return err
	}
	admin, err := keys.LoadSigningKey(*adminKey, e.unlock(*passFile))
	if err != nil {
		return err
	}
	signed, err := r.Sign(admin)
	if err != nil {
		return err
	}
	if err := durable.WriteNew(*out, signed, 0o644); err != nil {
		return err
	}
	e.info("created roster %s for %q, version 1, signed by %q; pin this admin key: %s", *out, r.Org, admin.Name(), admin.Verifier())
	return nil
}

func rosterChange(e *env, sub string, args []string) error {
	fs := e.flagSet("roster "+sub, rosterHelp)
	path := fs.String("roster", "", "roster `FILE` to change in place")
	adminKey := fs.String("admin-key", "", "admin signing key `FILE`")
	passFile := fs.String("passphrase-file", "", "read the admin key's passphrase from `F`")
	device := strings.HasSuffix(sub, "-device")
	var label, recipient, id, pub, logKey, signer *string
	switch {
	case sub == "upgrade":
	case sub == "set-signer":
		label = fs.String("label", "", "`LABEL` of the reviewer, like \"reviewer 1\"")
		signer = fs.String("signer", "", "the reviewer's signing key `S`, as 'keygen --reviewer-signer-of' printed it, or a file holding it")
	case sub == "set-log-key":
		logKey = fs.String("key", "", "the server's log verifier `KEY`, as 'server init' printed it, or a file holding it")
	case device:
		id = fs.String("id", "", "device `ID` (letters, digits, '.', '_', '-')")
		if strings.HasPrefix(sub, "add-") {
			pub = fs.String("public-key", "", "the device's verifier key `PUB`, as keygen --signing printed it, or a file holding it")
			fs.String("fingerprint", "", "the key's fingerprint `FP` as the laptop printed it, read over the phone or in person (asked on the terminal if not given)")
		}
	default:
		label = fs.String("label", "", "`LABEL` for the key, like \"reviewer 1\"")
		recipient = fs.String("recipient", "", "age recipient `REC` (age1pq1… or age1…), or a file holding it")
		if sub == "add-reviewer" {
			signer = fs.String("signer", "", "the reviewer's signing key `S`, as 'keygen --reviewer-signer-of' printed it, or a file holding it (optional)")
		}
	}
	if err := parseFlags(fs, args, "roster", "admin-key"); err != nil {
		return err
	}
	var change func(*keys.Roster) (string, error)
	switch sub {
	case "add-reviewer", "add-custodian":
		if err := need(fs, "label", "recipient"); err != nil {
			return err
		}
		rec, err := keys.ParseRecipient(valueOrFile(*recipient))
		if err != nil {
			return fmt.Errorf("--recipient: %w", err)
		}
		role := roleOf(sub)
		var sv keys.Verifier
		if signer != nil && *signer != "" {
			if sv, err = parseSigner(*signer); err != nil {
				return err
			}
		}
		change = func(r *keys.Roster) (string, error) {
			if role == keys.Reviewer {
				what := fmt.Sprintf("added reviewer %q", *label)
				if sv.IsZero() {
					what += " without a signing key (they cannot annotate until 'roster set-signer')"
				}
				return what, r.AddReviewer(*label, rec, sv)
			}
			return fmt.Sprintf("added %s %q", role, *label), r.Add(role, *label, rec)
		}
	case "remove-reviewer", "remove-custodian":
		who := *label
		if (*label == "") == (*recipient == "") {
			return usagef("roster %s: give --label or --recipient", sub)
		}
		if who == "" {
			who = valueOrFile(*recipient)
		}
		role := roleOf(sub)
		change = func(r *keys.Roster) (string, error) {
			return fmt.Sprintf("removed %s %q", role, *label+*recipient), r.Remove(role, who)
		}
	case "add-device":
		if err := need(fs, "id", "public-key"); err != nil {
			return err
		}
		v, err := keys.ParseVerifier(valueOrFile(*pub))
		if err != nil {
			return fmt.Errorf("--public-key: %w", err)
		}
		// Checked before anything is signed, and before the admin key's
		// passphrase is asked.
		if err := e.checkDeviceFingerprint(*id, v, fs.Lookup("fingerprint").Value.String()); err != nil {
			return err
		}
		change = func(r *keys.Roster) (string, error) {
			return fmt.Sprintf("added device %q", *id), r.AddDevice(*id, v)
		}
	case "remove-device":
		if err := need(fs, "id"); err != nil {
			return err
		}
		change = func(r *keys.Roster) (string, error) {
			return fmt.Sprintf("removed device %q", *id), r.RemoveDevice(*id)
		}
	case "set-signer":
		if err := need(fs, "label", "signer"); err != nil {
			return err
		}
		sv, err := parseSigner(*signer)
		if err != nil {
			return err
		}
		change = func(r *keys.Roster) (string, error) {
			return fmt.Sprintf("signing key of reviewer %q set to %s", *label, sv.Note().Name()), r.SetSigner(*label, sv)
		}
	case "upgrade":
		change = func(r *keys.Roster) (string, error) {
			if err := r.Upgrade(); err != nil {
				return "", fmt.Errorf("%s: %w; nothing to do", *path, err)
			}
			return fmt.Sprintf("upgraded to roster format 2; %d reviewer(s) need a signing key ('roster set-signer') before they can annotate", len(r.Reviewers)), nil
		}
	case "set-log-key":
		if err := need(fs, "key"); err != nil {
			return err
		}
		v, err := keys.ParseVerifier(valueOrFile(*logKey))
		if err != nil {
			return fmt.Errorf("--key: %w", err)
		}
		change = func(r *keys.Roster) (string, error) {
			if r.Log.String() == v.String() {
				return "", fmt.Errorf("the roster already names this log key")
			}
			return fmt.Sprintf("log key set to %s", v.Note().Name()), r.SetLog(v)
		}
	}
	data, err := os.ReadFile(*path)
	if err != nil {
		return fmt.Errorf("failed to read roster: %w", err)
	}
	admin, err := keys.LoadSigningKey(*adminKey, e.unlock(*passFile))
	if err != nil {
		return err
	}
	adminPub, _ := keys.ParseVerifier(admin.Verifier())
	// The admin re-signs only a roster that they signed: a roster someone
	// else changed on disk is refused, not laundered.
	r, err := keys.VerifyRoster(data, adminPub, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	if device && pub != nil && *pub != "" && strings.TrimSpace(valueOrFile(*pub)) == admin.Verifier() {
		return fmt.Errorf("--public-key is the admin key; a device needs a signing key of its own")
	}
	if signer != nil && *signer != "" && strings.TrimSpace(valueOrFile(*signer)) == admin.Verifier() {
		return fmt.Errorf("--signer is the admin key; give the key that 'keygen --reviewer-signer-of' printed for the reviewer")
	}
	if logKey != nil && strings.TrimSpace(valueOrFile(*logKey)) == admin.Verifier() {
		return fmt.Errorf("--key is the admin key; give the log key that 'testimony server init' printed")
	}
	what, err := change(r)
	if err != nil {
		return err
	}
	r.Version++
	signed, err := r.Sign(admin)
	if err != nil {
		return err
	}
	if err := durable.Replace(*path, signed, 0o644); err != nil {
		return err
	}
	e.info("%s: %s; version %d → %d", *path, what, r.Version-1, r.Version)
	return nil
}

// parseSigner parses a reviewer's signing key given on the command line.
func parseSigner(s string) (keys.Verifier, error) {
	v, err := keys.ParseVerifier(valueOrFile(s))
	if err != nil {
		return keys.Verifier{}, fmt.Errorf("--signer: %w (the reviewer prints it with 'testimony keygen --reviewer-signer-of THEIR-KEY')", err)
	}
	return v, nil
}

func roleOf(sub string) keys.Role {
	if strings.HasSuffix(sub, "-custodian") {
		return keys.Custodian
	}
	return keys.Reviewer
}

// valueOrFile returns v, or the trimmed contents of the file v names if v is
// not a key but names a readable small file.
func valueOrFile(v string) string {
	if strings.HasPrefix(v, "age1") || strings.Contains(v, "+") {
		return v
	}
	if fi, err := os.Stat(v); err == nil && fi.Mode().IsRegular() && fi.Size() < 16<<10 {
		if b, err := os.ReadFile(v); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return v
}

// loadRoster reads and verifies the roster at path with the admin key
// adminPub (a verifier key or a file holding one). If pinned names a roster
// trusted earlier, the roster must be newer than it, or (unless strict) the
// same roster.
func loadRoster(path, adminPub, pinned string, strict bool) (*keys.Roster, error) {
	admin, err := keys.ParseVerifier(valueOrFile(adminPub))
	if err != nil {
		return nil, fmt.Errorf("--admin-pub: %w", err)
	}
	read := func(path string) (*keys.Roster, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("failed to read roster: %w", err)
		}
		r, err := keys.VerifyRoster(data, admin, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return r, nil
	}
	r, err := read(path)
	if err != nil || pinned == "" {
		return r, err
	}
	prev, err := read(pinned)
	if err != nil {
		return nil, fmt.Errorf("the pinned roster: %w", err)
	}
	if strict && r.Version == prev.Version {
		err = fmt.Errorf("%w: version %d is not above the pinned version %d", keys.ErrRosterRollback, r.Version, prev.Version)
	} else {
		err = keys.CheckNotOlder(r, prev)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func rosterShow(e *env, args []string) error {
	fs := e.flagSet("roster show", rosterHelp)
	path := fs.String("roster", "", "roster `FILE`")
	adminPub := fs.String("admin-pub", "", "admin verifier key `PUB` to check the signature with (or a file holding it)")
	if err := parseFlags(fs, args, "roster"); err != nil {
		return err
	}
	var r *keys.Roster
	var err error
	status := "signature verified with the given admin key"
	if *adminPub != "" {
		if r, err = loadRoster(*path, *adminPub, "", false); err != nil {
			return err
		}
	} else {
		data, err := os.ReadFile(*path)
		if err != nil {
			return fmt.Errorf("failed to read roster: %w", err)
		}
		if r, err = keys.ReadUnverifiedRoster(data); err != nil {
			return fmt.Errorf("%s: %w", *path, err)
		}
		status = "SIGNATURE NOT CHECKED (give --admin-pub to check it)"
	}
	w := e.stdout
	fmt.Fprintf(w, "organisation: %s\nversion:      %d\nsignature:    %s\nkey kind:     %s\n", r.Org, r.Version, status, kindName(r.Kind()))
	if r.Format == keys.RosterV1 {
		fmt.Fprintf(w, "format:       1, without reviewer signing keys (testimony roster upgrade)\n")
	} else {
		fmt.Fprintf(w, "format:       %d\n", r.Format)
	}
	if r.Log.IsZero() {
		fmt.Fprintf(w, "log key:      none yet (testimony roster set-log-key)\n")
	} else {
		fmt.Fprintf(w, "log key:      %s\n", r.Log)
	}
	for _, role := range []struct {
		name    string
		members []keys.Member
	}{{"reviewers", r.Reviewers}, {"custodians", r.Custodians}} {
		fmt.Fprintf(w, "%s (%d):\n", role.name, len(role.members))
		for _, m := range role.members {
			fmt.Fprintf(w, "  %-24s %s…  fingerprint %s\n", m.Label, m.Recipient.String()[:16], m.Recipient.Fingerprint()[:16])
			switch {
			case role.name != "reviewers":
			case !m.Signer.IsZero():
				fmt.Fprintf(w, "  %-24s signing key %s\n", "", m.Signer)
			default:
				fmt.Fprintf(w, "  %-24s no signing key: cannot annotate (roster set-signer)\n", "")
			}
		}
	}
	fmt.Fprintf(w, "devices (%d):\n", len(r.Devices))
	for _, d := range r.Devices {
		fmt.Fprintf(w, "  %-24s %s  fingerprint %s\n", d.ID, d.Key, d.Key.Fingerprint())
	}
	return nil
}

func kindName(k keys.Kind) string {
	if k == 0 {
		return "none yet"
	}
	return k.String()
}

func rosterVerify(e *env, args []string) error {
	fs := e.flagSet("roster verify", rosterHelp)
	path := fs.String("roster", "", "roster `FILE` to check")
	adminPub := fs.String("admin-pub", "", "the pinned admin verifier key `PUB` (or a file holding it)")
	previous := fs.String("previous", "", "a roster `R0` pinned earlier: the new one must have a higher version")
	if err := parseFlags(fs, args, "roster", "admin-pub"); err != nil {
		return err
	}
	r, err := loadRoster(*path, *adminPub, *previous, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "roster %s: OK: %q version %d, %d reviewer(s), %d custodian(s), %d device(s)\n", *path, r.Org, r.Version, len(r.Reviewers), len(r.Custodians), len(r.Devices))
	return nil
}

// rosterPublish sends a signed roster to the server, which accepts it only
// if the pinned admin key signed it and it is newer than the one it has.
func rosterPublish(e *env, args []string) error {
	fs := e.flagSet("roster publish", rosterHelp)
	srv := fs.String("server", "", "server `URL`")
	proxy := proxyFlag(fs)
	tokenFile := fs.String("token-file", "", "an admin token `FILE`")
	path := fs.String("roster", "", "signed roster `FILE` to publish")
	if err := parseFlags(fs, args, "server", "token-file", "roster"); err != nil {
		return err
	}
	body, err := os.ReadFile(*path)
	if err != nil {
		return fmt.Errorf("failed to read roster: %w", err)
	}
	c, err := newClient(*srv, *proxy, *tokenFile, e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPut, c.url("/roster"), bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.do(req, http.StatusOK)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct{ Version uint64 }
	json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&out)
	e.info("the server now serves roster version %d", out.Version)
	return nil
}
