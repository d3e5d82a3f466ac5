package annotation_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"testimony/internal/annotation"
)

// FuzzParse: whatever the parser accepts is exactly what the format writes.
// A signed annotation re-signed with its author's key (ed25519 signatures are
// deterministic) gives back the same bytes, so every accepted annotation has
// one byte form; a format 1 annotation is its own canonical JSON; nothing
// accepted breaks the rules Seal enforces; and refusals are typed errors.
func FuzzParse(f *testing.F) {
	fx := newFixture(f)
	signed := must(annotation.Sign(sample(), fx.s1))
	f.Add(signed, aid)
	f.Add(append(bytes.Clone(signed), "     "...), aid)
	f.Add(signed, other)
	f.Add(must(annotation.Sign(annotation.Annotation{ID: aid, Submission: sub, Text: "x", Day: "2026-01-01"}, fx.s2)), aid)
	f.Add(must(annotation.Sign(sample(), must(fx.outsider.ReviewerSigner()))), aid)
	f.Add(resign(f, signed, func(s string) string { return s + " " }), aid)
	f.Add([]byte(`{"format":"testimony-annotation-v1","submission":"`+sub+`","tags":["detention"],"text":"Follow up.","day":"2026-03-01"}`), aid)
	f.Add([]byte(`{"format":"testimony-annotation-v1","submission":"`+sub+`","tags":null,"text":"x","day":"2026-03-01"}   `), aid)
	f.Add([]byte(`{"format":"testimony-annotation-v9"}`), aid)
	f.Add([]byte{}, "")
	signers := map[string]func(annotation.Annotation) ([]byte, error){
		fx.s1.Verifier(): func(a annotation.Annotation) ([]byte, error) { return annotation.Sign(a, fx.s1) },
		fx.s2.Verifier(): func(a annotation.Annotation) ([]byte, error) { return annotation.Sign(a, fx.s2) },
	}
	f.Fuzz(func(t *testing.T, plain []byte, id string) {
		o, err := annotation.Parse(plain, id, fx.roster)
		if err != nil {
			if o != nil {
				t.Fatalf("Parse returned an annotation and an error: %v", err)
			}
			for _, known := range []error{annotation.ErrMalformed, annotation.ErrUnsupported, annotation.ErrUnknownSigner, annotation.ErrBadSignature, annotation.ErrWrongID} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		trimmed := bytes.TrimRight(plain, " ")
		if o.ID != id || !annotation.ValidID(o.Submission) {
			t.Fatalf("accepted ID %q for %q, submission %q", o.ID, id, o.Submission)
		}
		if !o.Signed {
			if o.Format != annotation.FormatV1 || o.Author != "" || o.Signer != "" {
				t.Fatalf("unsigned annotation %+v", o)
			}
			return
		}
		if o.Format != annotation.FormatV2 {
			t.Fatalf("signed annotation of format %q", o.Format)
		}
		sign, ok := signers[o.Signer]
		if !ok {
			t.Fatalf("signed by %q, not a reviewer's key", o.Signer)
		}
		again, err := sign(o.Annotation)
		if err != nil {
			t.Fatalf("an accepted annotation does not sign again: %v", err)
		}
		if !bytes.Equal(again, trimmed) {
			t.Fatalf("accepted\n%q\nwhich signs again as\n%q", trimmed, again)
		}
		if _, err := json.Marshal(o); err != nil {
			t.Fatal(err)
		}
	})
}
