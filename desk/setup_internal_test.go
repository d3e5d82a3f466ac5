package desk

import (
	"strings"
	"testing"

	"testimony/keys"
)

// TestPassphraseStrength: the levels the setup page gives, and why.
func TestPassphraseStrength(t *testing.T) {
	for _, c := range []struct {
		pass, want string
	}{
		{"short", strengthWeak},                        // under 10 characters
		{"Password123!", strengthWeak},                 // a common password with digits and a sign added
		{"correct horse battery staple", strengthWeak}, // famous
		{"tkfkdgody12", strengthWeak},                  // 사랑해요 typed in English mode
		{"aaaaaaaaaaaaaaaa", strengthWeak},             // one letter repeated
		{"abcdefghijklmn", strengthWeak},               // a run
		{"01012345678", strengthWeak},                  // a phone number
		{"abababababab", strengthWeak},                 // two letters repeated
		{"kqmzpwvbxe", strengthFair},                   // 10 random lowercase letters: about 47 bits
		{"plum lantern", strengthWeak},                 // two words: about 30 bits
		{"plum lantern gravel", strengthFair},          // three words
		{"plum lantern gravel orbit seventy", strengthStrong},
		{"Xq7#mP2!vL9$", strengthStrong}, // 12 characters of every kind
		{"압록강 겨울 사과나무 기차역", strengthFair},
	} {
		if got, hint := strengthOf(c.pass); got != c.want {
			bits, common := passphraseStrength(c.pass)
			t.Errorf("%q: %s (%.0f bits, common %v: %s), want %s", c.pass, got, bits, common, hint, c.want)
		}
	}
}

// FuzzParseInvitation: any file either is refused with a message starting
// "not a desk invitation", or is an invitation whose roster the admin key
// it names signed, and which writes back to an equal invitation.
func FuzzParseInvitation(f *testing.F) {
	admin, _ := keys.GenerateSigningKey("admin")
	r, _ := keys.NewRoster("Example NGO")
	signed, _ := r.Sign(admin)
	v, _ := keys.ParseVerifier(admin.Verifier())
	pkey, _ := keys.GeneratePseudonymKey()
	keys.ScryptWorkFactor = 10
	iv, err := NewInvitation(Interviewer, "laptop 1", "laptop-1", "https://intake.example.org", "", v, signed, pkey, "ABCDE-FGHIJ-KLMNO-PQRST")
	if err != nil {
		f.Fatal(err)
	}
	rv, _ := NewInvitation(Reviewer, "reviewer 1", "", "http://127.0.0.1:8443", "socks5h://127.0.0.1:9050", v, signed, nil, "ABCDE-FGHIJ-KLMNO-PQRST")
	f.Add(iv)
	f.Add(rv)
	f.Add([]byte(`{"format":"testimony-desk-profile-v1","role":"reviewer"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":"testimony-desk-invitation-v1"} {}`))
	f.Add([]byte("\x89PNG"))
	f.Fuzz(func(t *testing.T, b []byte) {
		inv, admin, roster, err := ParseInvitation(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "not a desk invitation") {
				t.Fatalf("error without the prefix: %v", err)
			}
			return
		}
		if _, err := keys.VerifyRoster([]byte(inv.Roster), admin, nil); err != nil || roster.Org != inv.Org {
			t.Fatalf("accepted an invitation whose roster does not verify: %v", err)
		}
		switch inv.Role {
		case Interviewer, Reviewer, Custodian:
		default:
			t.Fatalf("accepted role %q", inv.Role)
		}
	})
}

// TestInvitationCode: the pseudonym key opens with the code as typed
// (case, dashes and spaces aside) and with no other.
func TestInvitationCode(t *testing.T) {
	keys.ScryptWorkFactor = 10
	admin, _ := keys.GenerateSigningKey("admin")
	r, _ := keys.NewRoster("Example NGO")
	signed, _ := r.Sign(admin)
	v, _ := keys.ParseVerifier(admin.Verifier())
	pkey, _ := keys.GeneratePseudonymKey()
	b, err := NewInvitation(Interviewer, "laptop 1", "laptop-1", "https://intake.example.org", "", v, signed, pkey, "ABCDE-FGHIJ-KLMNO-PQRST")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "ABCDE") {
		t.Fatal("the invitation holds the code")
	}
	inv, _, _, err := ParseInvitation(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := inv.OpenPseudonymKey(" abcde fghij-klmno-pqrst ")
	if err != nil {
		t.Fatalf("the code as typed: %v", err)
	}
	if got.MAC([]byte("x")) != pkey.MAC([]byte("x")) {
		t.Error("the opened key is another key")
	}
	if _, err := inv.OpenPseudonymKey("ABCDE-FGHIJ-KLMNO-PQRSS"); err == nil || !strings.Contains(err.Error(), keys.ErrWrongPassphrase.Error()) {
		t.Errorf("another code: %v", err)
	}
	if _, err := inv.OpenPseudonymKey("hello"); err == nil {
		t.Error("a text that is not a code opened the key")
	}
}
