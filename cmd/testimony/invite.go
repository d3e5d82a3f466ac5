package main

import (
	"fmt"
	"os"

	"testimony/desk"
	"testimony/internal/client"
	"testimony/internal/durable"
	"testimony/keys"
)

const inviteHelp = `
Usage:
  testimony invite --role interviewer --device-id ID --code CODE --server URL [--proxy URL]
                   --admin-pub PUB --roster R --pseudonym-key K --out FILE [--label L]
  testimony invite --role reviewer|custodian --code CODE --server URL [--proxy URL]
                   --admin-pub PUB --roster R --out FILE [--label L]

Writes a desk invitation: the file a person opens on their desk's setup
page (started with no arguments, 'testimony' opens it) to set the desk up
without a terminal. Run it on the admin's own computer, beside the admin
key, not on the server: an interviewer's invitation carries the
organisation's pseudonym key, which never goes to the server.

The invitation holds the server's address, the admin key to pin and the
roster it signed, so that the desk does not take them from the server; and,
for an interviewer's laptop (--device-id, the ID 'admin enroll --device-id'
made the code for), the pseudonym key, encrypted with the enrollment code.
The code is not in the file. Hand the file over on a USB stick and the code
another way (on paper, or over the phone): a lost stick enrolls nothing and
opens no key. Make the code first with 'testimony admin enroll' on the
server machine; it is valid for 15 minutes.

invite prints the admin key's fingerprint. After setup, the person's desk
shows the fingerprint of the admin key it pinned: read yours to them. If
the two differ, the file was changed on the way.

Examples:
  testimony invite --role interviewer --device-id laptop-2 --code ABCDE-FGHIJ-KLMNO-PQRST \
      --server https://intake.example.org --admin-pub admin.pub --roster roster.txt \
      --pseudonym-key pseudonym.key --out laptop-2.invitation.json
  testimony invite --role reviewer --label "reviewer 2" --code ABCDE-FGHIJ-KLMNO-PQRST \
      --server https://intake.example.org --admin-pub admin.pub --roster roster.txt \
      --out reviewer-2.invitation.json
`

func init() { extraCommands["invite"] = runInvite }

func runInvite(e *env, args []string) error {
	fs := e.flagSet("invite", inviteHelp)
	role := fs.String("role", "", "`ROLE`: interviewer, reviewer or custodian")
	label := fs.String("label", "", "what to call the person or laptop on their setup page (`L`)")
	deviceID := fs.String("device-id", "", "the interviewer laptop's device `ID`, as 'admin enroll --device-id' made the code for")
	code := fs.String("code", "", "the enrollment `CODE` 'admin enroll' printed for this person")
	srv := fs.String("server", "", "the server's `URL`, as the person's desk reaches it")
	proxy := fs.String("proxy", "", "a SOCKS5 proxy `URL` the desk must reach the server through (kept in its profile)")
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` (or a file holding it)")
	rosterPath := fs.String("roster", "", "the current signed roster `R`")
	pseudonymKey := fs.String("pseudonym-key", "", "the organisation's pseudonym key `FILE` (interviewers)")
	passFile := fs.String("passphrase-file", "", "read the pseudonym key's passphrase from `F`")
	out := fs.String("out", "", "the invitation `FILE` to write (must not exist)")
	if err := parseFlags(fs, args, "role", "code", "server", "admin-pub", "roster", "out"); err != nil {
		return err
	}
	switch *role {
	case desk.Interviewer:
		if *deviceID == "" || *pseudonymKey == "" {
			return usagef("invite: an interviewer's invitation needs --device-id and --pseudonym-key")
		}
	case desk.Reviewer, desk.Custodian:
		if *deviceID != "" || *pseudonymKey != "" {
			return usagef("invite: --device-id and --pseudonym-key are for interviewers' laptops")
		}
	default:
		return usagef("invite: --role must be interviewer, reviewer or custodian")
	}
	if _, err := desk.CodePassphrase(*code); err != nil {
		return usagef("invite: --code: %v", err)
	}
	if err := client.CheckURL(*srv); err != nil {
		return usagef("invite: --server must be a URL like https://intake.example.org")
	}
	if *proxy != "" {
		if _, err := client.ParseProxy(*proxy); err != nil {
			return usagef("invite: --proxy: %v", err)
		}
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s already exists; refusing to overwrite it", *out)
	}
	admin, err := keys.ParseVerifier(valueOrFile(*adminPub))
	if err != nil {
		return fmt.Errorf("--admin-pub: %w", err)
	}
	signed, err := os.ReadFile(*rosterPath)
	if err != nil {
		return fmt.Errorf("failed to read the roster: %w", err)
	}
	var pkey *keys.PseudonymKey
	if *pseudonymKey != "" {
		if pkey, err = keys.LoadPseudonymKey(*pseudonymKey, e.unlock(*passFile)); err != nil {
			return err
		}
	}
	b, err := desk.NewInvitation(*role, *label, *deviceID, *srv, *proxy, admin, signed, pkey, *code)
	if err != nil {
		return err
	}
	// It may carry the pseudonym key (encrypted): only its owner reads it.
	if err := durable.WriteNew(*out, b, 0o600); err != nil {
		return err
	}
	e.info("wrote the %s invitation to %s; give it on a USB stick, and the code another way", *role, *out)
	e.info("admin key fingerprint: %s (the person's setup page shows the one it pinned: read yours to them)", admin.Fingerprint())
	return nil
}
