package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/term"
)

// What testimony does when it is started without arguments, as when a
// person double-clicks it: open their desk, or its setup page, in the
// browser.

const startHelp = `
Usage:
  testimony                                    (no arguments, as when double-clicked)
  testimony start [--home DIR] [--no-browser]

Opens the person's desk in this computer's default browser: the same as
'testimony desk --home DIR --open'. DIR is the desk profile, by default the
folder testimony-desk in the person's home folder (~/testimony-desk; on
Windows C:\Users\NAME\testimony-desk), the one the README's examples use.
The desk runs while the window that started it stays open; close it, or
press Ctrl-C, to stop the desk.

If DIR holds no desk profile yet, the browser shows the desk's setup
page, which makes one with what the organisation's admin gave: an
invitation file or the server's address, and a one-time code.

--no-browser only prints the desk's address, to open by hand.

Examples:
  testimony
  testimony start --home D:\testimony-desk
  testimony start --no-browser
`

func init() { extraCommands["start"] = runStart }

// runNoArgs is run without arguments: start, and on Windows, where a
// double-clicked program's window closes as soon as it exits, keep the
// window open until the person has read why it stopped.
func runNoArgs(e *env) error {
	err := runStart(e, nil)
	if err != nil && pauseOnError() && isTerminal(e.stdin) {
		fmt.Fprintf(e.stderr, "testimony: %v\n\nPress Enter to close this window.\n", err)
		bufio.NewReader(e.stdin).ReadString('\n')
	}
	return err
}

// pauseOnError reports whether a failed start without arguments waits for
// Enter; tests replace it.
var pauseOnError = func() bool { return runtime.GOOS == "windows" }

func runStart(e *env, args []string) error {
	fs := e.flagSet("start", startHelp)
	home := fs.String("home", "", "the desk profile `DIR` (default: testimony-desk in your home folder)")
	noBrowser := fs.Bool("no-browser", false, "print the desk's address without opening a browser")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *home == "" {
		h, err := defaultHome()
		if err != nil {
			return err
		}
		*home = h
	}
	deskArgs := []string{"--home", *home}
	if !*noBrowser {
		deskArgs = append(deskArgs, "--open")
	}
	return runDesk(e, deskArgs)
}

// defaultHome is the desk profile a start without --home opens.
func defaultHome() (string, error) {
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("failed to find your home folder (%w): give the desk profile with --home", err)
	}
	return filepath.Join(h, "testimony-desk"), nil
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// openBrowser opens url, the desk's own loopback address, in the default
// browser. Tests replace it. The URL is one argument of the opener,
// never passed through a shell.
var openBrowser = func(url string) error {
	if !strings.HasPrefix(url, "http://127.0.0.1:") && !strings.HasPrefix(url, "http://[::1]:") {
		return fmt.Errorf("refusing to open %q: not a loopback address", url)
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		cmd = exec.Command("open", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
