package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"testimony/desk"
	"testimony/internal/durable"
	"testimony/internal/store"
	"testimony/internal/survey"
	"testimony/keys"
	"testimony/server"
)

// A demo desk: whose it is, and the key files it is made from.
type demoDesk struct {
	who, label, role string
}

var demoDesks = []demoDesk{
	{"laptop-1", "laptop 1", desk.Interviewer},
	{"reviewer-1", "reviewer 1", desk.Reviewer},
	{"reviewer-2", "reviewer 2", desk.Reviewer},
	{"custodian-1", "custodian 1", desk.Custodian},
}

// quickstartState is what a demo directory remembers between runs.
type quickstartState struct {
	Server string `json:"server"`
}

func (d demo) passphrase(who string) (keys.Passphrase, error) {
	b, err := os.ReadFile(d.path("passphrases/" + who + ".txt"))
	if err != nil {
		return keys.Passphrase{}, err
	}
	return keys.ExistingPassphrase(strings.TrimSpace(string(b)))
}

func (d demo) unlock(who string) keys.Unlock {
	return keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) { return d.passphrase(who) }}
}

// setupServer publishes the final roster to the demo server, makes each
// person's token, and sets up each person's desk.
func (d demo) setupServer(e *env, signed []byte) error {
	st, err := Backend{Data: d.path("server")}.openStore(e.ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	roster, err := keys.ReadUnverifiedRoster(signed)
	if err != nil {
		return err
	}
	if err := st.PutRoster(e.ctx, roster.Version, signed); err != nil {
		return err
	}
	signedForm, err := os.ReadFile(d.path(demoFormSigned))
	if err != nil {
		return err
	}
	adminPub, err := os.ReadFile(d.path("admin.pub"))
	if err != nil {
		return err
	}
	adminVerifier, err := keys.ParseVerifier(string(adminPub))
	if err != nil {
		return err
	}
	form, err := survey.Verify(signedForm, adminVerifier, roster.Org)
	if err != nil {
		return err
	}
	version, _ := strconv.ParseUint(form.Form.Version, 10, 64)
	digest, _ := hex.DecodeString(form.Digest)
	if _, _, err := st.PutForm(e.ctx, store.Form{ID: form.Form.ID, Version: version, Digest: [32]byte(digest),
		Day: time.Now().UTC().Format(time.DateOnly), Body: signedForm}); err != nil {
		return err
	}
	// A free port for the server, kept for the next runs.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	serverURL := "http://" + ln.Addr().String()
	ln.Close()
	if err := d.saveState(quickstartState{Server: serverURL}); err != nil {
		return err
	}
	pkey, err := keys.LoadPseudonymKey(d.path("pseudonym.key"), d.unlock("pseudonym"))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "  # the admin makes a token for each person, and each person's desk is set up in desks/\n")
	day := time.Now().UTC().Format(time.DateOnly)
	for _, dd := range demoDesks {
		token, id, hash := server.NewToken()
		t := store.Token{ID: id, Role: store.Role(dd.role), Label: dd.label, Created: day}
		s := desk.Setup{Role: dd.role, Label: dd.label, Server: serverURL, AdminPub: string(adminPub), Roster: signed, Token: token}
		if s.Passphrase, err = d.passphrase(dd.who); err != nil {
			return err
		}
		if dd.role == desk.Interviewer {
			if s.DeviceKey, err = keys.LoadSigningKey(d.path(dd.who+".key"), d.unlock(dd.who)); err != nil {
				return err
			}
			s.Device, s.PseudonymKey = dd.who, pkey
			t.Device, t.DevicePub = dd.who, s.DeviceKey.Verifier()
		} else if s.Identity, err = keys.LoadIdentity(d.path(dd.who+".key"), d.unlock(dd.who)); err != nil {
			return err
		}
		if err := st.AddToken(e.ctx, t, hash); err != nil {
			return err
		}
		home := d.path("desks/" + dd.who)
		if err := desk.Create(home, s); err != nil {
			return err
		}
		// As if each desk had synced once: the form is there.
		if err := desk.AddForm(home, signedForm); err != nil {
			return err
		}
		if dd.role == desk.Interviewer {
			if err := desk.AddDraft(home, demoSample); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(e.stdout, "  # %d made-up survey responses are sealed into the laptop's outbox, for the reviewer's statistics\n", demoResponses)
	return d.sealDemoResponses(signed, signedForm)
}

func (d demo) saveState(s quickstartState) error {
	b, _ := json.MarshalIndent(s, "", "  ")
	return durable.Replace(d.path("quickstart.json"), append(b, '\n'), 0o644)
}

// serve runs the demo server and the four desks until ctx ends.
func (d demo) serve(e *env) error {
	var state quickstartState
	b, err := os.ReadFile(d.path("quickstart.json"))
	if err == nil {
		err = json.Unmarshal(b, &state)
	}
	if err != nil {
		return fmt.Errorf("%s is not a complete quickstart directory (quickstart.json: %v); delete it and run quickstart again", d.dir, err)
	}
	logFile, err := os.OpenFile(d.path("quickstart.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	logger := server.NewLogger(slog.NewJSONHandler(logFile, nil))

	sb := Backend{Data: d.path("server")}
	logKey, err := sb.loadLogKey(e)
	if err != nil {
		return err
	}
	be, err := sb.open(e.ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	srv, err := server.New(e.ctx, server.Config{Store: be.Store, Blobs: be.Blobs, Logger: logger, LogKey: logKey})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", strings.TrimPrefix(state.Server, "http://"))
	if err != nil {
		// The port of the last run is taken: use another, and tell the desks.
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fmt.Errorf("failed to listen: %w", err)
		}
		state.Server = "http://" + ln.Addr().String()
		if err := d.saveState(state); err != nil {
			return err
		}
		for _, dd := range demoDesks {
			if err := desk.SetServer(d.path("desks/"+dd.who), state.Server); err != nil {
				return err
			}
		}
	}
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(demoDesks)+1)
	// The demo's server runs with the same deadlines and caps as serve's.
	hs := srv.HTTPServer()
	ln = srv.Listener(ln)
	wg.Go(func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("the demo server stopped: %w", err)
		}
	})
	type running struct {
		dd   demoDesk
		url  string
		pass string
	}
	var desks []running
	for _, dd := range demoDesks {
		dk, err := desk.New(desk.Config{Home: d.path("desks/" + dd.who), Log: slog.New(slog.NewJSONHandler(logFile, nil)).With("desk", dd.who)})
		if err != nil {
			return err
		}
		// Each desk keeps its address from one run to the next.
		dl, moved, err := dk.ListenKept()
		if err != nil {
			return err
		}
		if moved {
			e.warn(fmt.Sprintf("the usual port of the desk of %s was taken: it moved to the address below, kept from now on", dd.label))
		}
		pass, _ := os.ReadFile(d.path("passphrases/" + dd.who + ".txt"))
		desks = append(desks, running{dd, dk.URL(dl), strings.TrimSpace(string(pass))})
		wg.Go(func() {
			if err := dk.Serve(ctx, dl); err != nil {
				errs <- fmt.Errorf("the desk of %s stopped: %w", dd.label, err)
			}
		})
	}
	fmt.Fprintf(e.stdout, "The demo organisation is running. Its server is at %s.\n\nOpen each desk in a browser on this computer, and unlock it with its passphrase:\n\n", state.Server)
	for _, r := range desks {
		fmt.Fprintf(e.stdout, "  %-12s %-12s %s\n  %-12s %-12s passphrase: %s\n\n", r.dd.role, r.dd.label, r.url, "", "", r.pass)
	}
	fmt.Fprintf(e.stdout, `Try it:
  1. interviewer: continue the sample draft; the preview shows the names
     replaced; decide the flags; seal; open the outbox and sync.
     Then start "New survey", answer "yes" to having been detained (the
     detention questions appear: a skip rule), type an age of 12 (the
     form's rule refuses it), seal, and sync again.
  2. reviewer 1: pull new testimony, search for it, read it, add a tag.
     Open Surveys: the charts and tables of the survey's answers (small
     counts show as "<5"), a cross-tabulation, and Export to CSV or XLSX.
  3. custodian 1: pull new records, and look up a pseudonym from the note,
     with a reason: the lookup is recorded in the server's log first.

The desks speak Korean and English (switch at the top right of each page).
Logs (no names, no text) go to %s.
Press Ctrl-C to stop. Run 'testimony quickstart' again to go on where you
stopped; delete %s to start over.
`, d.path("quickstart.log"), d.dir)
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	cancel()
	shut, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	hs.Shutdown(shut)
	wg.Wait()
	if err == nil {
		fmt.Fprintln(e.stdout, "Stopped.")
	}
	return err
}

const demoEntities = `{
  "people": [
    {"id": "p1", "names": ["박영수", "Pak Yong-su"], "sex": "m", "role": "interviewee"},
    {"id": "p2", "names": ["박미경", "Pak Mi-gyong"], "sex": "f", "role": "relative"}
  ],
  "places": [
    {"id": "l1", "names": ["혜산", "Hyesan"]}
  ]
}
`

var demoSample = desk.Sample{
	Day:      "2026-03-14",
	Language: "ko",
	Note:     demoNote,
	People: [][3]string{
		{"박영수, Pak Yong-su", "m", "interviewee"},
		{"박미경, Pak Mi-gyong", "f", "relative"},
		{"", "", ""},
	},
	Places: [][2]string{{"혜산, Hyesan", ""}, {"", ""}},
}
