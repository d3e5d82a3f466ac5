package envelope

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"filippo.io/age"

	"testimony/keys"
)

// BenchmarkOpenNote opens a small sealed note (2 KiB of text, sealed to
// three post-quantum reviewers, as an interview note is) with Open, against
// plain age.Decrypt of the same file: the fixed cost of opening, where the
// signature check, the manifest and the binding to the submission ID weigh
// most. The identity is already unlocked (its passphrase costs once per
// desk unlock, not per file).
func BenchmarkOpenNote(b *testing.B) {
	o := newOrg(b, keys.Hybrid)
	third, err := keys.GenerateIdentity(keys.Hybrid)
	if err != nil {
		b.Fatal(err)
	}
	if err := o.roster.Add(keys.Reviewer, "reviewer 3", third.Recipient()); err != nil {
		b.Fatal(err)
	}
	note := []byte(strings.Repeat("김병일 씨는 2019년에 량강도를 떠났다. Kim Byung-il left in 2019.\n", 25))[:2048]
	note = bytes.ToValidUTF8(note, nil)
	var buf bytes.Buffer
	if _, err := Seal(&buf, Contents{Note: note}, o.options()); err != nil {
		b.Fatal(err)
	}
	sealed := buf.Bytes()
	b.Run("age", func(b *testing.B) {
		for b.Loop() {
			r, err := age.Decrypt(bytes.NewReader(sealed), o.reviewers[0])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			if _, err := Open(bytes.NewReader(sealed), int64(len(sealed)), &Memory{}, OpenOptions{Identity: o.reviewers[0], Roster: o.roster, ID: testID}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
