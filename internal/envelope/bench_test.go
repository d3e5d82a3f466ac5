package envelope

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"

	"filippo.io/age"

	"testimony/keys"
)

const benchSize = 64 << 20

// BenchmarkSeal compares Seal of one 64 MiB attachment with plain
// age.Encrypt of the same bytes to the same recipients. Budget: seal ≥ 90%
// of age's throughput.
func BenchmarkSeal(b *testing.B) {
	o := newOrg(b, keys.Hybrid)
	data := make([]byte, benchSize)
	rand.NewChaCha8([32]byte{}).Read(data)
	var rs []age.Recipient
	for _, id := range o.reviewers {
		rs = append(rs, id.Recipient().Age())
	}
	b.Run("age", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			w, err := age.Encrypt(io.Discard, rs...)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := w.Write(data); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The SHA-256 of the same bytes: sealing hashes every entry for the
	// signed manifest, so it cannot run faster than this.
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			sha256.Sum256(data)
		}
	})
	b.Run("seal", func(b *testing.B) {
		b.SetBytes(benchSize)
		c := Contents{Note: []byte("note\n"), Attachments: []Attachment{bytesAttachment("bin", data)}}
		for b.Loop() {
			if _, err := Seal(io.Discard, c, o.options()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpen compares Open (full authentication, entries hashed and
// checked, written to a discarding sink) with plain age.Decrypt of the same
// file to io.Discard. Budget: open ≥ 70% of age's throughput.
func BenchmarkOpen(b *testing.B) {
	o := newOrg(b, keys.Hybrid)
	data := make([]byte, benchSize)
	rand.NewChaCha8([32]byte{}).Read(data)
	var buf bytes.Buffer
	if _, err := Seal(&buf, Contents{Note: []byte("note\n"), Attachments: []Attachment{bytesAttachment("bin", data)}}, o.options()); err != nil {
		b.Fatal(err)
	}
	sealed := buf.Bytes()
	b.Run("age", func(b *testing.B) {
		b.SetBytes(benchSize)
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
		b.SetBytes(benchSize)
		for b.Loop() {
			if _, err := Open(bytes.NewReader(sealed), int64(len(sealed)), Discard{}, OpenOptions{Identity: o.reviewers[0], Roster: o.roster, ID: testID}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
