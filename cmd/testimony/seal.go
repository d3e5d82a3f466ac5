package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"testimony/internal/durable"
	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/internal/pseudonym"
	"testimony/internal/survey"
	"testimony/keys"
)

const sealHelp = `
Usage: testimony seal --roster R --admin-pub PUB --device-key K --device-id ID
                      --note FILE [--answers FILE.json] [--attach FILE]...
                      --out OUT.age [--day YYYY-MM-DD] [--language TAG]
                      [--form ID/VERSION] [--subject PSEUDONYM] [--previous R0]
                      [--entities ENTITIES.json --pseudonym-key KEY [--registry FILE]
                       [--accept-flag ID]... [--reid-out FILE.age]]

Encrypts a note, optional survey answers and attachments to every reviewer in
the roster, signed by this device. The roster is checked first (signature by
the pinned admin key, rules, and not older than --previous if given);
nothing is written if it is in any doubt. The note is read from FILE ('-' for
standard input), never from the command line.

Attachments are stored as attachments/01.jpg, 02.m4a, …: their names are
dropped, because file names often name people. Metadata (EXIF, GPS, text) is
removed from JPEG and PNG images; other formats are sealed as they are, with
a warning.

With --entities and --pseudonym-key, the note and every text in the answers
are pseudonymized first, as 'testimony redact' does. Sealing is refused while
flags remain (suspected undeclared names, generalized places): declare what
they point at, or accept each one with --accept-flag ID. The
re-identification record (which real spellings became which pseudonym, and
what was masked) is sealed to the roster's custodians only, beside the sealed
file as <id>.reid.age (or at --reid-out); a reviewer's identity cannot open
it.

OUT.age is a standard age file; it is written only when complete, and never
over an existing file. If --out is a directory, the file is named <id>.age in
it, as 'testimony push' expects. The submission ID is printed on stdout.

Example:
  testimony seal --roster roster.txt --admin-pub "$(cat admin.pub)" \
      --device-key laptop-1.key --device-id laptop-1 \
      --note note.md --attach photo.jpg --language ko --out interview.age
`

func runSeal(e *env, args []string) error {
	fs := e.flagSet("seal", sealHelp)
	rosterPath := fs.String("roster", "", "roster `FILE`")
	adminPub := fs.String("admin-pub", "", "the pinned admin verifier key `PUB` (or a file holding it)")
	previous := fs.String("previous", "", "a roster `R0` trusted earlier: the roster must be it or newer")
	deviceKey := fs.String("device-key", "", "this device's signing key `FILE`")
	deviceID := fs.String("device-id", "", "this device's `ID` in the roster")
	notePath := fs.String("note", "", "the note `FILE` (UTF-8; '-' for standard input)")
	answersPath := fs.String("answers", "", "survey answers `FILE.json`")
	var attach multiFlag
	fs.Var(&attach, "attach", "attachment `FILE` (repeat for more)")
	out := fs.String("out", "", "sealed `FILE` to write (must not exist)")
	day := fs.String("day", "", "interview day `YYYY-MM-DD` (default today)")
	language := fs.String("language", "", "language `TAG` of the note, like ko or en (default und)")
	form := fs.String("form", "", "form `ID/VERSION` (default note/1)")
	subject := fs.String("subject", "", "the subject's `PSEUDONYM`, if any")
	passFile := fs.String("passphrase-file", "", "read the device key's passphrase from `F`")
	entities := fs.String("entities", "", "pseudonymize first, with the entities `FILE` (JSON)")
	keyPath := fs.String("pseudonym-key", "", "the organisation's pseudonym key `FILE` (with --entities)")
	keyPass := fs.String("pseudonym-passphrase-file", "", "read the pseudonym key's passphrase from `F`")
	registry := fs.String("registry", "", "the organisation's pseudonym registry `FILE` (with --entities; created if missing)")
	reidOut := fs.String("reid-out", "", "the re-identification record `FILE.age` (default: beside the sealed file, <id>.reid.age)")
	var accepted multiFlag
	fs.Var(&accepted, "accept-flag", "seal although flag `ID` remains (repeat for more)")
	if err := parseFlags(fs, args, "roster", "admin-pub", "device-key", "device-id", "note", "out"); err != nil {
		return err
	}
	if (*entities == "") != (*keyPath == "") {
		return usagef("seal: give both --entities and --pseudonym-key, or neither")
	}
	if *entities == "" && (*reidOut != "" || len(accepted) > 0) {
		return usagef("seal: --reid-out and --accept-flag go with --entities")
	}
	roster, err := loadRoster(*rosterPath, *adminPub, *previous, false)
	if err != nil {
		return err
	}
	var c envelope.Contents
	if c.Note, err = readInput(e, *notePath, envelope.MaxNoteSize, "note"); err != nil {
		return err
	}
	if *answersPath != "" {
		if c.Answers, err = readInput(e, *answersPath, envelope.MaxAnswersSize, "answers"); err != nil {
			return err
		}
		// Answers to a published form are checked against the signed form
		// and only their free text is pseudonymized: the desk does both.
		// Here they would be sealed unchecked, with every choice and number
		// run through the pseudonymizer, so they are refused.
		var probe struct {
			Format string `json:"format"`
		}
		if json.Unmarshal(c.Answers, &probe) == nil && probe.Format == survey.AnswersFormat {
			return badInputError{fmt.Errorf("%s holds answers to a published survey form (%s): fill and seal surveys on the desk, which checks them against the signed form and pseudonymizes only their free text", *answersPath, survey.AnswersFormat)}
		}
	}
	var reids []pseudonym.Reid
	saveRegistry := func() error { return nil }
	if *entities != "" {
		if len(roster.Custodians) == 0 {
			return errors.New("the roster has no custodians, so the re-identification record cannot be sealed to anyone: ask the admin to add a custodian (roster add-custodian)")
		}
		r, save, err := loadRedactor(e, *entities, *keyPath, *keyPass, *registry)
		if err != nil {
			return err
		}
		saveRegistry = save
		if reids, err = pseudonymizeContents(e, r, &c, accepted); err != nil {
			return err
		}
	}
	for _, path := range attach {
		a, err := envelope.AttachmentFile(path)
		if err != nil {
			return err
		}
		c.Attachments = append(c.Attachments, a)
	}
	// --out may name a directory (an outbox): the file is then <id>.age,
	// which is the name push expects.
	id := envelope.NewID()
	if fi, err := os.Stat(*out); (err == nil && fi.IsDir()) || strings.HasSuffix(*out, string(os.PathSeparator)) {
		// An outbox named with a trailing slash is made if it is missing.
		if err := os.MkdirAll(*out, 0o700); err != nil {
			return fmt.Errorf("failed to create the outbox: %w", err)
		}
		*out = filepath.Join(*out, id+".age")
	}
	device, err := keys.LoadSigningKey(*deviceKey, e.unlock(*passFile))
	if err != nil {
		return err
	}
	var reid *durable.File
	reidDigest := ""
	if *entities != "" {
		if *reidOut == "" {
			*reidOut = strings.TrimSuffix(*out, ".age") + ".reid.age"
		}
		if reid, err = durable.Create(*reidOut, 0o600); err != nil {
			return err
		}
		defer reid.Abort()
		if reidDigest, err = intake.SealReid(reid, roster, reids, intake.ReidBinding{ID: id, DeviceID: *deviceID, Device: device}); err != nil {
			return err
		}
	}
	f, err := durable.Create(*out, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	s, err := envelope.Seal(ctxWriter{e.ctx, f}, c, envelope.Options{
		Roster: roster, Device: device, DeviceID: *deviceID,
		Form: *form, Day: *day, Language: *language, Subject: *subject, ID: id, Reid: reidDigest,
	})
	if err != nil {
		return err
	}
	// The record first: a record without its sealed file is harmless, a
	// sealed file without its record would lose the custodian's mapping.
	if reid != nil {
		if err := reid.Commit(); err != nil {
			return err
		}
		e.info("sealed the re-identification record to %d custodian(s): %s", len(roster.Custodians), *reidOut)
	}
	if err := f.Commit(); err != nil {
		return err
	}
	if err := saveRegistry(); err != nil {
		return err
	}
	for i, a := range s.Attachments {
		if !a.Stripped {
			e.warn(fmt.Sprintf("%s is not a JPEG or PNG image: any metadata inside it (author, place, device) was sealed as it is", attach[i]))
		}
	}
	e.info("sealed %s to %d reviewer(s) of %q (roster version %d): %d entries, %d bytes, submission ID %s", *out, len(roster.Reviewers), roster.Org, roster.Version, len(s.Manifest.Entries), s.Size, s.Manifest.ID)
	fmt.Fprintln(e.stdout, s.Manifest.ID)
	return nil
}

// readInput reads a small input file, or standard input for "-".
func readInput(e *env, path string, limit int64, what string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = e.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("failed to read %s: %w", what, err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB", what, limit>>20)
	}
	return b, nil
}

const openHelp = `
Usage: testimony open --identity FILE --roster R --admin-pub PUB [--previous R0]
                      [--id ID] IN.age --out DIR

Decrypts a sealed file and authenticates all of it before anything appears in
DIR: every encrypted chunk, the device's signature against the roster, every
entry against the signed manifest, and the submission ID. DIR must not exist
or be empty; it receives note.md, answers.json, attachments/, testimony.json
(the manifest) and signature, readable only by you. The identity's passphrase
is asked on the terminal, or read from --passphrase-file.

A sealed file is bound to the submission ID it was sealed under: open takes
the ID it expects from the file name (<id>.age, as seal, push and pull name
files) or from --id, and refuses a file whose signed manifest names another
(exit 10): it is a copy of another testimony, not a testimony of its own.

A custodian opens a re-identification record (<id>.reid.age) the same way,
with the custodian's identity: DIR receives reid.json. The record must be
signed by an enrolled device for this submission ID; a record from before
records were signed opens with a warning that nothing binds it.

Exit codes: 3 not sealed to this identity, 4 damaged or tampered, 5 truncated,
6 sealed by a device not in the roster, 7 bad signature, 8 roster rejected,
10 sealed under another submission ID.

Example:
  testimony open --identity reviewer-1.key --roster roster.txt \
      --admin-pub "$(cat admin.pub)" inbox/5c0ffee5….age --out interview
  testimony open --identity custodian.key --roster roster.txt \
      --admin-pub admin.pub inbox/5c0ffee5….reid.age --out record
`

func runOpen(e *env, args []string) error {
	fs := e.flagSet("open", openHelp)
	identityPath := fs.String("identity", "", "your identity `FILE`")
	rosterPath := fs.String("roster", "", "roster `FILE`")
	adminPub := fs.String("admin-pub", "", "the pinned admin verifier key `PUB` (or a file holding it)")
	previous := fs.String("previous", "", "a roster `R0` trusted earlier: the roster must be it or newer")
	out := fs.String("out", "", "`DIR` to write the opened testimony to (must not exist, or be empty)")
	passFile := fs.String("passphrase-file", "", "read the identity's passphrase from `F`")
	subID := fs.String("id", "", "the submission `ID` the file is filed under (default: from its name, <id>.age)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := need(fs, "identity", "roster", "admin-pub", "out"); err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("open: give exactly one sealed file to open")
	}
	base := filepath.Base(rest[0])
	isReid := strings.HasSuffix(base, ".reid.age")
	named := strings.TrimSuffix(strings.TrimSuffix(base, ".age"), ".reid")
	switch {
	case *subID != "" && !envelope.ValidID(*subID):
		return usagef("open: --id must be a submission ID, 32 lowercase hex digits")
	case *subID != "" && envelope.ValidID(named) && named != *subID:
		return usagef("open: the file is named for submission %s, but --id says %s", named, *subID)
	case *subID == "" && !envelope.ValidID(named):
		return usagef("open: %s is not named <id>.age: give the submission ID it is filed under with --id (seal prints it; push and pull name files by it)", base)
	case *subID == "":
		*subID = named
	}
	roster, err := loadRoster(*rosterPath, *adminPub, *previous, false)
	if err != nil {
		return err
	}
	in, err := os.Open(rest[0])
	if err != nil {
		return fmt.Errorf("failed to open sealed file: %w", err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("failed to open sealed file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", rest[0])
	}
	dir, err := envelope.NewDir(*out)
	if err != nil {
		return err
	}
	defer dir.Abort()
	id, err := keys.LoadIdentity(*identityPath, e.unlock(*passFile))
	if err != nil {
		return err
	}
	if isReid {
		return openReid(e, in, fi.Size(), dir, id, roster, *subID, rest[0], *out)
	}
	opened, err := envelope.Open(ctxReaderAt{e.ctx, in}, fi.Size(), dir, envelope.OpenOptions{Identity: id, Roster: roster, ID: *subID})
	if err != nil {
		return fmt.Errorf("%s: %w", rest[0], err)
	}
	m := opened.Manifest
	text, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := dir.WriteFile(envelope.ManifestName, text); err != nil {
		return err
	}
	if err := dir.WriteFile(envelope.SignatureName, opened.Signature); err != nil {
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "opened %s into %s\n", rest[0], *out)
	fmt.Fprintf(w, "  submission %s\n  sealed by device %q (signature verified), roster version %d of %q\n", m.ID, m.Device, m.RosterVersion, m.Org)
	fmt.Fprintf(w, "  day %s, language %s, form %s", m.Day, m.Language, m.Form)
	if m.Subject != "" {
		fmt.Fprintf(w, ", subject %s", m.Subject)
	}
	fmt.Fprintln(w)
	names := make([]string, len(m.Entries))
	for i, en := range m.Entries {
		names[i] = en.Name
	}
	fmt.Fprintf(w, "  entries: %s\n", strings.Join(names, ", "))
	return nil
}

// openReid opens a re-identification record into dir as reid.json.
func openReid(e *env, in *os.File, size int64, dir *envelope.Dir, id *keys.Identity, roster *keys.Roster, sub, name, out string) error {
	if size > intake.MaxBundleSize+(1<<20) {
		return fmt.Errorf("%s: %w: larger than any re-identification record", name, envelope.ErrNotSealed)
	}
	b, err := io.ReadAll(io.NewSectionReader(ctxReaderAt{e.ctx, in}, 0, size))
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", name, err)
	}
	bd, err := intake.OpenReid(b, id, roster, sub)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	text, err := json.MarshalIndent(bd, "", "  ")
	if err != nil {
		return err
	}
	if err := dir.WriteFile("reid.json", append(text, '\n')); err != nil {
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "opened the re-identification record %s into %s\n", name, out)
	if bd.Signed {
		fmt.Fprintf(e.stdout, "  submission %s, signed by device %q (signature verified)\n", bd.ID, bd.Device)
	} else {
		e.warn(fmt.Sprintf("%s is in the old, unsigned format: nothing shows that the device that sealed submission %s made it; anyone holding the custodians' public keys could have. Confirm it with the interviewer before acting on it", name, sub))
	}
	return nil
}

// ctxWriter fails writes once ctx is done, so that an interrupted seal stops
// and removes its partial output.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, errors.New("interrupted")
	}
	return c.w.Write(p)
}

// ctxReaderAt fails reads once ctx is done, so that an interrupted open
// stops and removes its staging directory.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, errors.New("interrupted")
	}
	return c.r.ReadAt(p, off)
}
