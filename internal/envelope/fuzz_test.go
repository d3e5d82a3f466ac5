package envelope

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"testimony/keys"
)

var (
	fuzzOrgOnce sync.Once
	fuzzOrg     *org
	fuzzSealed  []byte
)

// fuzzSetup makes one organisation and one small sealed file for the fuzz
// targets.
func fuzzSetup(f *testing.F) (*org, []byte) {
	fuzzOrgOnce.Do(func() {
		fuzzOrg = newOrg(f, keys.Classic)
		fuzzSealed, _ = seal(f, Contents{Note: []byte("note\n"), Answers: []byte("{}")}, fuzzOrg.options())
	})
	return fuzzOrg, fuzzSealed
}

func FuzzParseManifest(f *testing.F) {
	o, sealed := fuzzSetup(f)
	for _, e := range entries(f, plaintext(f, sealed, o.reviewers[0])) {
		if e.name == ManifestName {
			f.Add(e.data)
			f.Add(bytes.Replace(e.data, []byte(`"form"`), []byte(`"form2"`), 1))
			f.Add(bytes.Replace(e.data, []byte(`  `), []byte(` `), -1))
			// A version 1 manifest, and one that claims a record digest.
			f.Add(bytes.Replace(e.data, []byte(FormatV2), []byte(FormatV1), 1))
			f.Add(bytes.Replace(e.data, []byte("\n}\n"), []byte(",\n  \"reid\": \""+strings.Repeat("ab", 32)+"\"\n}\n"), 1))
		}
	}
	f.Add([]byte(`{"format":"testimony-sealed-v2"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			if !errors.Is(err, ErrNotSealed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		out, err := m.Marshal()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("accepted a manifest that does not re-encode to itself: %v", err)
		}
	})
}

// FuzzOpen opens arbitrary bytes. Open must not panic, must classify every
// error, and must succeed only on a file whose entries match its manifest.
func FuzzOpen(f *testing.F) {
	o, sealed := fuzzSetup(f)
	f.Add(sealed)
	f.Add(sealed[:len(sealed)-1])
	f.Add(flip(sealed, len(sealed)-20))
	f.Add([]byte("age-encryption.org/v1\n-> X25519 \n"))
	f.Add([]byte{})
	sentinels := []error{ErrWrongIdentity, ErrTampered, ErrTruncated, ErrNotSealed, ErrUnknownDevice, ErrBadSignature, ErrUnsupported, keys.ErrRoster}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, op, err := open(b, o.reviewers[0], o.roster)
		if err != nil {
			if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if len(m.Entries) != len(op.Manifest.Entries) {
			t.Fatalf("opened %d entries, manifest lists %d", len(m.Entries), len(op.Manifest.Entries))
		}
		for _, e := range op.Manifest.Entries {
			if int64(len(m.Entries[e.Name])) != e.Size {
				t.Fatalf("entry %s: %d bytes, manifest says %d", e.Name, len(m.Entries[e.Name]), e.Size)
			}
		}
	})
}
