package main

import (
	"fmt"
	"log/slog"
	"time"

	"testimony/desk"
)

const deskHelp = `
Usage: testimony desk --home DIR [--listen 127.0.0.1:PORT] [--idle-lock 10m]

Runs the desk: the local web app in which an interviewer writes and seals
interviews, a reviewer reads and searches them, and a custodian
re-identifies a pseudonym. DIR is the person's desk profile ('testimony
quickstart' makes demo ones). The desk listens on loopback only and prints
an address with a secret drawn at launch: open it in a browser on this
computer. Nothing else can use the desk, not even this computer's other
web pages.

The desk unlocks the profile's keys with the person's passphrase, and locks
itself after --idle-lock without use. Stop it with Ctrl-C.

Example:
  testimony desk --home ~/testimony-desk
`

func runDesk(e *env, args []string) error {
	fs := e.flagSet("desk", deskHelp)
	home := fs.String("home", "", "the desk profile `DIR`")
	listen := fs.String("listen", "127.0.0.1:0", "loopback `ADDR` to listen on (port 0: any free port)")
	idle := fs.Duration("idle-lock", 10*time.Minute, "lock after this long without use (`DURATION`)")
	if err := parseFlags(fs, args, "home"); err != nil {
		return err
	}
	if *idle < time.Minute {
		return usagef("desk: --idle-lock must be at least 1m")
	}
	d, err := desk.New(desk.Config{Home: *home, IdleLock: *idle, Log: deskLog(e)})
	if err != nil {
		return err
	}
	ln, err := desk.Listen(*listen)
	if err != nil {
		return usagef("desk: %v", err)
	}
	p := d.Profile()
	fmt.Fprintf(e.stdout, "The desk of %s (%s) is open at:\n\n  %s\n\nOpen it in a browser on this computer. Press Ctrl-C to stop.\n", p.Label, p.Role, d.URL(ln))
	return d.Serve(e.ctx, ln)
}

// deskLog writes a desk's operational messages on stderr.
func deskLog(e *env) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
