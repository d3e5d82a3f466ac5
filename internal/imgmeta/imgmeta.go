// Package imgmeta removes metadata from JPEG and PNG images before they are
// sealed, so that an attachment does not reveal where, when, with which
// device or by whom a photo was taken.
//
// [Strip] copies an image from a reader to a writer and keeps only what is
// needed to display the pixels correctly:
//
//   - JPEG: SOI; APP0 JFIF (with any embedded thumbnail removed); APP14 Adobe
//     (cut to its 12 defined bytes, which carry the colour transform); DQT,
//     DHT, DAC, SOFn, DRI, DNL, DHP, EXP and SOS segments; the entropy-coded
//     data of every scan verbatim, including RSTn markers, 0xFF00 stuffing and
//     0xFF fill bytes; the segments between the scans of a progressive or
//     hierarchical JPEG, under the same rules; EOI. Everything else is
//     dropped: APP1 (Exif, XMP), APP2 (ICC profile, FlashPix, MPF), APP0
//     JFXX (a thumbnail) and any other APP0, APP3–APP13, APP15, other APP14,
//     COM, TEM and reserved or unknown markers.
//   - PNG: the signature; the critical chunks IHDR, PLTE, IDAT and IEND; the
//     ancillary chunks tRNS, gAMA, cHRM, sRGB, sBIT, bKGD, pHYs, cICP, mDCv
//     and cLLi, and the APNG chunks acTL, fcTL and fdAT. Every other chunk is
//     dropped: tEXt, zTXt, iTXt, eXIf, tIME, iCCP and unknown or private
//     ancillary chunks.
//
// Bytes after the JPEG EOI marker or the PNG IEND chunk are dropped too,
// since they can hide anything (a second image, a vendor trailer). Dropping
// the ICC profile (APP2, iCCP) can shift colours slightly in colour-managed
// viewers, and dropping Exif loses the orientation tag, so a phone photo may
// display rotated; both are deliberate, as ICC profiles and Exif carry device
// and author details.
//
// Kept segments and chunks are copied byte for byte (only a JFIF segment
// with a thumbnail and an Adobe segment with extra bytes are cut short), so
// the output of an image that carries no metadata is byte-identical to the
// input, and otherwise it is the input without the dropped segments, chunks
// and trailing bytes. The output is never longer than the input, and
// stripping it again changes nothing.
//
// Strip streams in constant memory: it holds a fixed-size buffer, never the
// whole image, and segments, chunks and scan data of any length pass through
// it. It checks the structure it walks (markers, segment lengths, SOF and SOS
// headers, chunk lengths and CRCs, chunk order at the ends) and returns an
// error wrapping [ErrMalformed] for input that is not a well-formed image,
// including a JPEG with stray bytes between segments or without EOI, and a
// PNG with a critical chunk it does not know (dropping one would change the
// image, keeping it could leak). It does not decode pixels, so it neither
// detects nor removes information hidden in the pixel data itself
// (steganography, or what the photo shows).
package imgmeta

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Format is an image format that [Strip] understands.
type Format int

// The formats. Unknown is what [Sniff] reports for anything else.
const (
	Unknown Format = iota
	JPEG
	PNG
)

func (f Format) String() string {
	switch f {
	case Unknown:
		return "unknown"
	case JPEG:
		return "JPEG"
	case PNG:
		return "PNG"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ErrMalformed means the input is not a well-formed image of the format
// given to [Strip]: it is truncated, has a bad marker, segment length, chunk
// length or CRC, misses a required part, or is not of that format at all.
var ErrMalformed = errors.New("imgmeta: malformed image")

// malformedError is what Strip returns for bad input: it prints what was
// wrong and matches ErrMalformed with errors.Is.
type malformedError struct {
	format Format
	msg    string
}

func (e *malformedError) Error() string {
	return "imgmeta: malformed " + e.format.String() + ": " + e.msg
}

func (e *malformedError) Is(target error) bool { return target == ErrMalformed }

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// Sniff reports the format of an image from its first bytes. It needs at
// least 8 bytes and reports Unknown when given fewer.
func Sniff(head []byte) Format {
	switch {
	case len(head) < 8:
		return Unknown
	case string(head[:8]) == pngSignature:
		return PNG
	case head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		return JPEG
	}
	return Unknown
}

// bufferSize is the size of the read buffer, and so about all the memory
// Strip uses whatever the size of the image.
const bufferSize = 64 << 10

// Strip copies the image of format f from src to dst without its metadata,
// as described in the package documentation, and returns the number of bytes
// written to dst.
//
// It returns an error wrapping [ErrMalformed] if src is not a well-formed
// image of format f. On any error dst has received part of the image, which
// the caller must discard. Strip stops reading at the end of the image but
// may have read further into its buffer; bytes after the end are dropped.
func Strip(dst io.Writer, src io.Reader, f Format) (int64, error) {
	if dst == nil || src == nil {
		return 0, errors.New("imgmeta: nil reader or writer")
	}
	s := &stripper{
		r:      bufio.NewReaderSize(src, bufferSize),
		w:      dst,
		format: f,
	}
	var err error
	switch f {
	case JPEG:
		err = s.jpeg()
	case PNG:
		err = s.png()
	default:
		return 0, fmt.Errorf("imgmeta: unsupported image format %v", f)
	}
	return s.n, err
}

// stripper holds the state of one Strip call.
type stripper struct {
	r      *bufio.Reader
	w      io.Writer
	n      int64 // bytes written to w
	format Format
	ff     [64]byte // 0xFF bytes, for writing fill bytes
}

func (s *stripper) malformed(format string, args ...any) error {
	return &malformedError{format: s.format, msg: fmt.Sprintf(format, args...)}
}

// readErr turns an error from reading the input while reading what into the
// error Strip returns: the end of the input means a truncated image.
func (s *stripper) readErr(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.malformed("truncated in %s", what)
	}
	return fmt.Errorf("failed to read image: %w", err)
}

func (s *stripper) write(p []byte) error {
	n, err := s.w.Write(p)
	s.n += int64(n)
	if err == nil && n != len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("failed to write image: %w", err)
	}
	return nil
}

// writeFF writes n 0xFF bytes.
func (s *stripper) writeFF(n int64) error {
	if n > 0 && s.ff[0] != 0xFF {
		for i := range s.ff {
			s.ff[i] = 0xFF
		}
	}
	for n > 0 {
		k := int64(len(s.ff))
		if n < k {
			k = n
		}
		if err := s.write(s.ff[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// peek returns the next n bytes of the input without consuming them. n must
// not exceed bufferSize.
func (s *stripper) peek(n int, what string) ([]byte, error) {
	p, err := s.r.Peek(n)
	if err != nil {
		return nil, s.readErr(err, what)
	}
	return p, nil
}

// window returns the buffered input, reading more first if there is none.
// It never returns an empty window without an error.
func (s *stripper) window(what string) ([]byte, error) {
	if s.r.Buffered() == 0 {
		if _, err := s.r.Peek(1); err != nil {
			return nil, s.readErr(err, what)
		}
	}
	p, _ := s.r.Peek(s.r.Buffered())
	return p, nil
}

// discard consumes n bytes that have already been peeked.
func (s *stripper) discard(n int) {
	_, _ = s.r.Discard(n) // cannot fail: the bytes are buffered
}

// pass consumes the next n bytes of the input, copying them to the output
// if keep is set and feeding them to crc if it is not nil.
func (s *stripper) pass(n int64, keep bool, crc func([]byte), what string) error {
	for n > 0 {
		p, err := s.window(what)
		if err != nil {
			return err
		}
		if int64(len(p)) > n {
			p = p[:n]
		}
		if crc != nil {
			crc(p)
		}
		if keep {
			if err := s.write(p); err != nil {
				return err
			}
		}
		s.discard(len(p))
		n -= int64(len(p))
	}
	return nil
}

// be16 and be32 decode big-endian integers.
func be16(p []byte) int { return int(p[0])<<8 | int(p[1]) }

func be32(p []byte) uint32 {
	return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
}

// hasPrefix reports whether p starts with prefix.
func hasPrefix(p []byte, prefix string) bool {
	return len(p) >= len(prefix) && string(p[:len(prefix)]) == prefix
}
