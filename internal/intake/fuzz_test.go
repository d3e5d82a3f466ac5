package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"testimony/internal/envelope"
	"testimony/internal/pseudonym"
	"testimony/keys"
)

// FuzzParseReid parses arbitrary plaintext as a re-identification record.
// It must not panic, must classify every error, and must call a record
// signed only when the roster's device signed exactly that text for the
// submission it is opened under.
func FuzzParseReid(f *testing.F) {
	device, err := keys.GenerateSigningKey("laptop-1")
	if err != nil {
		f.Fatal(err)
	}
	v, _ := keys.ParseVerifier(device.Verifier())
	roster, _ := keys.NewRoster("Test NGO")
	roster.AddDevice("laptop-1", v)
	const id = "0123456789abcdef0123456789abcdef"
	parts := []pseudonym.Reid{{Format: pseudonym.ReidFormat, People: []pseudonym.ReidEntry{{Entity: "p1", Pseudonym: "김영석", Found: []string{"박영수"}}}}}
	text, _ := marshalBundle(&Bundle{Format: BundleFormatV2, ID: id, Device: "laptop-1", Org: "Test NGO", Parts: parts})
	signed, _ := noteSign(text, device)
	f.Add(signed)
	f.Add(text)
	f.Add(bytes.Replace(signed, []byte("김영석"), []byte("김영삭"), 1))
	v1, _ := json.Marshal(Bundle{Format: BundleFormat, Parts: parts})
	f.Add(v1)
	f.Add([]byte("{}\n\n— laptop-1 AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		bd, err := parseReid(b, roster, id)
		if err != nil {
			if !errors.Is(err, envelope.ErrNotSealed) && !errors.Is(err, envelope.ErrBadSignature) &&
				!errors.Is(err, envelope.ErrUnknownDevice) && !errors.Is(err, envelope.ErrWrongID) && !errors.Is(err, keys.ErrRoster) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if bd.Signed {
			if bd.ID != id || bd.Device != "laptop-1" {
				t.Fatalf("signed record for %s/%s accepted", bd.ID, bd.Device)
			}
			canonical, _ := marshalBundle(bd)
			if !bytes.HasPrefix(b, canonical) {
				t.Fatal("a signed record's text is not its canonical form")
			}
		} else if bd.Format != BundleFormat {
			t.Fatalf("unsigned record of format %q accepted", bd.Format)
		}
	})
}
