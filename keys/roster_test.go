package keys_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"testimony/keys"
)

const adminName = "admin.example"

// rosterFixture holds the keys the roster tests use.
type rosterFixture struct {
	admin, other *keys.SigningKey
	pin          keys.Verifier // the pinned admin verifier
	hybrid       []*keys.Identity
	classic      []*keys.Identity
	devices      []*keys.SigningKey
}

func newRosterFixture(t testing.TB) *rosterFixture {
	f := &rosterFixture{
		admin: mustSigningKey(t, adminName),
		// The other key has the admin's name: only the key hash tells
		// them apart.
		other: mustSigningKey(t, adminName),
	}
	f.pin = mustVerifier(t, f.admin)
	for range 3 {
		f.hybrid = append(f.hybrid, mustIdentity(t, keys.Hybrid))
		f.classic = append(f.classic, mustIdentity(t, keys.Classic))
		f.devices = append(f.devices, mustSigningKey(t, "device"))
	}
	return f
}

func (f *rosterFixture) ids(kind keys.Kind) []*keys.Identity {
	if kind == keys.Classic {
		return f.classic
	}
	return f.hybrid
}

// roster returns a valid version 1 roster: version 3, two reviewers, one
// custodian and two devices, with keys of kind. (roster2 is its version 2.)
func (f *rosterFixture) roster(t testing.TB, kind keys.Kind) *keys.Roster {
	t.Helper()
	r, err := keys.NewRoster("Example NGO")
	if err != nil {
		t.Fatal(err)
	}
	r.Format = keys.RosterV1
	r.Version = 3
	ids := f.ids(kind)
	// Added out of order: Text sorts them.
	for _, err := range []error{
		r.Add(keys.Reviewer, "reviewer 2", ids[1].Recipient()),
		r.Add(keys.Reviewer, "reviewer 1", ids[0].Recipient()),
		r.Add(keys.Custodian, "custodian 1", ids[2].Recipient()),
		r.AddDevice("laptop-02", mustVerifier(t, f.devices[1])),
		r.AddDevice("laptop-01", mustVerifier(t, f.devices[0])),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// rosterText returns roster text with the given entry lines, in the order given.
func rosterText(org string, version string, entries ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\norg %s\nversion %s\n", keys.RosterHeaderV1, org, version)
	for _, e := range entries {
		b.WriteString(e + "\n")
	}
	return b.String()
}

func (f *rosterFixture) reviewer(i int, kind keys.Kind, label string) string {
	return "reviewer " + f.ids(kind)[i].Recipient().String() + " " + label
}

func (f *rosterFixture) custodian(i int, kind keys.Kind, label string) string {
	return "custodian " + f.ids(kind)[i].Recipient().String() + " " + label
}

func (f *rosterFixture) device(i int, id string) string {
	return "device " + id + " " + f.devices[i].Verifier()
}

// signText signs text as a note with ks, bypassing every roster check.
func signText(t testing.TB, text string, ks ...note.Signer) []byte {
	t.Helper()
	signed, err := note.Sign(&note.Note{Text: text}, ks...)
	if err != nil {
		t.Fatalf("note.Sign: %v", err)
	}
	return signed
}

func mustSign(t testing.TB, r *keys.Roster, k *keys.SigningKey) []byte {
	t.Helper()
	signed, err := r.Sign(k)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return signed
}

// sameKeyOtherName returns the verifier of k's public key under another name.
func sameKeyOtherName(t testing.TB, k *keys.SigningKey, name string) string {
	t.Helper()
	_, rest, _ := strings.Cut(k.Verifier(), "+")
	_, key64, _ := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewEd25519VerifierKey(name, ed25519.PublicKey(key[1:]))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// bigRosterText returns canonical roster text with as many devices as fit
// in MaxRosterSize bytes once signed by a key named adminName, and the same
// with one more device.
var bigRosterText = sync.OnceValues(func() (under, over string) {
	// The signature block's length depends only on the signer's name.
	skey, _, err := note.GenerateKey(rand.Reader, adminName)
	if err != nil {
		panic(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	sample, err := note.Sign(&note.Note{Text: "x\n"}, signer)
	if err != nil {
		panic(err)
	}
	head := rosterText("Example NGO", "3")
	var lines []string
	size := len(head) + len(sample) - len("x\n")
	for i := 0; ; i++ {
		// Only the encoding matters here, not a usable key: a hash as the
		// public key is quick to make.
		pub := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		v, _ := note.NewEd25519VerifierKey("d", pub[:])
		line := fmt.Sprintf("device d%06d %s\n", i, v)
		if size+len(line) > keys.MaxRosterSize {
			under = head + strings.Join(lines, "")
			over = under + line
			return
		}
		size += len(line)
		lines = append(lines, line)
	}
})

// rosterView is a Roster with every key as its string, for comparisons.
type rosterView struct {
	Format     keys.RosterFormat
	Org        string
	Version    uint64
	Kind       keys.Kind
	Reviewers  []string
	Custodians []string
	Devices    []string
}

func viewOf(r *keys.Roster) rosterView {
	v := rosterView{Format: r.Format, Org: r.Org, Version: r.Version, Kind: r.Kind()}
	if v.Format == 0 {
		v.Format = keys.RosterV1 // as documented on Roster.Format
	}
	for _, m := range r.Reviewers {
		if m.Signer.IsZero() {
			v.Reviewers = append(v.Reviewers, m.Label+" "+m.Recipient.String())
		} else {
			v.Reviewers = append(v.Reviewers, m.Label+" "+m.Recipient.String()+" signer "+m.Signer.String())
		}
	}
	for _, m := range r.Custodians {
		v.Custodians = append(v.Custodians, m.Label+" "+m.Recipient.String())
	}
	for _, d := range r.Devices {
		v.Devices = append(v.Devices, d.ID+" "+d.Key.String())
	}
	return v
}

func TestVerifyRoster(t *testing.T) {
	f := newRosterFixture(t)
	H, C := keys.Hybrid, keys.Classic
	org := func(name string, version uint64) func(*testing.T) *keys.Roster {
		return func(t *testing.T) *keys.Roster {
			r, err := keys.NewRoster(name)
			if err != nil {
				t.Fatal(err)
			}
			r.Version = version
			return r
		}
	}

	for _, tc := range []struct {
		name     string
		signed   func(t *testing.T) []byte
		previous func(t *testing.T) *keys.Roster // the pinned roster, if any
		want     error                           // nil: VerifyRoster must succeed
	}{
		// Good rosters.
		{name: "hybrid", want: nil,
			signed: func(t *testing.T) []byte { return mustSign(t, f.roster(t, H), f.admin) }},
		{name: "classic", want: nil,
			signed: func(t *testing.T) []byte { return mustSign(t, f.roster(t, C), f.admin) }},
		{name: "no members or devices", want: nil,
			signed: func(t *testing.T) []byte { r, _ := keys.NewRoster("Example NGO"); return mustSign(t, r, f.admin) }},
		{name: "hand-built canonical text", want: nil,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "7", f.reviewer(0, H, "a"), f.reviewer(1, H, "b"), f.custodian(2, H, "a"), f.device(0, "x"), f.device(1, "y")), f.admin)
			}},
		{name: "label with spaces and Hangul", want: nil,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("북한인권 NGO", "1", f.reviewer(0, C, "검토자 1 (Seoul office)")), f.admin)
			}},
		{name: "also signed by another key", want: nil,
			signed: func(t *testing.T) []byte {
				return signText(t, f.roster(t, H).Text(), f.other, f.admin)
			}},

		// Signatures.
		{name: "unsigned text", want: keys.ErrRosterUnsigned,
			signed: func(t *testing.T) []byte { return []byte(f.roster(t, H).Text()) }},
		{name: "signed by another admin key with the same name", want: keys.ErrRosterOtherSigner,
			signed: func(t *testing.T) []byte { return mustSign(t, f.roster(t, H), f.other) }},
		{name: "signed by a device key", want: keys.ErrRosterOtherSigner,
			signed: func(t *testing.T) []byte { return mustSign(t, f.roster(t, H), f.devices[0]) }},
		{name: "one byte of the text changed after signing", want: keys.ErrRosterBadSignature,
			signed: func(t *testing.T) []byte {
				signed := mustSign(t, f.roster(t, H), f.admin)
				i := strings.Index(string(signed), "Example")
				signed[i] = 'e' // "example NGO": still a well-formed roster
				return signed
			}},
		{name: "version raised after signing", want: keys.ErrRosterBadSignature,
			signed: func(t *testing.T) []byte {
				return []byte(strings.Replace(string(mustSign(t, f.roster(t, H), f.admin)), "version 3", "version 4", 1))
			}},
		{name: "signature bytes changed", want: keys.ErrRosterBadSignature,
			signed: func(t *testing.T) []byte {
				signed := mustSign(t, f.roster(t, H), f.admin)
				i := len(signed) - 10 // inside the base64 signature
				if signed[i] == 'A' {
					signed[i] = 'B'
				} else {
					signed[i] = 'A'
				}
				return signed
			}},
		{name: "signature block removed", want: keys.ErrRosterUnsigned,
			signed: func(t *testing.T) []byte {
				signed := string(mustSign(t, f.roster(t, H), f.admin))
				return []byte(signed[:strings.Index(signed, "\n\n")+1])
			}},
		{name: "unsigned text with a trailing blank line", want: keys.ErrRosterUnsigned,
			signed: func(t *testing.T) []byte { return []byte(f.roster(t, H).Text() + "\n") }},
		{name: "signature line of another format", want: keys.ErrRosterUnsigned,
			signed: func(t *testing.T) []byte { return []byte(f.roster(t, H).Text() + "\n-- admin AAAA\n") }},
		{name: "signature line that is not base64", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return []byte(f.roster(t, H).Text() + "\n\u2014 admin.example not*base64\n")
			}},
		{name: "empty input", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte { return nil }},
		{name: "not a note", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte { return []byte("\x00\x01 binary garbage\xff") }},
		{name: "signed note that is not a roster", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte { return signText(t, "go.sum database tree\n1\nabc=\n", f.admin) }},

		// Roster rules.
		{name: "mixed hybrid and classic recipients", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.reviewer(0, H, "reviewer 1"), f.custodian(0, C, "custodian 1")), f.admin)
			}},
		{name: "mixed kinds among reviewers", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.reviewer(0, C, "reviewer 1"), f.reviewer(0, H, "reviewer 2")), f.admin)
			}},
		{name: "same recipient as reviewer and custodian", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.reviewer(0, H, "reviewer 1"), f.custodian(0, H, "custodian 1")), f.admin)
			}},
		{name: "same recipient twice as reviewer", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.reviewer(0, H, "reviewer 1"), f.reviewer(0, H, "reviewer 2")), f.admin)
			}},
		{name: "duplicate reviewer labels", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.reviewer(0, H, "reviewer 1"), f.reviewer(1, H, "reviewer 1")), f.admin)
			}},
		{name: "duplicate custodian labels", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.custodian(0, C, "c"), f.custodian(1, C, "c")), f.admin)
			}},
		{name: "same label as reviewer and custodian is allowed", want: nil,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.reviewer(0, H, "kim"), f.custodian(1, H, "kim")), f.admin)
			}},
		{name: "duplicate device IDs", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.device(0, "laptop-01"), f.device(1, "laptop-01")), f.admin)
			}},
		{name: "duplicate device keys", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.device(0, "laptop-01"), f.device(0, "laptop-02")), f.admin)
			}},
		{name: "duplicate device keys under other key names", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3",
					"device laptop-01 "+sameKeyOtherName(t, f.devices[0], "first"),
					"device laptop-02 "+sameKeyOtherName(t, f.devices[0], "second")), f.admin)
			}},
		{name: "invalid device ID", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.device(0, "../etc")), f.admin)
			}},
		{name: "version 0", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte { return signText(t, rosterText("Example NGO", "0"), f.admin) }},
		{name: "empty org", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte { return signText(t, rosterText("", "1"), f.admin) }},
		{name: "C1 control character in a label", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "1", f.reviewer(0, H, "a\u0085b")), f.admin)
			}},
		{name: "bidi override in a label", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "1", f.reviewer(0, H, "reviewer \u202e1")), f.admin)
			}},
		{name: "zero-width space in the org", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte { return signText(t, rosterText("Example\u200bNGO", "1"), f.admin) }},
		{name: "label longer than 64 bytes", want: keys.ErrRosterInvalid,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "1", f.reviewer(0, H, strings.Repeat("x", 65))), f.admin)
			}},

		// Form.
		{name: "reviewers out of order", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.reviewer(1, H, "reviewer 2"), f.reviewer(0, H, "reviewer 1")), f.admin)
			}},
		{name: "custodian before reviewer", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.custodian(1, H, "custodian 1"), f.reviewer(0, H, "reviewer 1")), f.admin)
			}},
		{name: "device before member", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.device(0, "a"), f.reviewer(0, H, "reviewer 1")), f.admin)
			}},
		{name: "devices out of order", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.device(0, "b"), f.device(1, "a")), f.admin)
			}},
		{name: "trailing space after the version", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte { return signText(t, rosterText("Example NGO", "3 "), f.admin) }},
		{name: "trailing space after a device key", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.device(0, "a")+" "), f.admin)
			}},
		{name: "trailing space after the header", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, strings.Replace(rosterText("Example NGO", "3"), keys.RosterHeaderV1, keys.RosterHeaderV1+" ", 1), f.admin)
			}},
		{name: "trailing space after a label", want: keys.ErrRosterInvalid, // the label itself is not valid
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", f.reviewer(0, H, "r ")), f.admin)
			}},
		{name: "two spaces before the recipient", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", strings.Replace(f.reviewer(0, H, "r"), " ", "  ", 1)), f.admin)
			}},
		{name: "blank line at the end", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte { return signText(t, rosterText("Example NGO", "3")+"\n", f.admin) }},
		{name: "unknown line kind", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", "admin "+f.other.Verifier()), f.admin)
			}},
		{name: "member without a label", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", "reviewer "+f.hybrid[0].Recipient().String()), f.admin)
			}},
		{name: "secret key instead of a recipient", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", "reviewer "+identitySecret(t, f.classic[0])+" oops"), f.admin)
			}},
		{name: "private key instead of a device verifier", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "3", "device a "+signingSecret(t, f.devices[0])), f.admin)
			}},
		{name: "wrong header", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, strings.Replace(rosterText("Example NGO", "3"), "v1", "v3", 1), f.admin)
			}},
		{name: "missing version line", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte { return signText(t, keys.RosterHeaderV1+"\norg Example NGO\n", f.admin) }},
		{name: "version with a leading zero", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte { return signText(t, rosterText("Example NGO", "03"), f.admin) }},
		{name: "negative version", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte { return signText(t, rosterText("Example NGO", "-1"), f.admin) }},
		{name: "version overflows uint64", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				return signText(t, rosterText("Example NGO", "18446744073709551616"), f.admin)
			}},
		{name: "largest roster under the size limit", want: nil,
			signed: func(t *testing.T) []byte {
				under, _ := bigRosterText()
				signed := signText(t, under, f.admin)
				if len(signed) > keys.MaxRosterSize {
					t.Fatalf("test roster is %d bytes, over the limit", len(signed))
				}
				return signed
			}},
		{name: "oversize", want: keys.ErrRosterMalformed,
			signed: func(t *testing.T) []byte {
				_, over := bigRosterText()
				signed := signText(t, over, f.admin)
				if len(signed) <= keys.MaxRosterSize {
					t.Fatalf("test roster is %d bytes, under the limit", len(signed))
				}
				return signed
			}},

		// Rollback and pinning. The roster is at version 3.
		{name: "previous with the same version", want: keys.ErrRosterRollback,
			signed:   func(t *testing.T) []byte { return mustSign(t, f.roster(t, H), f.admin) },
			previous: org("Example NGO", 3)},
		{name: "previous with a higher version", want: keys.ErrRosterRollback,
			signed:   func(t *testing.T) []byte { return mustSign(t, f.roster(t, H), f.admin) },
			previous: org("Example NGO", 4)},
		{name: "previous with a lower version", want: nil,
			signed:   func(t *testing.T) []byte { return mustSign(t, f.roster(t, H), f.admin) },
			previous: org("Example NGO", 2)},
		{name: "previous for another organisation", want: keys.ErrRosterInvalid,
			signed:   func(t *testing.T) []byte { return mustSign(t, f.roster(t, H), f.admin) },
			previous: org("Other NGO", 1)},
		{name: "previous, but signed by another key", want: keys.ErrRosterOtherSigner,
			signed:   func(t *testing.T) []byte { return mustSign(t, f.roster(t, H), f.other) },
			previous: org("Example NGO", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signed := tc.signed(t)
			var previous *keys.Roster
			if tc.previous != nil {
				previous = tc.previous(t)
			}
			r, err := keys.VerifyRoster(signed, f.pin, previous)
			if tc.want != nil {
				if r != nil || err == nil {
					t.Fatalf("VerifyRoster succeeded, want %v", tc.want)
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("VerifyRoster error = %v, want %v", err, tc.want)
				}
				if !errors.Is(err, keys.ErrRoster) {
					t.Fatalf("VerifyRoster error %v does not match ErrRoster", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyRoster: %v", err)
			}
			n, err := note.Open(signed, note.VerifierList(f.pin.Note()))
			if err != nil {
				t.Fatal(err)
			}
			if r.Text() != n.Text {
				t.Fatalf("Text() of the verified roster differs from the signed text:\n%s\nwant:\n%s", r.Text(), n.Text)
			}
			// The unverified reader agrees with the verified one.
			u, err := keys.ReadUnverifiedRoster(signed)
			if err != nil {
				t.Fatalf("ReadUnverifiedRoster of a verified roster: %v", err)
			}
			if !reflect.DeepEqual(viewOf(u), viewOf(r)) {
				t.Fatalf("ReadUnverifiedRoster = %+v, VerifyRoster = %+v", viewOf(u), viewOf(r))
			}
		})
	}
}

func TestVerifyRosterContents(t *testing.T) {
	f := newRosterFixture(t)
	for _, kind := range []keys.Kind{keys.Hybrid, keys.Classic} {
		built := f.roster(t, kind)
		got, err := keys.VerifyRoster(mustSign(t, built, f.admin), f.pin, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids := f.ids(kind)
		want := rosterView{
			Format:     keys.RosterV1,
			Org:        "Example NGO",
			Version:    3,
			Kind:       kind,
			Reviewers:  []string{"reviewer 1 " + ids[0].Recipient().String(), "reviewer 2 " + ids[1].Recipient().String()},
			Custodians: []string{"custodian 1 " + ids[2].Recipient().String()},
			Devices:    []string{"laptop-01 " + f.devices[0].Verifier(), "laptop-02 " + f.devices[1].Verifier()},
		}
		if !reflect.DeepEqual(viewOf(got), want) {
			t.Errorf("verified roster = %+v\nwant %+v", viewOf(got), want)
		}
		if got.Text() != built.Text() {
			t.Errorf("Text() changed through signing:\n%s\nwant:\n%s", got.Text(), built.Text())
		}
		v, ok := got.Device("laptop-02")
		if !ok || v.String() != f.devices[1].Verifier() {
			t.Errorf("Device(laptop-02) = %v, %v", v, ok)
		}
		if _, ok := got.Device("laptop-03"); ok {
			t.Error("Device(laptop-03) found")
		}
		// The recipients encrypt to the identities they came from.
		checkDecrypts(t, ids[0], got.Reviewers[0].Recipient.Age())
	}
}

func TestVerifyRosterNoAdminKey(t *testing.T) {
	f := newRosterFixture(t)
	signed := mustSign(t, f.roster(t, keys.Hybrid), f.admin)
	if r, err := keys.VerifyRoster(signed, keys.Verifier{}, nil); err == nil || r != nil {
		t.Fatal("VerifyRoster with a zero admin key succeeded")
	}
}

func TestRosterText(t *testing.T) {
	f := newRosterFixture(t)
	r := f.roster(t, keys.Classic)
	c := f.classic
	want := keys.RosterHeaderV1 + "\n" +
		"org Example NGO\n" +
		"version 3\n" +
		"reviewer " + c[0].Recipient().String() + " reviewer 1\n" +
		"reviewer " + c[1].Recipient().String() + " reviewer 2\n" +
		"custodian " + c[2].Recipient().String() + " custodian 1\n" +
		"device laptop-01 " + f.devices[0].Verifier() + "\n" +
		"device laptop-02 " + f.devices[1].Verifier() + "\n"
	if got := r.Text(); got != want {
		t.Fatalf("Text() =\n%s\nwant\n%s", got, want)
	}
	// Text sorts a copy: the roster's own order is kept.
	if r.Reviewers[0].Label != "reviewer 2" || r.Devices[0].ID != "laptop-02" {
		t.Errorf("Text() reordered the roster: %+v", viewOf(r))
	}
}

func TestNewRoster(t *testing.T) {
	r, err := keys.NewRoster("  Example NGO \n")
	if err != nil {
		t.Fatal(err)
	}
	if r.Org != "Example NGO" || r.Version != 1 || r.Kind() != 0 {
		t.Errorf("NewRoster = %+v", viewOf(r))
	}
	for _, org := range []string{"", "   ", "a\nb", "a\x00b", strings.Repeat("x", 129), "\xff"} {
		if _, err := keys.NewRoster(org); !errors.Is(err, keys.ErrRosterInvalid) {
			t.Errorf("NewRoster(%q) error = %v, want %v", org, err, keys.ErrRosterInvalid)
		}
	}
}

func TestRosterSignChecks(t *testing.T) {
	f := newRosterFixture(t)
	r := f.roster(t, keys.Hybrid)
	r.Version = 0
	if _, err := r.Sign(f.admin); !errors.Is(err, keys.ErrRosterInvalid) {
		t.Errorf("Sign(version 0) error = %v, want %v", err, keys.ErrRosterInvalid)
	}
	// Fields set directly, around Add, are checked at signing.
	r = f.roster(t, keys.Hybrid)
	r.Custodians = append(r.Custodians, keys.Member{Label: "c2", Recipient: f.classic[0].Recipient()})
	if _, err := r.Sign(f.admin); !errors.Is(err, keys.ErrRosterInvalid) {
		t.Errorf("Sign(mixed kinds) error = %v, want %v", err, keys.ErrRosterInvalid)
	}
}

func TestRosterAdd(t *testing.T) {
	f := newRosterFixture(t)
	H, C := keys.Hybrid, keys.Classic
	for _, tc := range []struct {
		name   string
		change func(r *keys.Roster) error
	}{
		{"classic reviewer in a hybrid roster", func(r *keys.Roster) error {
			return r.Add(keys.Reviewer, "reviewer 3", f.classic[0].Recipient())
		}},
		{"classic custodian in a hybrid roster", func(r *keys.Roster) error {
			return r.Add(keys.Custodian, "custodian 2", f.classic[0].Recipient())
		}},
		{"duplicate reviewer label", func(r *keys.Roster) error {
			return r.Add(keys.Reviewer, "reviewer 1", mustIdentity(t, H).Recipient())
		}},
		{"reviewer key again as custodian", func(r *keys.Roster) error {
			return r.Add(keys.Custodian, "custodian 2", f.hybrid[0].Recipient())
		}},
		{"custodian key again as reviewer", func(r *keys.Roster) error {
			return r.Add(keys.Reviewer, "reviewer 3", f.hybrid[2].Recipient())
		}},
		{"same key twice as reviewer", func(r *keys.Roster) error {
			return r.Add(keys.Reviewer, "reviewer 3", f.hybrid[1].Recipient())
		}},
		{"empty label", func(r *keys.Roster) error {
			return r.Add(keys.Reviewer, "", mustIdentity(t, H).Recipient())
		}},
		{"label with a newline", func(r *keys.Roster) error {
			return r.Add(keys.Reviewer, "a\nversion 99", mustIdentity(t, H).Recipient())
		}},
		{"label with a leading space", func(r *keys.Roster) error {
			return r.Add(keys.Reviewer, " a", mustIdentity(t, H).Recipient())
		}},
		{"zero recipient", func(r *keys.Roster) error {
			return r.Add(keys.Reviewer, "nobody", keys.Recipient{})
		}},
		{"duplicate device ID", func(r *keys.Roster) error {
			return r.AddDevice("laptop-01", mustVerifier(t, f.devices[2]))
		}},
		{"duplicate device key", func(r *keys.Roster) error {
			return r.AddDevice("laptop-03", mustVerifier(t, f.devices[0]))
		}},
		{"duplicate device key under another key name", func(r *keys.Roster) error {
			v, err := keys.ParseVerifier(sameKeyOtherName(t, f.devices[0], "renamed"))
			if err != nil {
				t.Fatal(err)
			}
			return r.AddDevice("laptop-03", v)
		}},
		{"invalid device ID", func(r *keys.Roster) error {
			return r.AddDevice("laptop 3", mustVerifier(t, f.devices[2]))
		}},
		{"device ID with a path", func(r *keys.Roster) error {
			return r.AddDevice("../../x", mustVerifier(t, f.devices[2]))
		}},
		{"device without a key", func(r *keys.Roster) error {
			return r.AddDevice("laptop-03", keys.Verifier{})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.roster(t, H)
			before, beforeView := r.Text(), viewOf(r)
			err := tc.change(r)
			if !errors.Is(err, keys.ErrRosterInvalid) {
				t.Fatalf("error = %v, want %v", err, keys.ErrRosterInvalid)
			}
			if r.Text() != before || !reflect.DeepEqual(viewOf(r), beforeView) {
				t.Fatalf("a refused change altered the roster:\n%s\nwas:\n%s", r.Text(), before)
			}
			if _, err := r.Sign(f.admin); err != nil {
				t.Fatalf("roster no longer signs after a refused change: %v", err)
			}
		})
	}

	// A zero Recipient is not a key, even as the first member.
	r, _ := keys.NewRoster("Example NGO")
	if err := r.Add(keys.Reviewer, "nobody", keys.Recipient{}); !errors.Is(err, keys.ErrRosterInvalid) {
		t.Errorf("Add(zero Recipient) to an empty roster: error = %v, want %v", err, keys.ErrRosterInvalid)
	}

	// The first member sets the kind, in either role.
	r, _ = keys.NewRoster("Example NGO")
	if err := r.Add(keys.Custodian, "c", f.classic[0].Recipient()); err != nil {
		t.Fatal(err)
	}
	if r.Kind() != C {
		t.Errorf("Kind() = %v, want %v", r.Kind(), C)
	}
	if err := r.Add(keys.Reviewer, "r", f.hybrid[0].Recipient()); !errors.Is(err, keys.ErrRosterInvalid) {
		t.Errorf("Add(hybrid reviewer to a classic roster) error = %v", err)
	}
	if err := r.Add(keys.Reviewer, "r", f.classic[1].Recipient()); err != nil {
		t.Errorf("Add(classic reviewer): %v", err)
	}
}

func TestRosterRemove(t *testing.T) {
	f := newRosterFixture(t)
	H := keys.Hybrid

	r := f.roster(t, H)
	if err := r.Remove(keys.Reviewer, "reviewer 1"); err != nil {
		t.Fatalf("Remove by label: %v", err)
	}
	if got := viewOf(r).Reviewers; len(got) != 1 || !strings.HasPrefix(got[0], "reviewer 2 ") {
		t.Fatalf("after removing reviewer 1: %q", got)
	}
	if err := r.Remove(keys.Reviewer, f.hybrid[1].Recipient().String()); err != nil {
		t.Fatalf("Remove by recipient: %v", err)
	}
	if len(r.Reviewers) != 0 {
		t.Fatalf("after removing reviewer 2 by key: %q", viewOf(r).Reviewers)
	}
	if len(r.Custodians) != 1 {
		t.Fatalf("Remove of reviewers changed the custodians: %q", viewOf(r).Custodians)
	}

	r = f.roster(t, H)
	before := r.Text()
	for _, tc := range []struct {
		role keys.Role
		who  string
	}{
		{keys.Reviewer, "reviewer 3"},
		{keys.Reviewer, ""},
		{keys.Reviewer, "custodian 1"},                     // a custodian's label, given as a reviewer
		{keys.Custodian, f.hybrid[0].Recipient().String()}, // a reviewer's key, given as a custodian
		{keys.Custodian, "reviewer 1"},
	} {
		if err := r.Remove(tc.role, tc.who); err == nil {
			t.Errorf("Remove(%v, %.20q) succeeded", tc.role, tc.who)
		}
	}
	if r.Text() != before {
		t.Fatalf("failed Remove calls changed the roster:\n%s", r.Text())
	}
	if err := r.Remove(keys.Custodian, "custodian 1"); err != nil || len(r.Custodians) != 0 {
		t.Fatalf("Remove(custodian 1) = %v, custodians %q", err, viewOf(r).Custodians)
	}

	r = f.roster(t, H)
	before = r.Text()
	if err := r.RemoveDevice("laptop-03"); err == nil {
		t.Error("RemoveDevice of an unknown ID succeeded")
	}
	if err := r.RemoveDevice(""); err == nil {
		t.Error("RemoveDevice(\"\") succeeded")
	}
	if r.Text() != before {
		t.Fatalf("failed RemoveDevice changed the roster:\n%s", r.Text())
	}
	if err := r.RemoveDevice("laptop-01"); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Device("laptop-01"); ok {
		t.Error("laptop-01 still enrolled after RemoveDevice")
	}
	if _, ok := r.Device("laptop-02"); !ok {
		t.Error("RemoveDevice(laptop-01) removed laptop-02")
	}
	// A removed device's key can be enrolled again under a new ID.
	if err := r.AddDevice("laptop-01b", mustVerifier(t, f.devices[0])); err != nil {
		t.Errorf("re-enrolling a removed key: %v", err)
	}
}

// TestRosterUpdateFlow is the admin's round: verify the pinned roster, change
// it, bump the version, sign, and the client accepts the new one and refuses
// the old one.
func TestRosterUpdateFlow(t *testing.T) {
	f := newRosterFixture(t)
	v1 := mustSign(t, f.roster(t, keys.Hybrid), f.admin)
	pinned, err := keys.VerifyRoster(v1, f.pin, nil)
	if err != nil {
		t.Fatal(err)
	}
	next, err := keys.VerifyRoster(v1, f.pin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := next.Remove(keys.Reviewer, "reviewer 2"); err != nil {
		t.Fatal(err)
	}
	next.Version++
	v2 := mustSign(t, next, f.admin)
	got, err := keys.VerifyRoster(v2, f.pin, pinned)
	if err != nil {
		t.Fatalf("the updated roster is refused: %v", err)
	}
	if got.Version != 4 || len(got.Reviewers) != 1 {
		t.Fatalf("updated roster = %+v", viewOf(got))
	}
	if _, err := keys.VerifyRoster(v1, f.pin, got); !errors.Is(err, keys.ErrRosterRollback) {
		t.Fatalf("replaying the old roster: error = %v, want %v", err, keys.ErrRosterRollback)
	}
}

func TestReadUnverifiedRoster(t *testing.T) {
	f := newRosterFixture(t)
	built := f.roster(t, keys.Hybrid)
	// Signed by anyone, or not at all: it parses the same.
	for _, in := range [][]byte{
		mustSign(t, built, f.admin),
		mustSign(t, built, f.other),
		[]byte(built.Text()),
	} {
		r, err := keys.ReadUnverifiedRoster(in)
		if err != nil {
			t.Fatalf("ReadUnverifiedRoster: %v", err)
		}
		if r.Text() != built.Text() || r.Org != built.Org || r.Version != built.Version {
			t.Fatalf("ReadUnverifiedRoster = %+v", viewOf(r))
		}
	}
	// It still applies every rule.
	for _, in := range []string{
		"",
		"garbage",
		rosterText("Example NGO", "0"),
		rosterText("Example NGO", "1", f.reviewer(0, keys.Hybrid, "a"), f.reviewer(0, keys.Classic, "b")),
		rosterText("Example NGO", "1", f.reviewer(1, keys.Hybrid, "b"), f.reviewer(0, keys.Hybrid, "a")),
		strings.Repeat("x", keys.MaxRosterSize+1),
	} {
		_, err := keys.ReadUnverifiedRoster([]byte(in))
		if !errors.Is(err, keys.ErrRoster) {
			t.Errorf("ReadUnverifiedRoster(%.30q) error = %v, want %v", in, err, keys.ErrRoster)
		}
	}
}

func TestRosterErrorsMatchErrRoster(t *testing.T) {
	for _, err := range []error{
		keys.ErrRosterUnsigned, keys.ErrRosterOtherSigner, keys.ErrRosterBadSignature,
		keys.ErrRosterMalformed, keys.ErrRosterInvalid, keys.ErrRosterRollback,
	} {
		if !errors.Is(err, keys.ErrRoster) {
			t.Errorf("%v does not match ErrRoster", err)
		}
		if !errors.Is(fmt.Errorf("wrapped: %w", err), keys.ErrRoster) {
			t.Errorf("wrapped %v does not match ErrRoster", err)
		}
	}
	if errors.Is(keys.ErrRosterInvalid, keys.ErrRosterMalformed) || errors.Is(keys.ErrRosterRollback, keys.ErrRosterInvalid) {
		t.Error("roster errors match each other")
	}
}

func TestCheckNotOlder(t *testing.T) {
	id, err := keys.GenerateIdentity(keys.Classic)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := keys.NewRoster("Example NGO")
	base.Version = 4
	same := *base
	newer := *base
	newer.Version = 5
	older := *base
	older.Version = 3
	fork := *base
	if err := fork.Add(keys.Reviewer, "reviewer 9", id.Recipient()); err != nil {
		t.Fatal(err)
	}
	other := *base
	other.Org = "Other NGO"
	for _, tc := range []struct {
		name string
		r    *keys.Roster
		want error
	}{
		{"same roster", &same, nil},
		{"newer", &newer, nil},
		{"older", &older, keys.ErrRosterRollback},
		{"same version, other contents", &fork, keys.ErrRosterInvalid},
		{"other organisation", &other, keys.ErrRosterInvalid},
	} {
		err := keys.CheckNotOlder(tc.r, base)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestRosterLogKey: the server's log key is an optional line right after
// the version, listed once, never a device's key, and kept through signing.
func TestRosterLogKey(t *testing.T) {
	f := newRosterFixture(t)
	logKey := mustSigningKey(t, "testimony-log-0123456789abcdef")
	logLine := "log " + logKey.Verifier()

	r := f.roster(t, keys.Hybrid)
	v, err := keys.ParseVerifier(logKey.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetLog(v); err != nil {
		t.Fatal(err)
	}
	got, err := keys.VerifyRoster(mustSign(t, r, f.admin), f.pin, nil)
	if err != nil {
		t.Fatalf("VerifyRoster of a roster with a log key: %v", err)
	}
	if got.Log.String() != logKey.Verifier() {
		t.Errorf("Log = %q; want %q", got.Log, logKey.Verifier())
	}
	if !strings.Contains(got.Text(), "\nversion 3\n"+logLine+"\nreviewer ") {
		t.Errorf("the log line is not right after the version:\n%s", got.Text())
	}
	if err := r.SetLog(keys.Verifier{}); err == nil {
		t.Error("SetLog accepted no key")
	}
	dev, _ := keys.ParseVerifier(f.devices[0].Verifier())
	if err := r.SetLog(dev); !errors.Is(err, keys.ErrRosterInvalid) || r.Log.String() != logKey.Verifier() {
		t.Errorf("SetLog with a device's key: %v, log now %q; want ErrRosterInvalid and no change", err, r.Log)
	}

	for _, tc := range []struct {
		name string
		text string
		want error
	}{
		// The line belongs right after the version.
		{"after a reviewer", rosterText("Example NGO", "1", f.reviewer(0, keys.Hybrid, "a"), logLine), keys.ErrRosterMalformed},
		{"listed twice", rosterText("Example NGO", "1", logLine, logLine), keys.ErrRosterMalformed},
		{"not a verifier key", rosterText("Example NGO", "1", "log not-a-key"), keys.ErrRosterMalformed},
		{"a private key", rosterText("Example NGO", "1", "log PRIVATE+KEY+x+1+AAAA"), keys.ErrRosterMalformed},
		{"a device's key", rosterText("Example NGO", "1", "log "+f.devices[0].Verifier(), f.device(0, "laptop-01")), keys.ErrRosterInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keys.VerifyRoster(signText(t, tc.text, f.admin), f.pin, nil)
			if !errors.Is(err, tc.want) {
				t.Errorf("VerifyRoster = %v; want %v", err, tc.want)
			}
		})
	}
}

// roster2 returns f.roster upgraded to version 2, with reviewer 1's signing
// key listed and reviewer 2's not.
func (f *rosterFixture) roster2(t testing.TB, kind keys.Kind) *keys.Roster {
	t.Helper()
	r := f.roster(t, kind)
	if err := r.Upgrade(); err != nil {
		t.Fatal(err)
	}
	if err := r.SetSigner("reviewer 1", f.signer(t, kind, 0)); err != nil {
		t.Fatal(err)
	}
	return r
}

// signer returns the reviewer signing key of f.ids(kind)[i].
func (f *rosterFixture) signer(t testing.TB, kind keys.Kind, i int) keys.Verifier {
	t.Helper()
	k, err := f.ids(kind)[i].ReviewerSigner()
	if err != nil {
		t.Fatal(err)
	}
	return mustVerifier(t, k)
}

func rosterText2(org string, version string, entries ...string) string {
	return strings.Replace(rosterText(org, version, entries...), keys.RosterHeaderV1, keys.RosterHeaderV2, 1)
}

// reviewer2 returns a version 2 reviewer line.
func (f *rosterFixture) reviewer2(i int, kind keys.Kind, signer, label string) string {
	return "reviewer " + f.ids(kind)[i].Recipient().String() + " " + signer + " " + label
}

// TestReviewerSigner: the signing key derived from an identity is the same
// every time, named after the identity's recipient, its own per identity,
// and it signs notes that its verifier accepts.
func TestReviewerSigner(t *testing.T) {
	for _, kind := range []keys.Kind{keys.Hybrid, keys.Classic} {
		id := mustIdentity(t, kind)
		k1, err := id.ReviewerSigner()
		if err != nil {
			t.Fatal(err)
		}
		// The same identity, written and read back, gives the same key.
		path := filepath.Join(t.TempDir(), "id.key")
		if err := keys.WriteIdentityFile(path, id, nil); err != nil {
			t.Fatal(err)
		}
		again, err := keys.LoadIdentity(path, keys.Unlock{})
		if err != nil {
			t.Fatal(err)
		}
		k2, err := again.ReviewerSigner()
		if err != nil {
			t.Fatal(err)
		}
		if k1.Verifier() != k2.Verifier() {
			t.Errorf("%v: two derivations differ: %s, %s", kind, k1.Verifier(), k2.Verifier())
		}
		if want := "reviewer-" + id.Recipient().Fingerprint()[:16]; k1.Name() != want || keys.ReviewerSignerName(id.Recipient()) != want {
			t.Errorf("%v: signer named %q, want %q", kind, k1.Name(), want)
		}
		other, _ := mustIdentity(t, kind).ReviewerSigner()
		if other.Verifier() == k1.Verifier() {
			t.Errorf("%v: two identities give the same signing key", kind)
		}
		signed, err := note.Sign(&note.Note{Text: "hello\n"}, k1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := note.Open(signed, note.VerifierList(mustVerifier(t, k1).Note())); err != nil {
			t.Errorf("%v: the verifier does not accept the key's signature: %v", kind, err)
		}
		if s := fmt.Sprintf("%v %+v %#v %s", k1, k1, k1, k1); strings.Contains(s, "PRIVATE") {
			t.Errorf("the derived key prints: %s", s)
		}
	}
}

// TestRosterV2: version 2 rosters list each reviewer's signing key or "-",
// keep them through signing, and refuse a signing key that is not the
// reviewer's own (attacks: a device, the log or another reviewer able to sign
// annotations as a reviewer).
func TestRosterV2(t *testing.T) {
	f := newRosterFixture(t)
	H := keys.Hybrid
	r := f.roster2(t, H)
	got, err := keys.VerifyRoster(mustSign(t, r, f.admin), f.pin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Format != keys.RosterV2 || got.Text() != r.Text() {
		t.Fatalf("v2 round trip: format %d\n%s\nwant\n%s", got.Format, got.Text(), r.Text())
	}
	want := rosterText2("Example NGO", "3",
		f.reviewer2(0, H, f.signer(t, H, 0).String(), "reviewer 1"),
		f.reviewer2(1, H, "-", "reviewer 2"),
		f.custodian(2, H, "custodian 1"),
		f.device(0, "laptop-01"), f.device(1, "laptop-02"))
	if got.Text() != want {
		t.Fatalf("Text() =\n%s\nwant\n%s", got.Text(), want)
	}
	if got.Reviewers[0].Signer.String() != f.signer(t, H, 0).String() || !got.Reviewers[1].Signer.IsZero() {
		t.Errorf("signers not kept: %q, %q", got.Reviewers[0].Signer, got.Reviewers[1].Signer)
	}
	if n, _ := keys.NewRoster("o"); n.Format != keys.RosterV2 || !strings.HasPrefix(n.Text(), keys.RosterHeaderV2+"\n") {
		t.Errorf("NewRoster makes format %d", n.Format)
	}

	s0, s1 := f.signer(t, H, 0), f.signer(t, H, 1)
	name0 := keys.ReviewerSignerName(f.hybrid[0].Recipient())
	logKey := mustSigningKey(t, "testimony-log")
	for _, tc := range []struct {
		name string
		text string
		want error
	}{
		{"signer is a device's key", rosterText2("o", "1", f.reviewer2(0, H, sameKeyOtherName(t, f.devices[0], name0), "a"), f.device(0, "d")), keys.ErrRosterInvalid},
		{"signer is the log key", rosterText2("o", "1", "log "+logKey.Verifier(), f.reviewer2(0, H, sameKeyOtherName(t, logKey, name0), "a")), keys.ErrRosterInvalid},
		{"signer is another reviewer's", rosterText2("o", "1", f.reviewer2(0, H, s0.String(), "a"), f.reviewer2(1, H, s0.String(), "b")), keys.ErrRosterInvalid},
		{"signer is another reviewer's key under this one's name", rosterText2("o", "1", f.reviewer2(0, H, s0.String(), "a"), f.reviewer2(1, H, sameKeyOtherName(t, mustKeyOf(t, f.hybrid[0]), keys.ReviewerSignerName(f.hybrid[1].Recipient())), "b")), keys.ErrRosterInvalid},
		{"signer named for another reviewer", rosterText2("o", "1", f.reviewer2(0, H, s1.String(), "a")), keys.ErrRosterInvalid},
		{"no signer field", rosterText2("o", "1", f.reviewer(0, H, "a")), keys.ErrRosterMalformed},
		{"label taken for the signer", rosterText2("o", "1", f.reviewer(0, H, "reviewer 1")), keys.ErrRosterMalformed},
		{"private key as the signer", rosterText2("o", "1", f.reviewer2(0, H, signingSecret(t, mustKeyOf(t, f.hybrid[0])), "a")), keys.ErrRosterMalformed},
		{"two spaces before the label", rosterText2("o", "1", f.reviewer2(0, H, "-", " a")), keys.ErrRosterInvalid},
		{"signer lines in a v1 roster", rosterText("o", "1", f.reviewer2(0, H, s0.String(), "a")), keys.ErrRosterInvalid},
		{"unknown format", strings.Replace(rosterText2("o", "1"), "v2", "v3", 1), keys.ErrRosterMalformed},
		{"valid: no signers", rosterText2("o", "1", f.reviewer2(0, H, "-", "a"), f.reviewer2(1, H, "-", "b")), nil},
		{"valid: signers", rosterText2("o", "1", f.reviewer2(0, H, s0.String(), "a"), f.reviewer2(1, H, s1.String(), "b c")), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := keys.VerifyRoster(signText(t, tc.text, f.admin), f.pin, nil)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("VerifyRoster = %v; want %v", err, tc.want)
			}
			if err == nil && r.Text() != tc.text {
				t.Errorf("Text() =\n%s\nwant\n%s", r.Text(), tc.text)
			}
		})
	}

	// The same rules when the roster is changed through its methods.
	r = f.roster2(t, H)
	before := r.Text()
	for _, tc := range []struct {
		name   string
		change func() error
	}{
		{"a device's key", func() error {
			v, err := keys.ParseVerifier(sameKeyOtherName(t, f.devices[0], keys.ReviewerSignerName(f.hybrid[1].Recipient())))
			if err != nil {
				t.Fatal(err)
			}
			return r.SetSigner("reviewer 2", v)
		}},
		{"reviewer 1's signer for reviewer 2", func() error { return r.SetSigner("reviewer 2", s0) }},
		{"the same signer again", func() error { return r.SetSigner("reviewer 1", s0) }},
		{"no such reviewer", func() error { return r.SetSigner("reviewer 9", s1) }},
		{"custodian with a signer", func() error {
			return r.AddReviewer("custodian 1", f.hybrid[2].Recipient(), s1)
		}},
		{"upgrade twice", func() error { return r.Upgrade() }},
	} {
		if err := tc.change(); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
		if r.Text() != before {
			t.Errorf("%s: the roster changed on a refused change", tc.name)
		}
	}
	if err := r.SetSigner("reviewer 2", s1); err != nil {
		t.Errorf("SetSigner with reviewer 2's own key: %v", err)
	}
	v1 := f.roster(t, H)
	if err := v1.SetSigner("reviewer 1", s0); err == nil {
		t.Error("SetSigner on a version 1 roster was accepted")
	}
	if err := v1.AddReviewer("reviewer 3", f.hybrid[2].Recipient(), s0); err == nil {
		t.Error("AddReviewer with a signer on a version 1 roster was accepted")
	}
}

func mustKeyOf(t testing.TB, id *keys.Identity) *keys.SigningKey {
	t.Helper()
	k, err := id.ReviewerSigner()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
