package server_test

import (
	"bytes"
	"io"
	"testing"

	"filippo.io/age"

	"testimony/keys"
)

func ageEncrypt(w io.Writer, ids ...*keys.Identity) (io.WriteCloser, error) {
	var rs []age.Recipient
	for _, id := range ids {
		rs = append(rs, id.Recipient().Age())
	}
	return age.Encrypt(w, rs...)
}

// sealTo encrypts text to id, as a re-identification record is.
func sealTo(t testing.TB, id *keys.Identity, text string) []byte {
	var buf bytes.Buffer
	w, err := ageEncrypt(&buf, id)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, text)
	w.Close()
	return buf.Bytes()
}
