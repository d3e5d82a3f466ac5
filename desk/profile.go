package desk

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"testimony/internal/client"
	"testimony/internal/durable"
	"testimony/internal/envelope"
	"testimony/keys"
)

// ProfileFormat is the format of profile.json.
const ProfileFormat = "testimony-desk-profile-v1"

// Roles a desk serves: one person, one role.
const (
	Interviewer = "interviewer"
	Reviewer    = "reviewer"
	Custodian   = "custodian"
)

// Profile is the public part of a desk's home directory: who uses it and
// which server it talks to. The secrets beside it are passphrase-protected
// files:
//
//	profile.json    this
//	admin.pub       the pinned admin key
//	roster.txt      the newest verified roster (replaced only by a newer one)
//	token.age       the server token (keys.WriteSecretFile)
//	device.key      interviewer: the laptop's signing key
//	pseudonym.key   interviewer: the organisation's pseudonym key
//	drafts.key      interviewer: the key drafts are encrypted to
//	identity.key    reviewer, custodian: the age identity
type Profile struct {
	Format string `json:"format"`
	Role   string `json:"role"`
	// Label names the person or laptop, like "reviewer 1".
	Label  string `json:"label"`
	Server string `json:"server"`
	// Proxy is the SOCKS5 proxy the desk reaches the server through, like
	// socks5h://127.0.0.1:9050 for Tor; if empty, the one the environment
	// names (ALL_PROXY), if any. Once set, the desk never connects to the
	// server without it.
	Proxy string `json:"proxy,omitempty"`
	// Device is the interviewer laptop's device ID in the roster.
	Device string `json:"device,omitempty"`
	// Drafts is the age recipient drafts are encrypted to.
	Drafts string `json:"drafts,omitempty"`
}

// Setup is what a new profile is made from.
type Setup struct {
	Role, Label, Server, Device string
	// Proxy is the SOCKS5 proxy to keep in the profile (see
	// [Profile.Proxy]); "" for none.
	Proxy string
	// AdminPub is the admin's verifier key, pinned from now on.
	AdminPub string
	// Roster is a signed roster, verified against AdminPub.
	Roster []byte
	// Token is the person's server token.
	Token string
	// Passphrase protects every secret of the profile.
	Passphrase keys.Passphrase
	// Identity is a reviewer's or custodian's identity.
	Identity *keys.Identity
	// DeviceKey and PseudonymKey are an interviewer's.
	DeviceKey    *keys.SigningKey
	PseudonymKey *keys.PseudonymKey
}

// Create makes a new profile in the directory home, which must not hold
// one. Every secret is written protected by s.Passphrase.
func Create(home string, s Setup) error {
	if _, err := os.Stat(filepath.Join(home, "profile.json")); err == nil {
		return fmt.Errorf("%s already holds a desk profile", home)
	}
	admin, err := keys.ParseVerifier(s.AdminPub)
	if err != nil {
		return fmt.Errorf("the admin key: %w", err)
	}
	roster, err := keys.VerifyRoster(s.Roster, admin, nil)
	if err != nil {
		return err
	}
	if s.Proxy != "" {
		if _, err := client.ParseProxy(s.Proxy); err != nil {
			return err
		}
	}
	p := Profile{Format: ProfileFormat, Role: s.Role, Label: s.Label, Server: s.Server, Proxy: s.Proxy}
	switch s.Role {
	case Interviewer:
		if s.DeviceKey == nil || s.PseudonymKey == nil || s.Device == "" {
			return errors.New("an interviewer's profile needs the device key, its ID and the pseudonym key")
		}
		if v, ok := roster.Device(s.Device); !ok || v.String() != s.DeviceKey.Verifier() {
			return fmt.Errorf("the roster does not enroll device %q with this key: ask the admin to add it", s.Device)
		}
		p.Device = s.Device
	case Reviewer, Custodian:
		if s.Identity == nil {
			return fmt.Errorf("a %s's profile needs their identity", s.Role)
		}
		members := roster.Reviewers
		if s.Role == Custodian {
			members = roster.Custodians
		}
		if !slices.ContainsFunc(members, func(m keys.Member) bool { return m.Recipient.String() == s.Identity.Recipient().String() }) {
			return fmt.Errorf("this identity is not in the roster (version %d) as a %s: ask the admin to add its public key", roster.Version, s.Role)
		}
	default:
		return fmt.Errorf("unknown role %q", s.Role)
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", home, err)
	}
	path := func(n string) string { return filepath.Join(home, n) }
	if err := keys.WriteSecretFile(path("token.age"), s.Token, s.Passphrase); err != nil {
		return err
	}
	switch s.Role {
	case Interviewer:
		if err := keys.WriteSigningKeyFile(path("device.key"), s.DeviceKey, &s.Passphrase); err != nil {
			return err
		}
		if err := keys.WritePseudonymKeyFile(path("pseudonym.key"), s.PseudonymKey, &s.Passphrase); err != nil {
			return err
		}
		drafts, err := keys.GenerateIdentity(keys.Hybrid)
		if err != nil {
			return err
		}
		if err := keys.WriteIdentityFile(path("drafts.key"), drafts, &s.Passphrase); err != nil {
			return err
		}
		p.Drafts = drafts.Recipient().String()
	default:
		if err := keys.WriteIdentityFile(path("identity.key"), s.Identity, &s.Passphrase); err != nil {
			return err
		}
	}
	if err := durable.WriteNew(path("admin.pub"), []byte(admin.String()+"\n"), 0o644); err != nil {
		return err
	}
	if err := durable.WriteNew(path("roster.txt"), s.Roster, 0o644); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(p, "", "  ")
	// profile.json comes last: a directory without it is not a profile,
	// so a setup cut short can be removed and run again. It is the
	// person's own (the proxy URL may hold a password).
	return durable.WriteNew(path("profile.json"), append(b, '\n'), 0o600)
}

// ErrNoProfile is returned (wrapped) for a home without a profile.
var ErrNoProfile = errors.New("no desk profile")

// loadProfile reads the public part of a profile.
func loadProfile(home string) (*Profile, keys.Verifier, *keys.Roster, error) {
	b, err := os.ReadFile(filepath.Join(home, "profile.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, keys.Verifier{}, nil, fmt.Errorf("%s holds no desk profile (profile.json); the desk's setup page, or 'testimony quickstart' for a demo, makes one: %w", home, ErrNoProfile)
		}
		return nil, keys.Verifier{}, nil, err
	}
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil || p.Format != ProfileFormat {
		return nil, keys.Verifier{}, nil, fmt.Errorf("%s/profile.json is not a desk profile", home)
	}
	switch p.Role {
	case Interviewer, Reviewer, Custodian:
	default:
		return nil, keys.Verifier{}, nil, fmt.Errorf("%s/profile.json: unknown role %q", home, p.Role)
	}
	if p.Proxy != "" {
		if _, err := client.ParseProxy(p.Proxy); err != nil {
			return nil, keys.Verifier{}, nil, fmt.Errorf("%s/profile.json: %w", home, err)
		}
	}
	pub, err := os.ReadFile(filepath.Join(home, "admin.pub"))
	if err != nil {
		return nil, keys.Verifier{}, nil, err
	}
	admin, err := keys.ParseVerifier(string(trimSpace(pub)))
	if err != nil {
		return nil, keys.Verifier{}, nil, fmt.Errorf("%s/admin.pub: %w", home, err)
	}
	signed, err := os.ReadFile(filepath.Join(home, "roster.txt"))
	if err != nil {
		return nil, keys.Verifier{}, nil, err
	}
	roster, err := keys.VerifyRoster(signed, admin, nil)
	if err != nil {
		return nil, keys.Verifier{}, nil, fmt.Errorf("%s/roster.txt: %w", home, err)
	}
	return &p, admin, roster, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// SetServer changes the server address of the profile in home.
func SetServer(home, serverURL string) error {
	p, _, _, err := loadProfile(home)
	if err != nil {
		return err
	}
	if p.Server == serverURL {
		return nil
	}
	p.Server = serverURL
	b, _ := json.MarshalIndent(p, "", "  ")
	return durable.Replace(filepath.Join(home, "profile.json"), append(b, '\n'), 0o600)
}

// Sample is a draft to leave on an interviewer's desk, such as the demo's
// sample interview.
type Sample struct {
	Day, Language, Note string
	// People are rows of the people table: spellings separated by commas,
	// sex ("m", "f" or ""), role ("interviewee", "relative", …).
	People [][3]string
	// Places are rows of the places table: spellings, province.
	Places [][2]string
}

// AddDraft leaves s as a new draft on the interviewer's desk in home,
// encrypted like every draft.
func AddDraft(home string, s Sample) error {
	p, _, _, err := loadProfile(home)
	if err != nil {
		return err
	}
	if p.Role != Interviewer {
		return errors.New("only an interviewer's desk has drafts")
	}
	dr := &draft{ID: envelope.NewID(), Day: s.Day, Language: s.Language, Note: s.Note}
	for _, r := range s.People {
		dr.People = append(dr.People, personRow{Names: r[0], Sex: r[1], Role: r[2]})
	}
	for _, r := range s.Places {
		dr.Places = append(dr.Places, placeRow{Names: r[0], Province: r[1]})
	}
	d := &Desk{cfg: Config{Home: home}, profile: p}
	return d.saveDraft(dr)
}
