package envelope

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sync"
)

// copyBufSize is the size of the buffers hashedCopy passes between its two
// goroutines: large enough that handing one over costs nothing next to
// encrypting or decrypting it.
const copyBufSize = 512 << 10

var bufPool = sync.Pool{New: func() any { return make([]byte, copyBufSize) }}

// hashedCopy copies src to dst and returns the number of bytes copied and
// their hex SHA-256. It hashes on a second goroutine, one buffer behind the
// copy, so that on two cores hashing costs no time next to encryption or
// decryption in dst or src.
func hashedCopy(dst io.Writer, src io.Reader) (int64, string, error) {
	const nbuf = 3
	free := make(chan []byte, nbuf)
	for range nbuf {
		free <- bufPool.Get().([]byte)
	}
	defer func() {
		for range nbuf {
			bufPool.Put(<-free)
		}
	}()
	full := make(chan []byte, nbuf)
	sum := make(chan string, 1)
	go func() {
		h := sha256.New()
		for b := range full {
			h.Write(b)
			free <- b[:cap(b)]
		}
		sum <- hex.EncodeToString(h.Sum(nil))
	}()
	var n int64
	var err error
	for err == nil {
		buf := <-free
		var m int
		m, err = fill(src, buf)
		if m > 0 && (err == nil || err == io.EOF) {
			if _, werr := dst.Write(buf[:m]); werr != nil {
				err = werr
			} else {
				n += int64(m)
				full <- buf[:m] // the hasher returns it to free
				continue
			}
		}
		free <- buf
	}
	if err == io.EOF {
		err = nil
	}
	close(full)
	s := <-sum
	return n, s, err
}

// fill reads from src until buf is full or src returns an error. Unlike
// io.ReadFull it passes every error through unchanged, so that an
// io.ErrUnexpectedEOF from src (a truncated stream) is never taken for the
// end of the data.
func fill(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := src.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
