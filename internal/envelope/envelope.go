// Package envelope implements the sealed testimony format: a tar stream,
// padded to the PADMÉ length, inside a standard age file encrypted to every
// reviewer in the roster.
//
// # Format (version 2)
//
// The age payload is a POSIX tar stream followed by zero bytes. Its entries,
// all regular files, come in this order:
//
//	note.md              the pseudonymized note (UTF-8)
//	answers.json         survey answers (optional, valid JSON)
//	attachments/NN.ext   attachments, numbered; JPEG/PNG metadata removed
//	testimony.json       the manifest (see [Manifest])
//	signature            the device's signed-note signature over the manifest
//
// The manifest comes after the content so that sealing reads every input
// once: it records the name, size and SHA-256 of each entry before it. The
// manifest followed by a blank line and the signature entry is a
// golang.org/x/mod/sumdb/note signed note by the device key enrolled in the
// roster. The manifest names the submission ID and, since version 2, the
// SHA-256 of the re-identification record sealed with the file, so the
// signature binds the file to both: [Open] refuses a file filed under another
// ID ([ErrWrongID]). Version 1 files (no record digest) still open. After the
// tar end-of-archive marker come zero bytes up to the PADMÉ
// length of the tar stream ([Padme]), so the ciphertext size reveals only
// O(log log n) bits of the content size.
//
// Anyone with a reviewer identity can read a sealed file with stock tools:
// `age -d -i reviewer.key f.age | tar -x`.
//
// # Opening
//
// [Open] authenticates the whole file before it reports success: every age
// chunk, the padding, every entry against the manifest, the manifest's
// signature against the roster's device key and the roster binding. Because
// age releases plaintext chunk by chunk, [Open] hands entries to a [Sink] as it
// decrypts them; a Sink must hold them back (in memory, or in a staging
// directory) and release them only if [Open] returns nil.
//
// # Errors
//
// Open and Seal return errors that match one of the sentinel errors below, or
// keys.ErrRoster, with errors.Is; each says what went wrong in words a
// reviewer can act on.
package envelope

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"testimony/keys"
)

var (
	// ErrWrongIdentity: the file is not sealed to the identity given.
	ErrWrongIdentity = errors.New("this file is not sealed to your identity")
	// ErrTampered: authentication failed: the file was changed after sealing.
	ErrTampered = errors.New("the file is damaged or was tampered with")
	// ErrTruncated: the file was cut short (or had bytes appended).
	ErrTruncated = errors.New("the file is truncated: it was cut short or extended")
	// ErrNotSealed: the input is not a sealed testimony file at all.
	ErrNotSealed = errors.New("not a sealed testimony file")
	// ErrUnknownDevice: the signing device is not enrolled in the roster.
	ErrUnknownDevice = errors.New("the device that sealed this file is not enrolled in the roster")
	// ErrBadSignature: the manifest's signature does not verify with the
	// enrolled device's key.
	ErrBadSignature = errors.New("the device signature is not valid")
	// ErrWrongID: the file is authentic, but its signed manifest names
	// another submission ID than the one it is filed under: it is a copy
	// of another testimony (re-uploaded under a new ID, or renamed), and
	// must not be counted as a testimony of its own.
	ErrWrongID = errors.New("the file was sealed under another submission ID than the one it is filed under: it is a copy of another testimony, not a testimony of its own")
	// ErrUnsupported: the file uses a format version this program does not
	// know.
	ErrUnsupported = errors.New("the file was sealed in a newer format; upgrade testimony")
	// ErrRosterOutdated: the file was sealed under a newer roster than the
	// one given. It matches keys.ErrRoster.
	ErrRosterOutdated = fmt.Errorf("the file was sealed under a newer roster than yours; fetch the current roster: %w", keys.ErrRoster)
	// ErrRosterMismatch: the file names the roster version given but other
	// recipients or another organisation: two different rosters carry the
	// same version. It matches keys.ErrRoster.
	ErrRosterMismatch = fmt.Errorf("the file was sealed to a different roster than yours under the same version: %w", keys.ErrRoster)
)

// WrongIDError is [ErrWrongID] with the two IDs: the one the file is filed
// under and the one its signed contents name (the testimony it is a copy
// of).
type WrongIDError struct {
	Filed, Signed string
	// What is "the file" or "the re-identification record".
	What string
}

func (e *WrongIDError) Error() string {
	what, copyOf := e.What, "it is a copy of another testimony, not a testimony of its own"
	if what == "" {
		what = "the file"
	} else {
		copyOf = "it belongs to another testimony"
	}
	return fmt.Sprintf("%s was sealed under another submission ID than the one it is filed under (filed under %s, signed as %s): %s", what, e.Filed, e.Signed, copyOf)
}

// Is makes errors.Is(err, ErrWrongID) true.
func (e *WrongIDError) Is(target error) bool { return target == ErrWrongID }

// validText reports whether s is non-empty printable UTF-8 without leading or
// trailing space, control or format characters.
func validText(s string) bool {
	if s == "" || !utf8.ValidString(s) || strings.TrimSpace(s) != s {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
	}) < 0
}
