package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"testimony/internal/envelope"
	"testimony/keys"
)

// Exit codes. They are part of the interface: scripts rely on them, and
// docs/cli.md lists them.
const (
	exitOK            = 0
	exitError         = 1  // anything else: bad input file, I/O, wrong passphrase
	exitUsage         = 2  // bad command line
	exitWrongIdentity = 3  // open: the file is not sealed to this identity
	exitTampered      = 4  // open: damaged, tampered, not a sealed file
	exitTruncated     = 5  // open: cut short or extended
	exitUnknownDevice = 6  // open, seal: the device is not in the roster
	exitBadSignature  = 7  // open: the device signature does not verify
	exitRoster        = 8  // any command: the roster was rejected
	exitVerify        = 9  // verify: the server lost, changed or rewrote what it accepted
	exitWrongID       = 10 // open: sealed under another submission ID than it is filed under
	exitFlags         = 3  // redact, seal --entities: flags need a decision
)

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// exitCode prints err (if any) and returns the process exit code for it.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "testimony: %v\n", err)
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "testimony: run 'testimony help' for usage")
		return exitUsage
	case errors.Is(err, envelope.ErrWrongIdentity):
		return exitWrongIdentity
	case errors.Is(err, envelope.ErrWrongID):
		return exitWrongID
	case errors.Is(err, envelope.ErrTruncated):
		return exitTruncated
	case errors.Is(err, envelope.ErrTampered), errors.Is(err, envelope.ErrNotSealed), errors.Is(err, envelope.ErrUnsupported):
		return exitTampered
	case errors.Is(err, envelope.ErrUnknownDevice):
		return exitUnknownDevice
	case errors.Is(err, envelope.ErrBadSignature):
		return exitBadSignature
	case errors.Is(err, keys.ErrRoster):
		return exitRoster
	case errors.Is(err, errVerify):
		return exitVerify
	case errors.Is(err, errFlags):
		return exitFlags
	case errors.As(err, new(badInputError)):
		return exitUsage
	}
	return exitError
}

const usage = `testimony seals interview notes so that only the organisation's reviewers
can read them, and opens them again.

Usage:
  testimony <command> [flags]
  testimony              (no command, or double-clicked) the same as 'testimony start'

Keys (run once per person or device):
  keygen         make a reviewer/custodian identity, or a signing key (--signing)

Roster (the admin's signed list of keys):
  roster init    start a new roster
  roster add-reviewer | add-custodian | add-device
  roster remove-reviewer | remove-custodian | remove-device
  roster show    print a roster
  roster verify  check a roster's signature and rules

Testimony:
  redact         replace declared names and places with pseudonyms, mask identifiers
  seal           encrypt a note, answers and attachments to the reviewers
  open           decrypt and authenticate a sealed file

Surveys:
  form check     check an XLSForm and print what it asks
  form publish   sign a form with the admin key and put it on the server
  form list      list the published forms
  export         write a survey's responses as CSV, JSON Lines or XLSX,
                 after a check that no small group can be singled out

Server (the central store, which never reads testimony):
  server init    create a server's data directory, pinning the admin key and roster
  serve          run the intake server
  admin token    print a bearer token for a role
  admin enroll   print a single-use enrollment code for a role
  enroll         exchange an enrollment code for a token
  push           upload sealed files and keep the receipts
  pull           download new sealed files (reviewers) or records (custodians)
  verify         check that the server still holds, unchanged, all it gave receipts for
  backup         copy the running server into a backup that proves itself
  backup verify  check a backup against the admin key and its signed log
  restore        bring a verified backup into a new, empty server

Desk (the local web app for interviewers, reviewers and custodians):
  desk           run a person's desk on this computer
  start          open your desk, or its setup page, in the browser

Demo:
  quickstart     make a demo organisation and run its server and desks

  version        print testimony's version

Run 'testimony <command> --help' for a command's flags and examples.
Exit codes: 0 success, 1 error, 2 usage or bad input, 3 wrong identity (open)
or flags to decide (redact, seal --entities), 4 tampered or not a sealed
file, 5 truncated, 6 unknown device, 7 bad signature, 8 roster rejected,
9 verify or backup verify found the server's log or files, or a backup,
tampered with.
`

// extraCommands holds commands registered by the files that define them
// (in an init function), beside the table in run.
var extraCommands = map[string]func(*env, []string) error{}

type command struct {
	name string
	run  func(*env, []string) error
}

// env is what a command may touch.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func (e *env) warn(msg string) { fmt.Fprintf(e.stderr, "testimony: warning: %s\n", msg) }

func (e *env) info(format string, args ...any) {
	fmt.Fprintf(e.stderr, "testimony: "+format+"\n", args...)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		// Double-clicked: the person's desk in the browser (start.go).
		return runNoArgs(e)
	}
	commands := map[string]func(*env, []string) error{
		"keygen":     runKeygen,
		"roster":     runRoster,
		"redact":     runRedact,
		"seal":       runSeal,
		"open":       runOpen,
		"quickstart": runQuickstart,
		"desk":       runDesk,
		"server":     runServer,
		"serve":      runServe,
		"admin":      runAdmin,
		"enroll":     runEnroll,
		"push":       runPush,
		"pull":       runPull,
		"verify":     runVerify,
		"backup":     runBackup,
		"restore":    runRestore,
	}
	for name, c := range extraCommands {
		commands[name] = c
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c(e, append(args[2:], "--help"))
			}
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		return usagef("unknown command %q", args[0])
	}
	return c(e, args[1:])
}

// flagSet returns a flag set for a command whose help text is help.
func (e *env) flagSet(name, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "%s\nFlags:\n", strings.TrimSpace(help))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args with fs, allowing positional arguments between flags
// (testimony open IN.age --out DIR), and returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// parseFlags parses args with fs for a command that takes no positional
// arguments, and checks that the required flags are set.
func parseFlags(fs *flag.FlagSet, args []string, required ...string) error {
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), rest[0])
	}
	return need(fs, required...)
}

// need returns a usage error naming the missing required flags.
func need(fs *flag.FlagSet, names ...string) error {
	var missing []string
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return usagef("%s: missing %s", fs.Name(), strings.Join(missing, ", "))
	}
	return nil
}

// multiFlag collects a flag given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
