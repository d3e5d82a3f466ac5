package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"testimony/internal/durable"
	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/internal/pseudonym"
	"testimony/keys"
)

const redactHelp = `
Usage: testimony redact --entities ENTITIES.json --pseudonym-key KEY [--registry FILE]
                        [--report REPORT.json] [--reid-out REID.json] < note.md > redacted.md

Reads a note on standard input and writes it on standard output with every
declared person and place replaced by its pseudonym — in every spelling:
Hangul with its particles, the North and South spellings (리/이), the
romanizations in use, Chinese characters — and with phone numbers, e-mail
addresses, ID and passport numbers, exact birth dates and messenger IDs
masked. Words that look like names nobody declared, and places from the
bundled gazetteer, are flagged (places are generalized to their province).

ENTITIES.json declares the people and places of the interview:

  {"people": [{"id": "p1", "names": ["김석한", "Kim Suk-Han"], "aliases": ["金錫漢"], "sex": "m"}],
   "places": [{"id": "l1", "names": ["혜산", "Hyesan"]}]}

KEY is the organisation's pseudonym key (testimony keygen --pseudonym): the
same person gets the same pseudonym in every note. --registry names the
organisation's registry of pseudonyms (created if missing; it holds keyed
hashes, no real names): with it, no two people ever share a pseudonym, across
all the notes that used it, and a person keeps theirs.

--report writes what was done (replacements, flags, masked items, with their
places in the output) and never any real text. --reid-out writes the
re-identification record — which real spellings became which pseudonym — for
the custodian: it holds real names, so it is written mode 0600 and never over
an existing file; 'testimony seal --entities' encrypts it to the custodians
instead.

Exit status: 0 nothing needs a decision; 3 flags remain (they are listed on
stderr by ID and line; declare what they point at, or accept them with
'seal --accept-flag ID'); 2 bad input.

Example:
  testimony redact --entities entities.json --pseudonym-key pseudonym.key \
      --report report.json < note.md > note.redacted.md
`

// errFlags is the error of a redaction that left flags to decide.
var errFlags = errors.New("flags need a decision")

// badInputError is input that cannot be used: exit status 2.
type badInputError struct{ error }

func (e badInputError) Unwrap() error { return e.error }

// loadRedactor reads the entities file, the pseudonym key and the registry
// (if registryPath is not empty); save writes the registry back.
func loadRedactor(e *env, entitiesPath, keyPath, passFile, registryPath string) (r *pseudonym.Redactor, save func() error, err error) {
	save = func() error { return nil }
	var reg *pseudonym.Registry
	if registryPath != "" {
		if reg, err = pseudonym.LoadRegistry(registryPath); err != nil {
			return nil, nil, err
		}
		save = func() error { return reg.Save(registryPath) }
	}
	r, err = loadRedactorWith(e, entitiesPath, keyPath, passFile, reg)
	return r, save, err
}

func loadRedactorWith(e *env, entitiesPath, keyPath, passFile string, reg *pseudonym.Registry) (*pseudonym.Redactor, error) {
	data, err := os.ReadFile(entitiesPath)
	if err != nil {
		return nil, badInputError{fmt.Errorf("failed to read the entities file: %w", err)}
	}
	ents, err := pseudonym.ParseEntities(data)
	if err != nil {
		return nil, badInputError{fmt.Errorf("%s: %w", entitiesPath, err)}
	}
	key, err := keys.LoadPseudonymKey(keyPath, e.unlock(passFile))
	if err != nil {
		return nil, err
	}
	r, err := pseudonym.NewWithRegistry(ents, key, reg)
	if err != nil {
		return nil, badInputError{fmt.Errorf("%s: %w", entitiesPath, err)}
	}
	return r, nil
}

func runRedact(e *env, args []string) error {
	fs := e.flagSet("redact", redactHelp)
	entities := fs.String("entities", "", "the entities `FILE` (JSON) declaring people and places")
	keyPath := fs.String("pseudonym-key", "", "the organisation's pseudonym key `FILE`")
	report := fs.String("report", "", "write the report to `FILE` (JSON, no real text)")
	reidOut := fs.String("reid-out", "", "write the re-identification record to `FILE` (JSON, real names: for the custodian)")
	passFile := fs.String("passphrase-file", "", "read the pseudonym key's passphrase from `F`")
	registry := fs.String("registry", "", "the organisation's pseudonym registry `FILE` (created if missing)")
	if err := parseFlags(fs, args, "entities", "pseudonym-key"); err != nil {
		return err
	}
	for _, p := range []string{*report, *reidOut} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return usagef("redact: %s already exists; refusing to overwrite it", p)
			}
		}
	}
	r, saveRegistry, err := loadRedactor(e, *entities, *keyPath, *passFile, *registry)
	if err != nil {
		return err
	}
	in, err := io.ReadAll(io.LimitReader(e.stdin, envelope.MaxNoteSize+1))
	if err != nil {
		return fmt.Errorf("failed to read the note: %w", err)
	}
	if len(in) > envelope.MaxNoteSize {
		return badInputError{fmt.Errorf("the note is larger than %d MiB", envelope.MaxNoteSize>>20)}
	}
	if !utf8.Valid(in) {
		return badInputError{errors.New("the note is not UTF-8 text: save it as UTF-8 and try again")}
	}
	res := r.Redact(string(in))
	if *report != "" {
		b, _ := json.MarshalIndent(res.Report, "", "  ")
		if err := durable.WriteNew(*report, append(b, '\n'), 0o600); err != nil {
			return err
		}
	}
	if *reidOut != "" {
		b, _ := json.MarshalIndent(res.Reid, "", "  ")
		if err := durable.WriteNew(*reidOut, append(b, '\n'), 0o600); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(e.stdout, res.Text); err != nil {
		return err
	}
	if err := saveRegistry(); err != nil {
		return err
	}
	return flagsError(e, res.Text, res.Report.Flags, nil)
}

// flagsError lists the flags not in accepted on stderr, by ID, line and
// reason (never the flagged text), and returns errFlags if there are any.
func flagsError(e *env, text string, flags []pseudonym.Flag, accepted []string) error {
	var open []pseudonym.Flag
	for _, f := range flags {
		if !slices.Contains(accepted, f.ID) {
			open = append(open, f)
		}
	}
	if len(open) == 0 {
		return nil
	}
	for _, f := range open {
		line := 1 + strings.Count(text[:f.Start], "\n")
		fmt.Fprintf(e.stderr, "testimony: %s, line %d: %s; %s\n", f.ID, line, f.Reason, f.Suggestion)
	}
	return fmt.Errorf("%w: %d flag(s) listed above", errFlags, len(open))
}

// pseudonymizeContents pseudonymizes the note and every string in the
// answers, and fails while flags that were not accepted remain. It returns
// the re-identification records (the note's first).
func pseudonymizeContents(e *env, r *pseudonym.Redactor, c *envelope.Contents, accepted []string) ([]pseudonym.Reid, error) {
	res, err := intake.Pseudonymize(r, c)
	if err != nil {
		return nil, badInputError{err}
	}
	var noteFlags []pseudonym.Flag
	for _, f := range res.Flags {
		if !f.InAnswers {
			noteFlags = append(noteFlags, f.Flag)
		}
	}
	flagErr := flagsError(e, res.Note.Text, noteFlags, accepted)
	for _, f := range res.Open(accepted) {
		if f.InAnswers {
			fmt.Fprintf(e.stderr, "testimony: %s, in the answers: %s; %s\n", f.ID, f.Reason, f.Suggestion)
			flagErr = errFlags
		}
	}
	if flagErr != nil {
		return nil, fmt.Errorf("%w; nothing was sealed: declare what they point at in the entities file, or accept each with --accept-flag ID", flagErr)
	}
	return res.Reids, nil
}
