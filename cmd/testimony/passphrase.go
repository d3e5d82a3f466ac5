package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"testimony/keys"
)

// unlock returns how to read a key file: the passphrase comes from passFile
// if set, otherwise from the terminal.
func (e *env) unlock(passFile string) keys.Unlock {
	return keys.Unlock{
		Passphrase: func(path string) (keys.Passphrase, error) {
			if passFile != "" {
				return readPassphraseFile(passFile, false)
			}
			p, err := prompt(fmt.Sprintf("Enter the passphrase for %s: ", path))
			if err != nil {
				return keys.Passphrase{}, err
			}
			return keys.ExistingPassphrase(p)
		},
		Warn: e.warn,
	}
}

// newPassphrase returns the passphrase for a new key file: nil with
// --insecure-no-passphrase, else from passFile or asked twice on the terminal.
func (e *env) newPassphrase(passFile string, insecure bool) (*keys.Passphrase, error) {
	switch {
	case insecure && passFile != "":
		return nil, usagef("give either --passphrase-file or --insecure-no-passphrase, not both")
	case insecure:
		e.warn("writing an unprotected key file: anyone who can read it can use the key; use this only for tests and demos")
		return nil, nil
	case passFile != "":
		p, err := readPassphraseFile(passFile, true)
		return &p, err
	}
	first, err := prompt("Choose a passphrase for the new key (at least 10 characters; several unrelated words are best): ")
	if err != nil {
		return nil, err
	}
	p, err := keys.NewPassphrase(first)
	if err != nil {
		return nil, err
	}
	second, err := prompt("Type the passphrase again: ")
	if err != nil {
		return nil, err
	}
	if second != first {
		return nil, errors.New("the two passphrases differ; nothing was written")
	}
	return &p, nil
}

// readPassphraseFile reads a passphrase from the first line of path.
func readPassphraseFile(path string, isNew bool) (keys.Passphrase, error) {
	f, err := os.Open(path)
	if err != nil {
		return keys.Passphrase{}, fmt.Errorf("failed to read passphrase file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return keys.Passphrase{}, fmt.Errorf("failed to read passphrase file: %w", err)
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return keys.Passphrase{}, fmt.Errorf("passphrase file %s is empty", path)
	}
	if isNew {
		return keys.NewPassphrase(string(line))
	}
	return keys.ExistingPassphrase(string(line))
}

// prompt asks on the terminal, without echo.
func prompt(msg string) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", errors.New("no terminal to ask for the passphrase on; use --passphrase-file FILE")
	}
	defer tty.Close()
	fmt.Fprint(tty, msg)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return "", fmt.Errorf("failed to read the passphrase: %w", err)
	}
	return string(b), nil
}
