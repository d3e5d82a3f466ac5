package keys

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// RosterFormat is the version of the roster format: of the text that is
// signed, not the roster's own Version.
type RosterFormat int

const (
	// RosterV1 rosters list reviewers as "reviewer RECIPIENT LABEL". The
	// zero RosterFormat means RosterV1, so that a Roster built field by field
	// keeps the text it always had.
	RosterV1 RosterFormat = 1
	// RosterV2 rosters list reviewers as "reviewer RECIPIENT SIGNER LABEL",
	// SIGNER being the reviewer's signing key (see
	// [Identity.ReviewerSigner]) or "-". [NewRoster] makes version 2
	// rosters; [Roster.Upgrade] turns a version 1 roster into one.
	RosterV2 RosterFormat = 2
)

// The first line of a roster names its format.
const (
	RosterHeaderV1 = "testimony roster v1"
	RosterHeaderV2 = "testimony roster v2"
)

// noSigner stands for a reviewer without a signing key in a version 2
// roster.
const noSigner = "-"

// MaxRosterSize bounds the size of a signed roster, in bytes.
const MaxRosterSize = 1 << 20

// ErrRoster matches (with errors.Is) every error that rejects a roster. The
// more specific errors below match it too.
var ErrRoster = errors.New("roster rejected")

var (
	// ErrRosterUnsigned: the roster carries no signature at all.
	ErrRosterUnsigned error = rosterError("roster is not signed")
	// ErrRosterOtherSigner: the roster is signed, but not by the pinned
	// admin key.
	ErrRosterOtherSigner error = rosterError("roster is not signed by the pinned admin key")
	// ErrRosterBadSignature: the roster claims the admin key's signature,
	// but the signature does not verify: it was changed after signing.
	ErrRosterBadSignature error = rosterError("roster signature is invalid: the roster was changed after it was signed")
	// ErrRosterMalformed: the roster text is not a well-formed roster.
	ErrRosterMalformed error = rosterError("roster is malformed")
	// ErrRosterInvalid: the roster is well-formed but breaks a rule
	// (duplicates, mixed key kinds).
	ErrRosterInvalid error = rosterError("roster is invalid")
	// ErrRosterRollback: the roster's version is not above the version
	// pinned earlier: someone may be replaying an old roster.
	ErrRosterRollback error = rosterError("roster is older than the pinned one (rollback)")
)

type rosterError string

func (e rosterError) Error() string        { return string(e) }
func (e rosterError) Is(target error) bool { return target == ErrRoster }

// Member is a reviewer or a custodian.
type Member struct {
	// Label says who or what holds the key, for people reading the roster.
	// The server sees it: use a role ("reviewer 2"), not a full name, where
	// staff names are sensitive.
	Label     string
	Recipient Recipient
	// Signer is a reviewer's signing key, which signs their annotations;
	// zero if the roster does not list one (always zero for custodians and
	// in a version 1 roster). It is named ReviewerSignerName(Recipient).
	Signer Verifier
}

// Device is an enrolled device: the ID it signs under and its verifier key.
type Device struct {
	ID  string
	Key Verifier
}

// Roster is the organisation's list of keys. Obtain one from bytes only with
// [VerifyRoster]; build a new one with [NewRoster].
type Roster struct {
	// Format is the roster's text format; zero means RosterV1. A roster
	// keeps the format it was read in, so that its text, and so its
	// signature, stays the same.
	Format  RosterFormat
	Org     string
	Version uint64
	// Log is the server's log key, which signs the checkpoints of the
	// server's transparency log; zero until the admin sets it. Clients
	// trust a checkpoint only if this key signed it.
	Log        Verifier
	Reviewers  []Member
	Custodians []Member
	Devices    []Device
}

// NewRoster returns an empty roster for org at version 1, in the current
// format (RosterV2).
func NewRoster(org string) (*Roster, error) {
	r := &Roster{Format: RosterV2, Org: strings.TrimSpace(org), Version: 1}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidDeviceID reports whether id can name a device: 1 to 64 ASCII letters,
// digits, '.', '_' or '-', starting with a letter or digit.
func ValidDeviceID(id string) bool { return deviceIDPattern.MatchString(id) }

func validText(s string, max int) bool {
	return s != "" && len(s) <= max && utf8.ValidString(s) && s == strings.TrimSpace(s) &&
		strings.IndexFunc(s, invisible) < 0
}

// invisible reports whether r is a control or format character (bidi
// overrides, zero-width characters) or a line or paragraph separator: none
// belongs in a name, and format characters can make one name look like
// another.
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// Kind returns the kind of the roster's recipients, or 0 if it has none.
func (r *Roster) Kind() Kind {
	for _, m := range slices.Concat(r.Reviewers, r.Custodians) {
		return m.Recipient.Kind()
	}
	return 0
}

// Device returns the verifier key of the enrolled device id.
func (r *Roster) Device(id string) (Verifier, bool) {
	for _, d := range r.Devices {
		if d.ID == id {
			return d.Key, true
		}
	}
	return Verifier{}, false
}

// format returns r's format, reading zero as RosterV1.
func (r *Roster) format() RosterFormat {
	if r.Format == 0 {
		return RosterV1
	}
	return r.Format
}

func (f RosterFormat) header() string {
	if f == RosterV2 {
		return RosterHeaderV2
	}
	return RosterHeaderV1
}

// check enforces the roster rules: valid names, one key kind, no duplicates.
func (r *Roster) check() error {
	if f := r.format(); f != RosterV1 && f != RosterV2 {
		return fmt.Errorf("%w: unknown roster format %d", ErrRosterInvalid, r.Format)
	}
	if !validText(r.Org, 128) {
		return fmt.Errorf("%w: organisation name must be 1 to 128 printable characters", ErrRosterInvalid)
	}
	if r.Version == 0 {
		return fmt.Errorf("%w: version must be at least 1", ErrRosterInvalid)
	}
	seenRecipient := map[string]string{}
	var kind Kind
	for _, role := range []struct {
		name    string
		members []Member
	}{{"reviewer", r.Reviewers}, {"custodian", r.Custodians}} {
		seenLabel := map[string]bool{}
		for _, m := range role.members {
			if !validText(m.Label, 64) {
				return fmt.Errorf("%w: %s label %q must be 1 to 64 printable characters", ErrRosterInvalid, role.name, m.Label)
			}
			if seenLabel[m.Label] {
				return fmt.Errorf("%w: two %ss are labelled %q", ErrRosterInvalid, role.name, m.Label)
			}
			seenLabel[m.Label] = true
			if m.Recipient.kind == 0 {
				return fmt.Errorf("%w: %s %q has no key", ErrRosterInvalid, role.name, m.Label)
			}
			if other, ok := seenRecipient[m.Recipient.s]; ok {
				return fmt.Errorf("%w: the key of %s %q is already listed for %s; every reviewer and custodian needs a key of their own", ErrRosterInvalid, role.name, m.Label, other)
			}
			seenRecipient[m.Recipient.s] = fmt.Sprintf("%s %q", role.name, m.Label)
			if kind == 0 {
				kind = m.Recipient.Kind()
			} else if kind != m.Recipient.Kind() {
				return fmt.Errorf("%w: %s %q has a %s key, but the roster already holds %s keys; an organisation uses one kind only", ErrRosterInvalid, role.name, m.Label, m.Recipient.Kind(), kind)
			}
		}
	}
	seenID, seenKey := map[string]bool{}, map[string]bool{}
	for _, d := range r.Devices {
		if !ValidDeviceID(d.ID) {
			return fmt.Errorf("%w: device ID %q must be 1 to 64 letters, digits, '.', '_' or '-'", ErrRosterInvalid, d.ID)
		}
		if seenID[d.ID] {
			return fmt.Errorf("%w: device ID %q is listed twice", ErrRosterInvalid, d.ID)
		}
		seenID[d.ID] = true
		if d.Key.IsZero() {
			return fmt.Errorf("%w: device %q has no key", ErrRosterInvalid, d.ID)
		}
		// Compare the public keys, not the verifier strings: the same key
		// under another key name is still the same key.
		if seenKey[d.Key.publicKey()] {
			return fmt.Errorf("%w: device %q uses a key that another device already uses", ErrRosterInvalid, d.ID)
		}
		seenKey[d.Key.publicKey()] = true
	}
	if !r.Log.IsZero() && seenKey[r.Log.publicKey()] {
		return fmt.Errorf("%w: the log key is also a device's key; the server's log key must be its own", ErrRosterInvalid)
	}
	for _, m := range r.Custodians {
		if !m.Signer.IsZero() {
			return fmt.Errorf("%w: custodian %q has a signing key; only reviewers have one", ErrRosterInvalid, m.Label)
		}
	}
	// A reviewer's signer is a key of its own: a device, the log or another
	// reviewer holding the same key could sign annotations in their name.
	seenSigner := map[string]string{}
	for _, m := range r.Reviewers {
		if m.Signer.IsZero() {
			continue
		}
		if r.format() == RosterV1 {
			return fmt.Errorf("%w: a format 1 roster cannot list signing keys (reviewer %q); upgrade it to format 2 first", ErrRosterInvalid, m.Label)
		}
		if want := ReviewerSignerName(m.Recipient); m.Signer.Note().Name() != want {
			return fmt.Errorf("%w: the signing key of reviewer %q is named %q, but the signing key of that reviewer's age key is named %q: is it another reviewer's?", ErrRosterInvalid, m.Label, m.Signer.Note().Name(), want)
		}
		pk := m.Signer.publicKey()
		switch {
		case seenKey[pk]:
			return fmt.Errorf("%w: the signing key of reviewer %q is also a device's key", ErrRosterInvalid, m.Label)
		case !r.Log.IsZero() && pk == r.Log.publicKey():
			return fmt.Errorf("%w: the signing key of reviewer %q is also the log key", ErrRosterInvalid, m.Label)
		case seenSigner[pk] != "":
			return fmt.Errorf("%w: reviewers %q and %q have the same signing key", ErrRosterInvalid, seenSigner[pk], m.Label)
		}
		seenSigner[pk] = m.Label
	}
	return nil
}

// Text returns the canonical text of the roster, which is what the admin
// signs. Members are sorted by label and devices by ID.
func (r *Roster) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\norg %s\nversion %d\n", r.format().header(), r.Org, r.Version)
	if !r.Log.IsZero() {
		fmt.Fprintf(&b, "log %s\n", r.Log)
	}
	for _, role := range []struct {
		name    string
		members []Member
	}{{"reviewer", r.Reviewers}, {"custodian", r.Custodians}} {
		ms := slices.Clone(role.members)
		slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.Label, b.Label) })
		for _, m := range ms {
			if role.name == "reviewer" && r.format() == RosterV2 {
				signer := noSigner
				if !m.Signer.IsZero() {
					signer = m.Signer.String()
				}
				fmt.Fprintf(&b, "%s %s %s %s\n", role.name, m.Recipient, signer, m.Label)
				continue
			}
			fmt.Fprintf(&b, "%s %s %s\n", role.name, m.Recipient, m.Label)
		}
	}
	ds := slices.Clone(r.Devices)
	slices.SortFunc(ds, func(a, b Device) int { return strings.Compare(a.ID, b.ID) })
	for _, d := range ds {
		fmt.Fprintf(&b, "device %s %s\n", d.ID, d.Key)
	}
	return b.String()
}

// Sign checks the roster and returns it as a note signed by admin.
func (r *Roster) Sign(admin *SigningKey) ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: r.Text()}, admin)
	if err != nil {
		return nil, fmt.Errorf("failed to sign roster: %w", err)
	}
	return signed, nil
}

// parseRosterText parses canonical roster text.
func parseRosterText(text string) (*Roster, error) {
	malformed := func(line int, format string, args ...any) error {
		return fmt.Errorf("%w: line %d: %s", ErrRosterMalformed, line, fmt.Sprintf(format, args...))
	}
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("%w: text does not end with a newline", ErrRosterMalformed)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	r := &Roster{}
	switch lines[0] {
	case RosterHeaderV1:
		r.Format = RosterV1
	case RosterHeaderV2:
		r.Format = RosterV2
	default:
		return nil, malformed(1, "expected %q or %q", RosterHeaderV2, RosterHeaderV1)
	}
	if len(lines) < 3 {
		return nil, fmt.Errorf("%w: too short", ErrRosterMalformed)
	}
	org, ok := strings.CutPrefix(lines[1], "org ")
	if !ok {
		return nil, malformed(2, "expected the organisation")
	}
	r.Org = org
	v, ok := strings.CutPrefix(lines[2], "version ")
	if !ok {
		return nil, malformed(3, "expected the version")
	}
	version, err := strconv.ParseUint(v, 10, 64)
	if err != nil || v != strconv.FormatUint(version, 10) {
		return nil, malformed(3, "version is not a number")
	}
	r.Version = version
	for i, line := range lines[3:] {
		n := i + 4
		kind, rest, _ := strings.Cut(line, " ")
		switch kind {
		case "log":
			if !r.Log.IsZero() {
				return nil, malformed(n, "the log key is listed twice")
			}
			v, err := ParseVerifier(rest)
			if err != nil {
				return nil, malformed(n, "log key: %v", err)
			}
			r.Log = v
		case "reviewer", "custodian":
			rec, label, ok := strings.Cut(rest, " ")
			if !ok {
				return nil, malformed(n, "expected %s RECIPIENT LABEL", kind)
			}
			recipient, err := ParseRecipient(rec)
			if err != nil {
				return nil, malformed(n, "%v", err)
			}
			m := Member{Label: label, Recipient: recipient}
			if kind == "reviewer" && r.Format == RosterV2 {
				signer, label, ok := strings.Cut(label, " ")
				if !ok {
					return nil, malformed(n, "expected reviewer RECIPIENT SIGNER LABEL")
				}
				m.Label = label
				if signer != noSigner {
					if m.Signer, err = ParseVerifier(signer); err != nil {
						return nil, malformed(n, "signing key of reviewer %q: %v", label, err)
					}
				}
			}
			if kind == "reviewer" {
				r.Reviewers = append(r.Reviewers, m)
			} else {
				r.Custodians = append(r.Custodians, m)
			}
		case "device":
			id, key, ok := strings.Cut(rest, " ")
			if !ok {
				return nil, malformed(n, "expected device ID KEY")
			}
			v, err := ParseVerifier(key)
			if err != nil {
				return nil, malformed(n, "device %q: %v", id, err)
			}
			r.Devices = append(r.Devices, Device{ID: id, Key: v})
		default:
			return nil, malformed(n, "unknown entry %q", kind)
		}
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	if r.Text() != text {
		return nil, fmt.Errorf("%w: not in canonical form (entries out of order or extra spaces)", ErrRosterMalformed)
	}
	return r, nil
}

// VerifyRoster checks that signed is a roster signed by admin and follows the
// roster rules. If previous is not nil (the roster pinned earlier), signed
// must be for the same organisation and have a strictly higher version.
func VerifyRoster(signed []byte, admin Verifier, previous *Roster) (*Roster, error) {
	if len(signed) > MaxRosterSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrRosterMalformed, MaxRosterSize)
	}
	if admin.IsZero() {
		return nil, errors.New("no admin key to verify the roster with")
	}
	n, err := note.Open(signed, note.VerifierList(admin.v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		names := []string{}
		for _, s := range unverified.Note.UnverifiedSigs {
			names = append(names, strconv.Quote(s.Name))
		}
		return nil, fmt.Errorf("%w (it is signed by %s; the pinned admin key is %q)", ErrRosterOtherSigner, strings.Join(names, ", "), admin.v.Name())
	case errors.As(err, &invalid):
		return nil, ErrRosterBadSignature
	case err != nil:
		if looksUnsigned(signed) {
			return nil, fmt.Errorf("%w: sign it with `testimony roster` commands and the admin key", ErrRosterUnsigned)
		}
		return nil, fmt.Errorf("%w: not a signed note", ErrRosterMalformed)
	}
	r, err := parseRosterText(n.Text)
	if err != nil {
		return nil, err
	}
	if previous != nil {
		if r.Org != previous.Org {
			return nil, fmt.Errorf("%w: roster is for %q, but the pinned roster is for %q", ErrRosterInvalid, r.Org, previous.Org)
		}
		if r.Version <= previous.Version {
			return nil, fmt.Errorf("%w: version %d is not above the pinned version %d", ErrRosterRollback, r.Version, previous.Version)
		}
	}
	return r, nil
}

// CheckNotOlder checks a verified roster r against the roster pinned
// earlier: r must be for the same organisation and either newer, or the
// pinned roster itself. The same version with other contents is a fork:
// someone holding the admin key signed two rosters as one version.
func CheckNotOlder(r, pinned *Roster) error {
	switch {
	case r.Org != pinned.Org:
		return fmt.Errorf("%w: roster is for %q, but the pinned roster is for %q", ErrRosterInvalid, r.Org, pinned.Org)
	case r.Version < pinned.Version:
		return fmt.Errorf("%w: version %d is older than the pinned version %d", ErrRosterRollback, r.Version, pinned.Version)
	case r.Version == pinned.Version && r.Text() != pinned.Text():
		return fmt.Errorf("%w: version %d differs from the pinned roster of the same version (a fork)", ErrRosterInvalid, r.Version)
	}
	return nil
}

// looksUnsigned reports whether b is roster text with no signature line.
func looksUnsigned(b []byte) bool {
	return (bytes.HasPrefix(b, []byte(RosterHeaderV1+"\n")) || bytes.HasPrefix(b, []byte(RosterHeaderV2+"\n"))) &&
		!bytes.Contains(b, []byte("\n\u2014 "))
}

// ReadUnverifiedRoster parses the roster in signed without checking any
// signature. Use it only to show a roster to a person, saying that it is not
// verified.
func ReadUnverifiedRoster(signed []byte) (*Roster, error) {
	if len(signed) > MaxRosterSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrRosterMalformed, MaxRosterSize)
	}
	text := signed
	if i := bytes.LastIndex(signed, []byte("\n\n")); i >= 0 {
		text = signed[:i+1]
	}
	return parseRosterText(string(text))
}

// Role is a role in the roster that holds an age key.
type Role int

const (
	// Reviewer can open sealed testimony.
	Reviewer Role = iota + 1
	// Custodian can open re-identification records.
	Custodian
)

func (role Role) String() string {
	if role == Custodian {
		return "custodian"
	}
	return "reviewer"
}

func (r *Roster) members(role Role) *[]Member {
	if role == Custodian {
		return &r.Custodians
	}
	return &r.Reviewers
}

// Add adds a member with role. It fails, leaving r unchanged, if the result
// would break a roster rule.
func (r *Roster) Add(role Role, label string, recipient Recipient) error {
	return r.try(func() { ms := r.members(role); *ms = append(*ms, Member{Label: label, Recipient: recipient}) })
}

// AddReviewer adds a reviewer with their signing key (which may be zero).
func (r *Roster) AddReviewer(label string, recipient Recipient, signer Verifier) error {
	if !signer.IsZero() && r.format() == RosterV1 {
		return errVersion1Signer
	}
	return r.try(func() {
		r.Reviewers = append(r.Reviewers, Member{Label: label, Recipient: recipient, Signer: signer})
	})
}

var errVersion1Signer = errors.New("a format 1 roster cannot list signing keys: upgrade it first (testimony roster upgrade)")

// SetSigner sets the signing key of the reviewer labelled label. The roster
// must be version 2.
func (r *Roster) SetSigner(label string, signer Verifier) error {
	if signer.IsZero() {
		return errors.New("no signing key given")
	}
	if r.format() == RosterV1 {
		return errVersion1Signer
	}
	i := slices.IndexFunc(r.Reviewers, func(m Member) bool { return m.Label == label })
	if i < 0 {
		return fmt.Errorf("the roster has no reviewer labelled %q", label)
	}
	if r.Reviewers[i].Signer.String() == signer.String() {
		return fmt.Errorf("reviewer %q already has this signing key", label)
	}
	return r.try(func() { r.Reviewers[i].Signer = signer })
}

// ErrRosterUpgraded: [Roster.Upgrade] was asked to upgrade a roster that is
// already in the current format.
var ErrRosterUpgraded = errors.New("the roster is already in format 2, with reviewer signing keys")

// Upgrade turns a version 1 roster into a version 2 roster with the same
// entries and no reviewer signing keys yet. It does not change r.Version:
// the caller raises it before signing, as for every change.
func (r *Roster) Upgrade() error {
	if r.format() != RosterV1 {
		return ErrRosterUpgraded
	}
	return r.try(func() { r.Format = RosterV2 })
}

// Remove removes the member with role whose label or recipient is who.
func (r *Roster) Remove(role Role, who string) error {
	ms := r.members(role)
	i := slices.IndexFunc(*ms, func(m Member) bool { return m.Label == who || m.Recipient.s == who })
	if i < 0 {
		return fmt.Errorf("the roster has no %s labelled %q or with that key", role, who)
	}
	*ms = slices.Delete(*ms, i, i+1)
	return nil
}

// AddDevice enrolls a device.
func (r *Roster) AddDevice(id string, key Verifier) error {
	return r.try(func() { r.Devices = append(r.Devices, Device{ID: id, Key: key}) })
}

// SetLog sets the server's log key.
func (r *Roster) SetLog(key Verifier) error {
	if key.IsZero() {
		return errors.New("no log key given")
	}
	return r.try(func() { r.Log = key })
}

// RemoveDevice removes the device id.
func (r *Roster) RemoveDevice(id string) error {
	i := slices.IndexFunc(r.Devices, func(d Device) bool { return d.ID == id })
	if i < 0 {
		return fmt.Errorf("the roster has no device %q", id)
	}
	r.Devices = slices.Delete(r.Devices, i, i+1)
	return nil
}

// try applies change and checks the result, undoing the change on failure.
func (r *Roster) try(change func()) error {
	saved := *r
	saved.Reviewers = slices.Clone(r.Reviewers) // SetSigner changes an element
	saved.Custodians = slices.Clone(r.Custodians)
	saved.Devices = slices.Clone(r.Devices)
	change()
	if err := r.check(); err != nil {
		*r = saved
		return err
	}
	return nil
}
