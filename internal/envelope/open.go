package envelope

import (
	"archive/tar"
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/mod/sumdb/note"

	"testimony/keys"
)

// Sink receives the content entries of a sealed file as [Open] decrypts
// them. Nothing a Sink receives is authenticated until Open returns nil: a
// Sink must not release anything before that, and must discard everything if
// Open fails.
type Sink interface {
	// Create returns a writer for the entry name, which is a valid entry
	// name ("note.md", "answers.json", "attachments/01.jpg") of size bytes.
	// Open closes it before it creates the next.
	Create(name string, size int64) (io.WriteCloser, error)
}

// OpenOptions are the parameters of [Open].
type OpenOptions struct {
	// Identity is the reviewer's identity (a *keys.Identity).
	Identity age.Identity
	// Roster is the verified roster the device must be enrolled in.
	Roster *keys.Roster
	// ID is the submission ID the file is filed under (its name
	// <id>.age, the server's listing). It is required: a file whose
	// signed manifest names another ID is refused with [ErrWrongID].
	ID string
}

// Opened describes a file that [Open] authenticated.
type Opened struct {
	// Manifest is the signed manifest.
	Manifest *Manifest
	// Signature is the signature entry: the manifest, a blank line and
	// the signature form a signed note by the device.
	Signature []byte
}

// age payload geometry, from the age specification.
const (
	ageNonceSize    = 16
	ageChunkSize    = 64 << 10
	ageTagSize      = 16
	ageEncChunkSize = ageChunkSize + ageTagSize
	minTarSize      = 1024
)

// Open decrypts the sealed file src of size bytes with o.Identity, passes
// its content entries to sink and authenticates all of it: the age payload to
// its last chunk, the padding, the entries against the manifest, the
// manifest's signature against the device key in o.Roster, and the roster
// binding. Only if Open returns nil may the caller use what sink received.
func Open(src io.ReaderAt, size int64, sink Sink, o OpenOptions) (*Opened, error) {
	if o.Identity == nil || o.Roster == nil {
		return nil, errors.New("open needs an identity and a verified roster")
	}
	if !ValidID(o.ID) {
		return nil, fmt.Errorf("open needs the submission ID the file is filed under (32 lowercase hex digits), not %q", o.ID)
	}
	plainSize, err := checkHeader(src, size)
	if err != nil {
		return nil, err
	}
	in := &sourceReader{r: io.NewSectionReader(src, 0, size)}
	dec, err := age.Decrypt(in, o.Identity)
	if err != nil {
		return nil, classifyHeaderError(err, in)
	}
	pr := &payloadReader{r: dec, in: in}
	got, err := readArchive(pr, sink)
	if err != nil {
		if perr := pr.failure(); perr != nil {
			if errors.Is(perr, ErrTampered) && cutAtChunkBoundary(src, size, o.Identity) {
				return nil, fmt.Errorf("%w: the file ends at a chunk boundary before its last chunk", ErrTruncated)
			}
			return nil, perr
		}
		return nil, err
	}
	if pr.n != plainSize {
		// Cannot happen if age authenticated the payload.
		return nil, fmt.Errorf("%w: payload is %d bytes, expected %d", ErrTampered, pr.n, plainSize)
	}
	if uint64(pr.n) != Padme(uint64(got.tarSize)) {
		return nil, fmt.Errorf("%w: padding has the wrong length", ErrNotSealed)
	}
	m, err := verify(got, o.Roster, o.ID)
	if err != nil {
		return nil, err
	}
	return &Opened{Manifest: m, Signature: got.signature}, nil
}

// checkHeader checks the parts of the file that need no key: that it is an
// age file and that its length is one a sealed file can have. It returns the
// length of the plaintext.
func checkHeader(src io.ReaderAt, size int64) (int64, error) {
	if size == 0 {
		return 0, fmt.Errorf("%w: the file is empty", ErrTruncated)
	}
	magic := make([]byte, len("age-encryption.org/"))
	if n, _ := src.ReadAt(magic, 0); !bytes.Equal(magic[:n], []byte("age-encryption.org/")[:n]) {
		return 0, fmt.Errorf("%w: not an age file", ErrNotSealed)
	} else if n < len(magic) {
		return 0, fmt.Errorf("%w: the file ends inside the age header", ErrTruncated)
	}
	hdr, err := age.ExtractHeader(io.NewSectionReader(src, 0, size))
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return 0, fmt.Errorf("%w: the file ends inside the age header", ErrTruncated)
	case err != nil:
		return 0, fmt.Errorf("%w: the age header is malformed (%v)", ErrTampered, err)
	}
	return PayloadPlaintextSize(size - int64(len(hdr)))
}

// PayloadPlaintextSize checks, without a key, that an age payload of n bytes
// (everything after the header: nonce and chunks) can belong to a sealed
// file, and returns the length of its plaintext. Sealed plaintext is always
// padded to a PADMÉ length of at least 1024 bytes, so a file cut short or
// extended almost always fails here. The intake server uses it too.
func PayloadPlaintextSize(n int64) (int64, error) {
	payload := n - ageNonceSize
	if payload <= 0 {
		return 0, fmt.Errorf("%w: the file ends after the age header", ErrTruncated)
	}
	chunks := (payload + ageEncChunkSize - 1) / ageEncChunkSize
	plain := payload - chunks*ageTagSize
	if plain <= 0 || (plain+ageChunkSize-1)/ageChunkSize != chunks {
		return 0, fmt.Errorf("%w: the payload length is not a whole number of age chunks", ErrTruncated)
	}
	if plain < minTarSize || uint64(plain) != Padme(uint64(plain)) {
		return 0, fmt.Errorf("%w: %d bytes of content is not a length a sealed file has", ErrTruncated, plain)
	}
	return plain, nil
}

func classifyHeaderError(err error, in *sourceReader) error {
	var noMatch *age.NoIdentityMatchError
	switch {
	case in.err != nil:
		return fmt.Errorf("failed to read the file: %w", in.err)
	case errors.As(err, &noMatch):
		types := slices.Compact(slices.Sorted(slices.Values(noMatch.StanzaTypes)))
		return fmt.Errorf("%w (it is sealed to %d recipient(s) of type %v)", ErrWrongIdentity, len(noMatch.StanzaTypes), types)
	default:
		return fmt.Errorf("%w: %v", ErrTampered, err)
	}
}

// sourceReader remembers an I/O error of the underlying file, so that it is
// not reported as tampering.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// payloadReader counts the plaintext and remembers age's verdict.
type payloadReader struct {
	r   io.Reader
	in  *sourceReader
	n   int64
	err error
}

func (p *payloadReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if err != nil && err != io.EOF {
		p.err = err
	}
	return n, err
}

// failure returns the classified error of the age payload, if it failed.
func (p *payloadReader) failure() error {
	switch {
	case p.err == nil:
		return nil
	case p.in.err != nil:
		return fmt.Errorf("failed to read the file: %w", p.in.err)
	case errors.Is(p.err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: the encrypted payload ends early", ErrTruncated)
	default:
		return fmt.Errorf("%w: %v", ErrTampered, p.err)
	}
}

// archive is what readArchive found.
type archive struct {
	entries   []Entry
	manifest  []byte
	signature []byte
	tarSize   int64
}

// readArchive reads the tar stream and the padding from r, passing content
// entries to sink.
func readArchive(r *payloadReader, sink Sink) (*archive, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: archive: %s", ErrNotSealed, fmt.Sprintf(format, args...))
	}
	a := &archive{}
	tr := tar.NewReader(r)
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bad("%v", err)
		}
		if h.Typeflag != tar.TypeReg {
			return nil, bad("entry %q is not a regular file", h.Name)
		}
		for k := range h.PAXRecords {
			if k != "size" {
				return nil, bad("entry %q has an unexpected extended header %q", h.Name, k)
			}
		}
		if seen[h.Name] {
			return nil, bad("entry %q appears twice", h.Name)
		}
		seen[h.Name] = true
		switch {
		case a.signature != nil:
			return nil, bad("entry %q after the signature", h.Name)
		case h.Name == SignatureName:
			if a.manifest == nil {
				return nil, bad("signature before the manifest")
			}
			if a.signature, err = readSmall(tr, h, maxSignatureSize); err != nil {
				return nil, err
			}
		case a.manifest != nil:
			return nil, bad("entry %q after the manifest", h.Name)
		case h.Name == ManifestName:
			if a.manifest, err = readSmall(tr, h, maxManifestSize); err != nil {
				return nil, err
			}
		case !validEntryName(h.Name):
			return nil, bad("unexpected entry %q", h.Name)
		case len(a.entries) >= maxEntries:
			return nil, bad("more than %d entries", maxEntries)
		default:
			w, err := sink.Create(h.Name, h.Size)
			if err != nil {
				return nil, err
			}
			n, sum, err := hashedCopy(w, tr)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, fmt.Errorf("failed to open %s: %w", h.Name, err)
			}
			a.entries = append(a.entries, Entry{Name: h.Name, Size: n, SHA256: sum})
		}
	}
	a.tarSize = r.n
	// Everything after the end-of-archive marker is padding and must be
	// zero. Reading it to the end also makes age authenticate the last
	// chunk.
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if slices.ContainsFunc(buf[:n], func(b byte) bool { return b != 0 }) {
			return nil, bad("non-zero bytes after the end of the archive")
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case a.manifest == nil:
		return nil, bad("no manifest")
	case a.signature == nil:
		return nil, fmt.Errorf("%w: the file is not signed", ErrBadSignature)
	}
	return a, nil
}

func readSmall(tr *tar.Reader, h *tar.Header, limit int64) ([]byte, error) {
	if h.Size > limit {
		return nil, fmt.Errorf("%w: archive: %s is larger than %d bytes", ErrNotSealed, h.Name, limit)
	}
	return io.ReadAll(tr)
}

// verify checks the manifest's signature, the entries against it, the
// submission ID and the roster binding.
func verify(a *archive, roster *keys.Roster, id string) (*Manifest, error) {
	m, err := ParseManifest(a.manifest)
	if err != nil {
		return nil, err
	}
	key, ok := roster.Device(m.Device)
	if !ok {
		return nil, fmt.Errorf("%w: device %q is not in roster version %d (if it was removed since, open the file with the roster version it was sealed under, %d)", ErrUnknownDevice, m.Device, roster.Version, m.RosterVersion)
	}
	signed := slices.Concat(a.manifest, []byte("\n"), a.signature)
	n, err := note.Open(signed, note.VerifierList(key.Note()))
	var unverified *note.UnverifiedNoteError
	switch {
	case errors.As(err, &unverified):
		return nil, fmt.Errorf("%w: it is not signed by the key enrolled for device %q (if the device was enrolled again with a new key since, open the file with the roster version it was sealed under, %d)", ErrBadSignature, m.Device, m.RosterVersion)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	case len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 0 || n.Text != string(a.manifest):
		return nil, fmt.Errorf("%w: expected exactly one signature, by device %q", ErrBadSignature, m.Device)
	}
	if !slices.Equal(a.entries, m.Entries) {
		return nil, fmt.Errorf("%w: the contents do not match the signed manifest", ErrTampered)
	}
	if m.ID != id {
		return nil, &WrongIDError{Filed: id, Signed: m.ID}
	}
	switch {
	case m.Org != roster.Org:
		return nil, fmt.Errorf("%w (sealed for %q, your roster is for %q)", ErrRosterMismatch, m.Org, roster.Org)
	case m.RosterVersion > roster.Version:
		return nil, fmt.Errorf("%w (sealed under version %d, yours is %d)", ErrRosterOutdated, m.RosterVersion, roster.Version)
	case m.RosterVersion == roster.Version && !slices.Equal(m.Recipients, recipientFingerprints(roster)):
		return nil, fmt.Errorf("%w (version %d)", ErrRosterMismatch, roster.Version)
	}
	return m, nil
}

// cutAtChunkBoundary reports whether the final chunk of the age file src
// authenticates as a chunk that is not the last one: then the file was cut
// at a chunk boundary, rather than changed. age reports both as an
// authentication failure; this tells a reviewer which one happened. It
// follows the STREAM construction of the age specification.
func cutAtChunkBoundary(src io.ReaderAt, size int64, id age.Identity) bool {
	hdr, err := age.ExtractHeader(io.NewSectionReader(src, 0, size))
	if err != nil {
		return false
	}
	fileKey, err := age.DecryptHeader(hdr, id)
	if err != nil {
		return false
	}
	start := int64(len(hdr))
	nonce := make([]byte, ageNonceSize)
	if _, err := src.ReadAt(nonce, start); err != nil {
		return false
	}
	payload := size - start - ageNonceSize
	if payload < ageEncChunkSize || payload%ageEncChunkSize != 0 {
		return false
	}
	last := payload/ageEncChunkSize - 1
	chunk := make([]byte, ageEncChunkSize)
	if _, err := src.ReadAt(chunk, start+ageNonceSize+last*ageEncChunkSize); err != nil {
		return false
	}
	key, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		return false
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return false
	}
	var chunkNonce [chacha20poly1305.NonceSize]byte
	binary.BigEndian.PutUint64(chunkNonce[3:11], uint64(last)) // last-chunk flag (byte 11) is 0
	_, err = aead.Open(chunk[:0], chunkNonce[:], chunk, nil)
	return err == nil
}
