// Package agepolicy decides, without any key, whether an upload can be a
// well-formed age file for the organisation's roster, so that the intake
// server refuses a bad upload before it stores anything.
//
// The server streams an upload: [ReadHeader] reads the age header (never more
// than [MaxHeaderSize] bytes of the body), [Policy.CheckHeader] applies the
// rules below to it, the caller streams the rest to storage while counting
// it, and [Policy.CheckPayloadSize] checks the count at the end.
// [Policy.Check] does all of it in one call for tests and small inputs.
//
// A file passes only if all of these hold:
//
//   - it is a binary age-encryption.org/v1 file (ASCII armor is refused) whose
//     header filippo.io/age parses, MAC line included, and whose header bytes
//     are exactly age's canonical encoding of it;
//   - the header is at most MaxHeaderSize bytes;
//   - every recipient stanza has the Policy's type, X25519 or mlkem768x25519;
//     scrypt, ssh-*, tagged, plugin and unknown ("grease") stanzas are
//     refused, although age itself skips stanzas it does not know;
//   - there are exactly Policy.Recipients stanzas;
//   - every stanza has exactly one argument, in canonical unpadded base64,
//     that decodes to 32 bytes for X25519 (the ephemeral share) or 1,120
//     bytes for mlkem768x25519 (the 1,088-byte ML-KEM-768 ciphertext followed
//     by the 32-byte X25519 share), and no two stanzas have the same argument
//     (age draws a fresh one for every recipient);
//   - no X25519 share is a low-order point (age refuses those when it
//     unwraps, because the shared secret would be all zeros);
//   - every stanza body, the wrapped file key, is 32 bytes (a 16-byte file
//     key and a 16-byte ChaCha20-Poly1305 tag);
//   - the payload after the header has a length age's STREAM can produce: a
//     16-byte nonce, then any number of full 65,552-byte chunks and one final
//     chunk of 17 to 65,552 bytes, or a single empty final chunk of 16 bytes.
//
// Passing says the file is well-formed, not that it is genuine: without a key
// nobody can tell whether a stanza was made for a roster member, whether the
// header MAC is right, or whether the payload chunks authenticate. Only a
// reviewer's key catches those, when the file is opened.
//
// Errors: every refusal is a [*Rejection], which matches [ErrRejected] with
// errors.Is and whose Reason is a fixed sentence (at most with counts in it)
// that is safe to send to the client: it never quotes the file. Any other
// error is a failure to read the input or a Policy that no file can satisfy,
// both faults on the server's side.
//
// Memory is bounded: ReadHeader reads and holds at most MaxHeaderSize bytes of
// the input before it decides, in a buffer that never grows past that.
// Nothing here panics on any input. A Policy is a plain value and every
// function is safe for concurrent use.
package agepolicy

import (
	"bytes"
	"crypto/mlkem"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"
)

// MaxHeaderSize is the largest age header accepted, in bytes. It holds 42
// mlkem768x25519 or 668 X25519 recipient stanzas.
const MaxHeaderSize = 64 << 10

// Recipient stanza types a roster can use.
const (
	typeX25519 = "X25519"
	typeHybrid = "mlkem768x25519"
)

// Sizes of the age format, from filippo.io/age v1.3.2 (x25519.go, pq.go,
// primitives.go, internal/stream) and its HPKE KEM.
const (
	intro          = "age-encryption.org/v1\n"
	armorBegin     = "-----BEGIN AGE ENCRYPTED FILE-----"
	shareSize      = curve25519.PointSize                    // X25519 ephemeral share
	hybridEncSize  = mlkem.CiphertextSize768 + shareSize     // HPKE MLKEM768-X25519 enc
	fileKeySize    = 16                                      // age's file key
	wrappedKeySize = fileKeySize + chacha20poly1305.Overhead // stanza body
	nonceSize      = 16                                      // payload nonce
	tagSize        = chacha20poly1305.Overhead               // per STREAM chunk
	chunkSize      = 64 << 10                                // STREAM plaintext chunk
	encChunkSize   = chunkSize + tagSize                     // STREAM ciphertext chunk
	minPayloadSize = nonceSize + tagSize                     // one empty final chunk
	macSize        = 32                                      // header MAC, HMAC-SHA-256
	readBufferSize = 4096                                    // ReadHeader reads at most this much at a time
)

// Reasons. Each is sent to the client as is: fixed text, never file bytes.
const (
	reasonEmpty          = "the file is empty"
	reasonArmored        = "the file is ascii-armored; send the binary age file"
	reasonNotAge         = "the file is not an age-encryption.org/v1 file"
	reasonTruncated      = "the file ends inside the age header"
	reasonTooLarge       = "the age header is larger than 64 KiB"
	reasonMalformed      = "the age header is malformed"
	reasonNotCanonical   = "the age header is not in canonical encoding"
	reasonScrypt         = "the file is encrypted with a passphrase; it must be encrypted to the roster's recipients"
	reasonSSH            = "the file is encrypted to an ssh key; it must be encrypted to the roster's recipients"
	reasonTagged         = "the file has a tagged (p256tag) recipient stanza; it must be encrypted to the roster's recipients"
	reasonClassicInPQ    = "the file has a classic X25519 recipient stanza; this organisation requires post-quantum mlkem768x25519 recipients"
	reasonPQInClassic    = "the file has an mlkem768x25519 recipient stanza; this organisation's roster has X25519 recipients"
	reasonUnknownType    = "the file has a recipient stanza of an unknown or plugin type; it must be encrypted to the roster's recipients"
	reasonCountFormat    = "the file has %d recipient stanzas; the roster needs exactly %d"
	reasonArgCountFormat = "an %s recipient stanza must have exactly one argument"
	reasonBase64         = "a recipient stanza's argument is not canonical unpadded base64"
	reasonShareSize      = "an X25519 recipient stanza's share is not 32 bytes"
	reasonEncSize        = "an mlkem768x25519 recipient stanza's encapsulated key is not 1120 bytes"
	reasonLowOrder       = "a recipient stanza's X25519 share is a low-order point"
	reasonDuplicate      = "two recipient stanzas have the same ephemeral key"
	reasonBodySize       = "a recipient stanza's wrapped file key is not 32 bytes"
	reasonPayloadShort   = "the encrypted payload is too short to hold a nonce and one chunk"
	reasonPayloadSize    = "the encrypted payload's length is not one age can produce (truncated or with trailing data)"
)

// ErrRejected is matched by every [*Rejection].
var ErrRejected = errors.New("file rejected by the age header policy")

// Rejection is why a file was refused. Reason is a short lowercase sentence
// that is safe to send to the client: it never echoes the file's bytes.
type Rejection struct{ Reason string }

// Error returns the message of [ErrRejected] followed by the reason.
func (r *Rejection) Error() string {
	if r == nil {
		return ErrRejected.Error()
	}
	return ErrRejected.Error() + ": " + r.Reason
}

// Is reports whether target is [ErrRejected].
func (r *Rejection) Is(target error) bool { return target == ErrRejected }

func reject(reason string) error { return &Rejection{Reason: reason} }

// Policy says what a valid file looks like. The zero Policy is invalid:
// methods that apply the header rules return a non-Rejection error for a
// Policy no file could satisfy (an unknown StanzaType, Recipients below one,
// or more recipients than fit in MaxHeaderSize).
type Policy struct {
	StanzaType string // "mlkem768x25519" or "X25519": the roster's one recipient type
	Recipients int    // exactly this many recipient stanzas (the roster's reviewers, or custodians for a re-identification record)
}

// argSize returns the decoded size of the one argument of a stanza of type t,
// or 0 if t is not a roster type.
func argSize(t string) int {
	switch t {
	case typeX25519:
		return shareSize
	case typeHybrid:
		return hybridEncSize
	}
	return 0
}

// headerSize returns the exact size of a canonical header with n stanzas of
// type t that pass the policy.
func headerSize(t string, n int) int {
	enc := base64.RawStdEncoding.EncodedLen
	stanza := len("-> ") + len(t) + len(" ") + enc(argSize(t)) + len("\n") + // opening line
		enc(wrappedKeySize) + len("\n") // body: one short line
	return len(intro) + n*stanza + len("--- ") + enc(macSize) + len("\n")
}

func (p Policy) validate() error {
	if argSize(p.StanzaType) == 0 {
		return fmt.Errorf("agepolicy: invalid policy: stanza type %q is not %q or %q", p.StanzaType, typeHybrid, typeX25519)
	}
	if p.Recipients < 1 {
		return fmt.Errorf("agepolicy: invalid policy: %d recipients", p.Recipients)
	}
	if p.Recipients > MaxHeaderSize || headerSize(p.StanzaType, p.Recipients) > MaxHeaderSize {
		return fmt.Errorf("agepolicy: invalid policy: %d %s recipient stanzas do not fit in a %d-byte header", p.Recipients, p.StanzaType, MaxHeaderSize)
	}
	return nil
}

// ReadHeader reads the age header from r and returns the header bytes and a
// reader for the rest of r: the bytes after the header's MAC line, with none
// lost (what was read ahead is returned first). It reads at most
// MaxHeaderSize bytes from r, in reads of up to 4 KiB, and stops as soon as
// the MAC line is complete. The header is parsed by filippo.io/age (its
// stanzas through [age.DecryptHeader] with an identity that matches nothing)
// and kept only if its bytes are age's canonical encoding of it: the header
// returned is exactly what [age.ExtractHeader] would return for the file.
//
// ReadHeader returns a [*Rejection] for an empty, armored, non-age,
// truncated, oversize, unparseable or non-canonical header, and another error
// if reading r fails; then rest is nil. Once ReadHeader has seen r return
// io.EOF, rest reads only what was read ahead and does not read r again.
func ReadHeader(r io.Reader) (header []byte, rest io.Reader, err error) {
	src := &recorder{r: r, left: MaxHeaderSize}
	var scan endScanner
	end := -1
	for {
		if !couldBeAge(src.buf) {
			break
		}
		if len(src.buf) >= len(intro) {
			if end = scan.end(src.buf); end >= 0 {
				break
			}
		}
		if src.eof || src.err != nil || src.left == 0 {
			break
		}
		src.fill(readBufferSize)
	}
	if src.err != nil {
		return nil, nil, fmt.Errorf("failed to read the age header: %w", src.err)
	}
	if end < 0 {
		return nil, nil, src.classify()
	}
	if _, err := parseHeader(src.buf[:end], scan.mac); err != nil {
		return nil, nil, err
	}
	leftover := bytes.NewReader(src.buf[end:])
	header = src.buf[:end:end]
	if src.eof {
		return header, leftover, nil
	}
	return header, io.MultiReader(leftover, r), nil
}

// couldBeAge reports whether buf starts like an age file, as far as it goes.
func couldBeAge(buf []byte) bool {
	if len(buf) < len(intro) {
		return bytes.HasPrefix([]byte(intro), buf)
	}
	return bytes.HasPrefix(buf, []byte(intro))
}

// endScanner finds where an age header ends in a buffer that grows between
// calls: after the first line that starts with "---". In a header that age
// parses no other line can: stanza lines start with "->" and body lines are
// base64. The scan resumes where it stopped, so a header that arrives a byte
// at a time is still scanned once.
type endScanner struct {
	from int // where to resume looking for the MAC line, or for its newline
	mac  int // where the MAC line starts, or 0 before it is found
}

// end returns the length of the header in buf, which starts with intro, or
// -1 if buf does not hold a complete MAC line yet.
func (e *endScanner) end(buf []byte) int {
	if e.mac == 0 {
		from := max(e.from, len(intro)-1)
		i := bytes.Index(buf[from:], []byte("\n---"))
		if i < 0 {
			e.from = max(from, len(buf)-len("\n--"))
			return -1
		}
		e.mac = from + i + 1
		e.from = e.mac
	}
	j := bytes.IndexByte(buf[e.from:], '\n')
	if j < 0 {
		e.from = len(buf)
		return -1
	}
	return e.from + j + 1
}

// recorder reads from r into buf, at most left bytes in all. It keeps r's
// first error other than io.EOF.
type recorder struct {
	r     io.Reader
	buf   []byte
	left  int
	eof   bool // r returned io.EOF
	err   error
	stuck int // reads in a row that returned nothing
}

// fill makes one read of up to n bytes from r.
func (s *recorder) fill(n int) {
	n = min(n, s.left)
	if n <= 0 || s.eof || s.err != nil {
		return
	}
	if cap(s.buf)-len(s.buf) < n {
		// Grow as append would, but never past MaxHeaderSize in all.
		grown := make([]byte, len(s.buf), min(max(2*cap(s.buf), len(s.buf)+n), len(s.buf)+s.left))
		copy(grown, s.buf)
		s.buf = grown
	}
	got, err := s.r.Read(s.buf[len(s.buf) : len(s.buf)+n])
	if got < 0 || got > n {
		s.err = fmt.Errorf("reader returned an invalid count %d", got)
		return
	}
	s.buf = s.buf[:len(s.buf)+got]
	s.left -= got
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil:
		s.err = err
	case got == 0:
		if s.stuck++; s.stuck == 100 { // as bufio does
			s.err = io.ErrNoProgress
		}
	default:
		s.stuck = 0
	}
}

// armorWindow is how far into a file that is not age the armor header is
// looked for (after blank space). It is fixed, so that the reason does not
// depend on how the input arrives.
const armorWindow = 1024

// classify says why the bytes read hold no complete age header. To tell
// armor apart it may read up to armorWindow bytes; it returns a non-Rejection
// error if that read fails.
func (s *recorder) classify() error {
	switch {
	case len(s.buf) == 0:
		return reject(reasonEmpty)
	case bytes.HasPrefix(s.buf, []byte(intro)):
		// Let age's parser say whether what there is already breaks the
		// format, or only stops too early.
		_, err := age.ExtractHeader(bytes.NewReader(s.buf))
		switch {
		case !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
			return reject(reasonMalformed)
		case s.left == 0:
			return reject(reasonTooLarge)
		}
		return reject(reasonTruncated)
	case couldBeAge(s.buf):
		return reject(reasonTruncated)
	}
	for len(s.buf) < armorWindow && !s.eof && s.err == nil && s.left > 0 {
		s.fill(armorWindow - len(s.buf))
	}
	if s.err != nil {
		return fmt.Errorf("failed to read the age header: %w", s.err)
	}
	start := bytes.TrimLeft(s.buf[:min(len(s.buf), armorWindow)], " \t\r\n")
	if bytes.HasPrefix(start, []byte(armorBegin)) {
		return reject(reasonArmored)
	}
	return reject(reasonNotAge)
}

// stanzaRecorder is an age.Identity that matches nothing and keeps the
// stanzas it was offered: a way to get age's own parse of a header.
type stanzaRecorder struct{ stanzas []*age.Stanza }

func (s *stanzaRecorder) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	s.stanzas = stanzas
	return nil, age.ErrIncorrectIdentity
}

// parseHeader parses hdr, a candidate header that starts with intro and whose
// MAC line starts at mac and ends hdr, with age's parser, and checks that hdr
// is exactly age's encoding of what was parsed.
func parseHeader(hdr []byte, mac int) ([]*age.Stanza, error) {
	var sr stanzaRecorder
	_, err := age.DecryptHeader(hdr, &sr)
	var noMatch *age.NoIdentityMatchError
	if !errors.As(err, &noMatch) || len(sr.stanzas) == 0 {
		return nil, reject(reasonMalformed)
	}
	// The MAC line age accepted, byte for byte, and the stanzas as age
	// writes them: then hdr is what age.ExtractHeader returns.
	line := hdr[mac:]
	macB64, ok := bytes.CutPrefix(line, []byte("--- "))
	if !ok || !bytes.HasSuffix(macB64, []byte("\n")) {
		return nil, reject(reasonNotCanonical)
	}
	if m, err := decodeCanonical(string(macB64[:len(macB64)-1])); err != nil || len(m) != macSize {
		return nil, reject(reasonNotCanonical)
	}
	if !bytes.Equal(appendStanzas(make([]byte, 0, mac), sr.stanzas), hdr[:mac]) {
		return nil, reject(reasonNotCanonical)
	}
	return sr.stanzas, nil
}

// appendStanzas appends intro and the stanzas, encoded as filippo.io/age's
// format.Header.MarshalWithoutMAC does before "---": each stanza line, then
// its body in base64 lines of 64 columns, the last one shorter (maybe empty).
func appendStanzas(dst []byte, stanzas []*age.Stanza) []byte {
	dst = append(dst, intro...)
	for _, s := range stanzas {
		dst = append(dst, "-> "...)
		dst = append(dst, s.Type...)
		for _, a := range s.Args {
			dst = append(dst, ' ')
			dst = append(dst, a...)
		}
		dst = append(dst, '\n')
		body := base64.RawStdEncoding.AppendEncode(nil, s.Body)
		for len(body) >= 64 {
			dst = append(append(dst, body[:64]...), '\n')
			body = body[64:]
		}
		dst = append(append(dst, body...), '\n')
	}
	return dst
}

// CheckHeader applies the policy to a header returned by [ReadHeader]: header
// must be exactly one canonical age header and nothing else. It returns nil,
// a [*Rejection] naming the first rule the header breaks, or another error if
// p is invalid.
func (p Policy) CheckHeader(header []byte) error {
	if err := p.validate(); err != nil {
		return err
	}
	if len(header) > MaxHeaderSize {
		return reject(reasonTooLarge)
	}
	var scan endScanner
	end := -1
	if bytes.HasPrefix(header, []byte(intro)) {
		end = scan.end(header)
	}
	if end < 0 {
		// Not a header: ReadHeader says why.
		if _, _, err := ReadHeader(bytes.NewReader(header)); err != nil {
			return err
		}
		return reject(reasonMalformed) // unreachable
	}
	if end != len(header) {
		return reject(reasonMalformed) // data after the MAC line
	}
	stanzas, err := parseHeader(header, scan.mac)
	if err != nil {
		return err
	}
	return p.checkStanzas(stanzas)
}

func (p Policy) checkStanzas(stanzas []*age.Stanza) error {
	// Types first: cheap, and the most useful thing to tell a client.
	for _, s := range stanzas {
		if s.Type != p.StanzaType {
			return reject(typeReason(s.Type))
		}
	}
	// The count before any curve arithmetic, which it bounds.
	if len(stanzas) != p.Recipients {
		return reject(fmt.Sprintf(reasonCountFormat, len(stanzas), p.Recipients))
	}
	want := argSize(p.StanzaType)
	seen := make(map[string]bool, len(stanzas))
	for _, s := range stanzas {
		if len(s.Args) != 1 {
			return reject(fmt.Sprintf(reasonArgCountFormat, p.StanzaType))
		}
		arg, err := decodeCanonical(s.Args[0])
		if err != nil {
			return reject(reasonBase64)
		}
		if len(arg) != want {
			if p.StanzaType == typeHybrid {
				return reject(reasonEncSize)
			}
			return reject(reasonShareSize)
		}
		if len(s.Body) != wrappedKeySize {
			return reject(reasonBodySize)
		}
		if isLowOrder(arg[len(arg)-shareSize:]) {
			return reject(reasonLowOrder)
		}
		if seen[s.Args[0]] {
			return reject(reasonDuplicate)
		}
		seen[s.Args[0]] = true
	}
	return nil
}

// typeReason says why a stanza of type got, not the roster's type, is refused.
func typeReason(got string) string {
	switch got {
	case "scrypt":
		return reasonScrypt
	case "ssh-ed25519", "ssh-rsa":
		return reasonSSH
	case "p256tag", "mlkem768p256tag":
		return reasonTagged
	case typeX25519:
		return reasonClassicInPQ // the roster is hybrid
	case typeHybrid:
		return reasonPQInClassic // the roster is classic
	}
	return reasonUnknownType
}

var b64 = base64.RawStdEncoding.Strict()

// decodeCanonical decodes unpadded standard base64 and refuses any encoding
// other than the one age writes (padding, stray bits, line breaks).
func decodeCanonical(s string) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var buf [2048]byte // room for an mlkem768x25519 argument, on the stack
	if string(b64.AppendEncode(buf[:0], b)) != s {
		return nil, errors.New("not canonical")
	}
	return b, nil
}

// lowOrder lists, with the top bit cleared (X25519 ignores it), every
// encoding of a u-coordinate for which X25519 gives the all-zero shared
// secret whatever the (clamped) private key: the points of order 1, 2, 4 and
// 8 of Curve25519 and its twist, and the non-canonical encodings u+p that fit
// in 255 bits. It is the list libsodium refuses. For these, age's unwrap
// fails (crypto/ecdh and golang.org/x/crypto/curve25519 refuse an all-zero
// result); the tests check the list against crypto/ecdh. A list is used
// rather than a scalar multiplication with a fixed key, which costs about 55
// µs per stanza here.
var lowOrder = [...][32]byte{
	{},  // 0
	{1}, // 1
	{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
		0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00}, // order 8
	{0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
		0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57}, // order 8
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // p-1
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // p, that is 0
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // p+1, that is 1
}

// isLowOrder reports whether share, 32 bytes, is a low-order X25519 point.
func isLowOrder(share []byte) bool {
	var u [32]byte
	copy(u[:], share)
	u[31] &= 0x7f
	for _, l := range lowOrder {
		if u == l {
			return true
		}
	}
	return false
}

// CheckPayloadSize checks n, the length of everything after the header (the
// 16-byte nonce and the STREAM chunks). It returns a [*Rejection] if n is
// below 32 bytes (a nonce and one empty chunk) or is not a length age's
// STREAM can have: full 65,552-byte chunks then a final chunk of 17 to
// 65,552 bytes, where only a payload of a single chunk may have a 16-byte
// (empty) final chunk. The logic is that of EncryptedChunkCount in
// filippo.io/age/internal/stream. It does not depend on p.
func (p Policy) CheckPayloadSize(n int64) error {
	if n < minPayloadSize {
		return reject(reasonPayloadShort)
	}
	if !validStreamSize(n - nonceSize) {
		return reject(reasonPayloadSize)
	}
	return nil
}

// validStreamSize mirrors EncryptedChunkCount in filippo.io/age v1.3.2
// internal/stream.
func validStreamSize(size int64) bool {
	if size < 0 || size > math.MaxInt64-encChunkSize+1 {
		return false
	}
	chunks := (size + encChunkSize - 1) / encChunkSize
	plaintext := size - chunks*tagSize
	expected := (plaintext + chunkSize - 1) / chunkSize
	if plaintext == 0 {
		// Empty plaintext, the only case that allows (and requires) an
		// empty chunk.
		expected = 1
	}
	return expected == chunks
}

// Check is [ReadHeader], [Policy.CheckHeader], reading the rest of r to the
// end while counting it, and [Policy.CheckPayloadSize], for tests and small
// inputs. It returns nil or the first error, with the same contract as those.
func (p Policy) Check(r io.Reader) error {
	if err := p.validate(); err != nil {
		return err
	}
	header, rest, err := ReadHeader(r)
	if err != nil {
		return err
	}
	if err := p.CheckHeader(header); err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, rest)
	if err != nil {
		return fmt.Errorf("failed to read the payload: %w", err)
	}
	return p.CheckPayloadSize(n)
}
