package desk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"testimony/internal/client"
	"testimony/keys"
)

// InvitationFormat is the format of a desk invitation file.
const InvitationFormat = "testimony-desk-invitation-v1"

// MaxInvitationSize bounds an invitation file: a roster (at most
// [keys.MaxRosterSize]) and a few short fields.
const MaxInvitationSize = keys.MaxRosterSize + 64<<10

// Invitation is the file an admin hands a person, on a USB stick or in
// person, to set up their desk ('testimony invite' writes it). It holds
// what the person must not take from the server alone: the admin key to
// pin (and the roster it signed), and for an interviewer's laptop the
// organisation's pseudonym key, encrypted with the person's one-time
// enrollment code. The code itself is not in the file: it comes another
// way (on paper, read over the phone), so a lost stick neither enrolls a
// desk nor gives away the pseudonym key. The server sees the code when it
// is redeemed, but never the file.
type Invitation struct {
	Format string `json:"format"`
	Org    string `json:"org"`
	Role   string `json:"role"`
	// Label is what the admin calls the person or laptop, for the page.
	Label  string `json:"label,omitempty"`
	Device string `json:"device,omitempty"` // an interviewer laptop's device ID
	Server string `json:"server"`
	// Proxy, if set, is kept in the profile (see [Profile.Proxy]).
	Proxy    string `json:"proxy,omitempty"`
	AdminPub string `json:"admin_pub"`
	Roster   string `json:"roster"` // signed by AdminPub
	// PseudonymKey is an interviewer's: a pseudonym key file encrypted
	// with the enrollment code (see [CodePassphrase]).
	PseudonymKey string `json:"pseudonym_key,omitempty"`
}

// CodePassphrase returns the passphrase an invitation's pseudonym key is
// encrypted with: the enrollment code as the server reads it (letters and
// digits, upper case, without dashes or spaces). It fails for a text that
// is not a code.
func CodePassphrase(code string) (keys.Passphrase, error) {
	c := normalizeCode(code)
	if len(c) != 20 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return keys.Passphrase{}, errBadCodeForm
	}
	return keys.NewPassphrase(c)
}

var errBadCodeForm = errors.New("an enrollment code is four groups of five letters and digits, like ABCDE-FGHIJ-KLMNO-PQRST")

func normalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, strings.TrimSpace(code))
}

// NewInvitation returns an invitation file for a person with role, whose
// code is code, to the server at serverURL, pinning admin and the roster
// it signed. An interviewer's (device names the laptop) carries pkey,
// encrypted with the code.
func NewInvitation(role, label, device, serverURL, proxy string, admin keys.Verifier, roster []byte, pkey *keys.PseudonymKey, code string) ([]byte, error) {
	r, err := keys.VerifyRoster(roster, admin, nil)
	if err != nil {
		return nil, err
	}
	inv := Invitation{Format: InvitationFormat, Org: r.Org, Role: role, Label: label, Device: device,
		Server: serverURL, Proxy: proxy, AdminPub: admin.String(), Roster: string(roster)}
	if role == Interviewer {
		if pkey == nil {
			return nil, errors.New("an interviewer's invitation needs the pseudonym key")
		}
		pass, err := CodePassphrase(code)
		if err != nil {
			return nil, err
		}
		b, err := keys.MarshalPseudonymKey(pkey, &pass)
		if err != nil {
			return nil, err
		}
		inv.PseudonymKey = string(b)
	}
	b, _ := json.MarshalIndent(inv, "", "  ")
	b = append(b, '\n')
	if _, _, _, err := ParseInvitation(b); err != nil {
		return nil, err
	}
	return b, nil
}

// ParseInvitation reads an invitation file and checks it: its fields, and
// the roster's signature by the admin key it names. It does not open the
// pseudonym key (that needs the code: [Invitation.OpenPseudonymKey]).
func ParseInvitation(b []byte) (*Invitation, keys.Verifier, *keys.Roster, error) {
	bad := func(format string, args ...any) (*Invitation, keys.Verifier, *keys.Roster, error) {
		return nil, keys.Verifier{}, nil, fmt.Errorf("not a desk invitation: "+format, args...)
	}
	if len(b) > MaxInvitationSize {
		return bad("the file is larger than %d bytes", MaxInvitationSize)
	}
	var inv Invitation
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&inv); err != nil {
		return bad("the file is not an invitation's JSON")
	}
	if dec.More() {
		return bad("the file goes on after the invitation")
	}
	if inv.Format != InvitationFormat {
		return bad("the format is %q, not %q", inv.Format, InvitationFormat)
	}
	if err := client.CheckURL(inv.Server); err != nil {
		return bad("the server address: %v", err)
	}
	if inv.Proxy != "" {
		if _, err := client.ParseProxy(inv.Proxy); err != nil {
			return bad("the proxy: %v", err)
		}
	}
	admin, err := keys.ParseVerifier(inv.AdminPub)
	if err != nil {
		return bad("the admin key: %v", err)
	}
	r, err := keys.VerifyRoster([]byte(inv.Roster), admin, nil)
	if err != nil {
		return bad("the roster: %v", err)
	}
	if inv.Org != r.Org {
		return bad("the organisation %q is not the roster's (%q)", inv.Org, r.Org)
	}
	switch inv.Role {
	case Interviewer:
		if !keys.ValidDeviceID(inv.Device) || !keys.ValidKeyName(inv.Device) {
			return bad("an interviewer's invitation names the laptop's device ID")
		}
		if !strings.HasPrefix(strings.TrimSpace(inv.PseudonymKey), "-----BEGIN AGE ENCRYPTED FILE-----") {
			return bad("an interviewer's invitation carries the encrypted pseudonym key")
		}
	case Reviewer, Custodian:
		if inv.Device != "" || inv.PseudonymKey != "" {
			return bad("a %s's invitation names no device and carries no pseudonym key", inv.Role)
		}
	default:
		return bad("unknown role %q", inv.Role)
	}
	if len(inv.Label) > 64 {
		return bad("the label is longer than 64 characters")
	}
	return &inv, admin, r, nil
}

// OpenPseudonymKey decrypts an interviewer's pseudonym key with the
// enrollment code. A wrong code is [keys.ErrWrongPassphrase].
func (inv *Invitation) OpenPseudonymKey(code string) (*keys.PseudonymKey, error) {
	pass, err := CodePassphrase(code)
	if err != nil {
		return nil, err
	}
	return keys.ParsePseudonymKey("the invitation's pseudonym key", []byte(inv.PseudonymKey),
		keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) { return pass, nil }})
}
