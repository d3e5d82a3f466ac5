package main

import (
	"cmp"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"testimony/desk"
	"testimony/internal/client"
	"testimony/keys"
)

const deskHelp = `
Usage:
  testimony desk --home DIR [--listen 127.0.0.1:PORT] [--idle-lock 10m] [--proxy URL]
  testimony desk init --home DIR --server URL [--proxy URL] --admin-pub PUB --token-file F
      (--identity KEY | --device-key KEY --device-id ID --pseudonym-key KEY)

Runs the desk: the local web app in which an interviewer writes and seals
interviews, a reviewer reads and searches them, and a custodian
re-identifies a pseudonym. DIR is the person's desk profile ('testimony
quickstart' makes demo ones). The desk listens on loopback only and prints
an address with a secret drawn at launch: open it in a browser on this
computer. Nothing else can use the desk, not even this computer's other
web pages.

If DIR holds no profile yet, the desk serves its setup page instead: the
person opens the invitation file the admin gave them (see 'testimony
invite'), or types the server's address and the admin key, with their
enrollment code and a new passphrase; the keys are made on this computer.

The desk keeps its address (port and secret) in DIR/address.json, so that
it stays the same from one start to the next and bookmarks keep working;
if that port is taken, it takes another, keeps it, and says so. --listen
picks the address for one run instead.

The desk unlocks the profile's keys with the person's passphrase, and locks
itself after --idle-lock without use. Stop it with Ctrl-C.

desk init makes a person's desk profile in DIR (which must not hold one):
it asks the server who the token belongs to, fetches the server's roster and
checks it against the pinned admin key, and copies the person's keys and
token into the profile, all protected by one passphrase (asked, or read with
--passphrase-file). Reviewers and custodians give their identity; an
interviewer's laptop gives its signing key, its device ID in the roster and
the organisation's pseudonym key. The original key files are left as they
are: delete them once the desk works, if they have no other use.

--proxy sends every connection to the server through a SOCKS5 proxy, such
as Tor's (socks5h://127.0.0.1:9050), which also resolves the server's name.
desk init keeps the proxy it used (--proxy, or else the one HTTPS_PROXY,
HTTP_PROXY or ALL_PROXY names) in the profile, so that the desk reaches the
server only through it however it is started later; 'desk --proxy' uses
another for one run. A profile without a proxy uses the environment's, if
any. If the proxy is down, the desk cannot reach the server, and says so; it
never connects directly instead. See 'testimony push --help' for more.

Examples:
  testimony desk init --home ~/testimony-desk --server https://intake.example.org \
      --admin-pub admin.pub --token-file token.txt --identity reviewer.key
  testimony desk --home ~/testimony-desk
  # An interviewer's laptop that reaches the onion service through Tor:
  testimony desk init --home ~/testimony-desk --server http://ONION-ADDRESS.onion \
      --proxy socks5h://127.0.0.1:9050 --admin-pub admin.pub --token-file token.txt \
      --device-key laptop-1.key --device-id laptop-1 --pseudonym-key pseudonym.key
`

func runDesk(e *env, args []string) error {
	if len(args) > 0 && args[0] == "init" {
		return deskInit(e, args[1:])
	}
	fs := e.flagSet("desk", deskHelp)
	home := fs.String("home", "", "the desk profile `DIR`")
	listen := fs.String("listen", "", "loopback `ADDR` to listen on for this run (port 0: any free port; default: the address the desk keeps)")
	idle := fs.Duration("idle-lock", 10*time.Minute, "lock after this long without use (`DURATION`)")
	proxy := fs.String("proxy", "", "reach the server through this SOCKS5 proxy `URL` for this run, instead of the profile's")
	open := fs.Bool("open", false, "open the desk in this computer's default browser")
	if err := parseFlags(fs, args, "home"); err != nil {
		return err
	}
	if *idle < time.Minute {
		return usagef("desk: --idle-lock must be at least 1m")
	}
	if *proxy != "" {
		if _, err := client.ParseProxy(*proxy); err != nil {
			return usagef("--proxy: %v", err)
		}
	}
	d, err := desk.New(desk.Config{Home: *home, IdleLock: *idle, Log: deskLog(e), Proxy: *proxy})
	if err != nil {
		return err
	}
	var ln net.Listener
	if *listen == "" {
		// Started again (a second double-click): open the desk already
		// running rather than start a second one beside it.
		if launch, printed, ok := d.Running(e.ctx); ok {
			fmt.Fprintf(e.stdout, "The desk of %s is already running, at:\n\n  %s\n\nOpen it in a browser on this computer; to stop it, close the window it runs in.\n", cmp.Or(d.Profile().Label, *home), printed)
			if *open {
				if err := openBrowser(launch); err != nil {
					e.warn(fmt.Sprintf("failed to open the browser (%v): open the address above in it", err))
				}
			}
			return nil
		}
		var moved bool
		if ln, moved, err = d.ListenKept(); err != nil {
			return err
		}
		if moved {
			e.warn("the desk's usual port was taken by another program: it moved to a new address, printed below, which it keeps from now on (update your bookmark)")
		}
	} else if ln, err = desk.Listen(*listen); err != nil {
		return usagef("desk: %v", err)
	}
	p := d.Profile()
	if d.InSetup() {
		fmt.Fprintf(e.stdout, "%s holds no desk yet: its setup page is open at:\n\n  %s\n\nOpen it in a browser on this computer. Press Ctrl-C to stop.\n", *home, d.URL(ln))
	} else {
		fmt.Fprintf(e.stdout, "The desk of %s (%s) is open at:\n\n  %s\n\nOpen it in a browser on this computer. Press Ctrl-C to stop.\n", p.Label, p.Role, d.URL(ln))
	}
	if *open {
		// The browser gets a one-time address: its command line shows to
		// other accounts of this computer, the printed one's secret must not.
		if err := openBrowser(d.LaunchURL(ln)); err != nil {
			e.warn(fmt.Sprintf("failed to open the browser (%v): open the address above in it", err))
		}
	}
	if px, err := client.CheckProxy(p.Server, cmp.Or(*proxy, p.Proxy)); err == nil && px != nil {
		e.info("the desk reaches the server only through the proxy %s", client.ProxyString(px))
	}
	return d.Serve(e.ctx, ln)
}

// deskLog writes a desk's operational messages on stderr.
func deskLog(e *env) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func deskInit(e *env, args []string) error {
	fs := e.flagSet("desk init", deskHelp)
	home := fs.String("home", "", "the desk profile `DIR` to make")
	srv := fs.String("server", "", "the server's `URL`")
	proxy := fs.String("proxy", "", "reach the server only through this SOCKS5 proxy `URL`, like socks5h://127.0.0.1:9050 for Tor, kept in the profile (default: HTTPS_PROXY or HTTP_PROXY, then ALL_PROXY, if set)")
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` to pin (or a file holding it)")
	tokenFile := fs.String("token-file", "", "your token `FILE` (from 'testimony enroll' or the admin)")
	identity := fs.String("identity", "", "a reviewer's or custodian's identity `KEY` file")
	deviceKey := fs.String("device-key", "", "an interviewer laptop's signing `KEY` file")
	deviceID := fs.String("device-id", "", "the laptop's device `ID` in the roster")
	pseudonymKey := fs.String("pseudonym-key", "", "the organisation's pseudonym `KEY` file (interviewers)")
	keyPass := fs.String("key-passphrase-file", "", "read the passphrase of the key files given from `F`")
	passFile := fs.String("passphrase-file", "", "read the new profile's passphrase from `F`")
	if err := parseFlags(fs, args, "home", "server", "admin-pub", "token-file"); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*home, "profile.json")); err == nil {
		return fmt.Errorf("%s already holds a desk profile", *home)
	}
	tokenBytes, err := os.ReadFile(*tokenFile)
	if err != nil {
		return fmt.Errorf("failed to read the token file: %w", err)
	}
	token := strings.TrimSpace(string(tokenBytes))
	if err := client.CheckURL(*srv); err != nil {
		return usagef("desk init: %v", err)
	}
	if err := checkProxy(*srv, *proxy); err != nil {
		return err
	}
	// The proxy used now is kept: the desk never reaches the server
	// without it, however it is started later.
	proxyURL, _ := client.CheckProxy(*srv, *proxy)
	keep := ""
	if proxyURL != nil {
		keep = proxyURL.String()
	}
	c, err := client.New(*srv, token, e.warn, client.WithProxy(keep))
	if err != nil {
		return usagef("desk init: %v", err)
	}
	who, err := c.WhoAmI(e.ctx)
	if err != nil {
		return err
	}
	signed, err := c.Roster(e.ctx)
	if err != nil {
		return err
	}
	s := desk.Setup{Role: who.Role, Label: who.Label, Server: *srv, Proxy: keep, AdminPub: valueOrFile(*adminPub), Roster: signed, Token: token}
	switch who.Role {
	case desk.Interviewer:
		if *deviceKey == "" || *pseudonymKey == "" || *identity != "" {
			return usagef("desk init: the token is an interviewer's: give --device-key, --device-id and --pseudonym-key")
		}
		if *deviceID == "" {
			*deviceID = who.Device
		}
		if s.DeviceKey, err = keys.LoadSigningKey(*deviceKey, e.unlock(*keyPass)); err != nil {
			return err
		}
		if s.PseudonymKey, err = keys.LoadPseudonymKey(*pseudonymKey, e.unlock(*keyPass)); err != nil {
			return err
		}
		s.Device = *deviceID
	case desk.Reviewer, desk.Custodian:
		if *identity == "" || *deviceKey != "" || *pseudonymKey != "" {
			return usagef("desk init: the token is a %s's: give --identity", who.Role)
		}
		if s.Identity, err = keys.LoadIdentity(*identity, e.unlock(*keyPass)); err != nil {
			return err
		}
	default:
		return fmt.Errorf("the token is for a %s; desks are for interviewers, reviewers and custodians", who.Role)
	}
	pass, err := e.newPassphrase(*passFile, false)
	if err != nil {
		return err
	}
	s.Passphrase = *pass
	if err := desk.Create(*home, s); err != nil {
		return err
	}
	e.info("made the desk profile of %s %q in %s; run it with: testimony desk --home %s", who.Role, who.Label, *home, *home)
	if proxyURL != nil {
		e.info("the desk reaches the server only through the proxy %s", client.ProxyString(proxyURL))
	}
	return nil
}
