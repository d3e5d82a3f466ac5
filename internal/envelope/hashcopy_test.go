package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestHashedCopy(t *testing.T) {
	for _, size := range []int{0, 1, copyBufSize - 1, copyBufSize, copyBufSize + 1, 3*copyBufSize + 7, 7 * copyBufSize} {
		data := bytes.Repeat([]byte{byte(size), 1, 2, 3, 5, 8, 13}, size/7+1)[:size]
		for name, in := range map[string][]byte{"whole": data, "one byte at a time": data[:min(size, 4096)]} {
			want := sha256.Sum256(in)
			var src io.Reader = bytes.NewReader(in)
			if name != "whole" {
				src = iotest.OneByteReader(src)
			}
			var dst bytes.Buffer
			n, sum, err := hashedCopy(&dst, src)
			if err != nil || n != int64(len(in)) || !bytes.Equal(dst.Bytes(), in) || sum != hex.EncodeToString(want[:]) {
				t.Errorf("size %d, %s: n=%d err=%v, hash mismatch=%v", size, name, n, err, sum != hex.EncodeToString(want[:]))
			}
		}
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(p), nil
}

// TestHashedCopyErrors: errors from either side come back, a truncated
// source is never taken for the end of the data, and nothing deadlocks.
func TestHashedCopyErrors(t *testing.T) {
	data := make([]byte, 5*copyBufSize)
	for after := range 4 {
		if _, _, err := hashedCopy(&failWriter{after: after}, bytes.NewReader(data)); err == nil || err.Error() != "disk full" {
			t.Errorf("writer failing after %d writes: err = %v", after, err)
		}
	}
	cut := io.MultiReader(bytes.NewReader(data[:copyBufSize+10]), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, _, err := hashedCopy(io.Discard, cut); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated source: err = %v, want io.ErrUnexpectedEOF", err)
	}
}
