package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"testimony/keys"
)

// checkDeviceFingerprint makes the admin confirm, before a device key is
// signed into the roster, that it is the key the laptop made: its
// fingerprint as the laptop printed it (testimony enroll, keygen --signing),
// read over the phone or in person, given with --fingerprint or typed on the
// terminal. A key file that came by e-mail or through the server could have
// been swapped on the way; the fingerprint came another way.
func (e *env) checkDeviceFingerprint(id string, v keys.Verifier, given string) error {
	if given == "" {
		if !e.stdinIsTerminal() {
			return usagef("roster add-device: give --fingerprint XXXX-XXXX-XXXX-XXXX-XXXX, the fingerprint that 'testimony enroll' (or 'keygen --signing') printed on the laptop %s, read to you over the phone or in person; never take it from the server or from the file that brought the key", id)
		}
		typed, err := askLine(fmt.Sprintf("The fingerprint the laptop %s printed (read over the phone or in person): ", id))
		if err != nil {
			return err
		}
		given = typed
	}
	if err := v.CheckFingerprint(given); err != nil {
		return fmt.Errorf("device %s: %w; nothing was signed", id, err)
	}
	return nil
}

// stdinIsTerminal reports whether the command's standard input is a
// terminal, where a person can be asked.
func (e *env) stdinIsTerminal() bool {
	f, ok := e.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// askLine asks on the terminal and reads one line, echoed.
func askLine(msg string) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", errors.New("no terminal to ask on; use --fingerprint")
	}
	defer tty.Close()
	fmt.Fprint(tty, msg)
	line, err := bufio.NewReader(tty).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("failed to read the answer: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// keyFingerprint returns the fingerprint of the verifier key in the file at
// path.
func keyFingerprint(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	v, err := keys.ParseVerifier(string(b))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return v.Fingerprint(), nil
}
