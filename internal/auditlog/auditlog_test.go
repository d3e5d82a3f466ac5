package auditlog_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/auditlog"
)

// logName is the name of the test log key, and so the origin of its
// checkpoints.
const logName = "testimony-log-0123456789abcdef"

// newLogKey makes a log key pair named name.
func newLogKey(t testing.TB, name string) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, verifier
}

// digest returns a digest of 32 bytes of b.
func digest(b byte) [32]byte { return [32]byte(bytes.Repeat([]byte{b}, 32)) }

// ptr returns a pointer to a copy of d.
func ptr(d [32]byte) *[32]byte { return &d }

// leafFull is a canonical leaf with every field present.
const leafFull = "testimony log leaf v1 submission\n" +
	"id 0123456789abcdef0123456789abcdef\n" +
	"sha256 abababababababababababababababababababababababababababababababab\n" +
	"reid cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\n" +
	"device laptop-1\n" +
	"day 2026-11-22\n"

// subFull is the submission leafFull records.
var subFull = auditlog.Submission{
	ID:     "0123456789abcdef0123456789abcdef",
	SHA256: digest(0xab),
	Reid:   ptr(digest(0xcd)),
	Device: "laptop-1",
	Day:    "2026-11-22",
}

// editLeaf returns leafFull with the first old replaced by new. It fails the
// test if leafFull has no old, so that a typo cannot make a case pass.
func editLeaf(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(leafFull, old) {
		t.Fatalf("the leaf has no %q", old)
	}
	return strings.Replace(leafFull, old, new, 1)
}

func TestLeafRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		sub  auditlog.Submission
		leaf string
	}{
		// Every field present.
		{"full", subFull, leafFull},
		// No re-identification record and no device token: both are "-".
		{"bare", auditlog.Submission{ID: subFull.ID, SHA256: subFull.SHA256, Day: subFull.Day},
			"testimony log leaf v1 submission\n" +
				"id 0123456789abcdef0123456789abcdef\n" +
				"sha256 abababababababababababababababababababababababababababababababab\n" +
				"reid -\n" +
				"device -\n" +
				"day 2026-11-22\n"},
		// A re-identification record, submitted without a device token.
		{"reid only", auditlog.Submission{ID: subFull.ID, SHA256: subFull.SHA256, Reid: subFull.Reid, Day: subFull.Day},
			strings.Replace(leafFull, "device laptop-1\n", "device -\n", 1)},
		// A device token, no re-identification record.
		{"device only", auditlog.Submission{ID: subFull.ID, SHA256: subFull.SHA256, Device: "laptop-1", Day: subFull.Day},
			strings.Replace(leafFull, "reid "+strings.Repeat("cd", 32), "reid -", 1)},
		// The longest device ID, with every punctuation mark it may hold.
		{"long device", auditlog.Submission{ID: subFull.ID, SHA256: subFull.SHA256, Reid: subFull.Reid, Device: "A._-" + strings.Repeat("z", 60), Day: subFull.Day},
			strings.Replace(leafFull, "device laptop-1", "device A._-"+strings.Repeat("z", 60), 1)},
		// A leap day is a day.
		{"leap day", auditlog.Submission{ID: subFull.ID, SHA256: subFull.SHA256, Reid: subFull.Reid, Device: "laptop-1", Day: "2028-02-29"},
			strings.Replace(leafFull, "2026-11-22", "2028-02-29", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.sub.MarshalLeaf()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.leaf {
				t.Fatalf("MarshalLeaf:\n%s\nwant:\n%s", got, tc.leaf)
			}
			parsed, err := auditlog.ParseLeaf([]byte(tc.leaf))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(parsed, &tc.sub) {
				t.Fatalf("ParseLeaf = %+v, want %+v", parsed, &tc.sub)
			}
		})
	}
}

func TestParseLeafRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		leaf func(t *testing.T) string
	}{
		// An empty leaf.
		{"empty", func(*testing.T) string { return "" }},
		// A later version of the format.
		{"header v2", func(t *testing.T) string { return editLeaf(t, "leaf v1", "leaf v2") }},
		// The header must be followed by a kind.
		{"header without kind", func(t *testing.T) string { return editLeaf(t, "v1 submission\n", "v1\n") }},
		// A kind this package does not know.
		{"unknown kind", func(t *testing.T) string { return editLeaf(t, "submission\n", "custodian\n") }},
		// The kind is a word: no trailing space.
		{"kind with trailing space", func(t *testing.T) string { return editLeaf(t, "submission\n", "submission \n") }},
		// Hex is lowercase in the ID...
		{"uppercase id", func(t *testing.T) string { return editLeaf(t, "0123456789abcdef0123", "0123456789ABCDEF0123") }},
		// ... in the digest of the sealed file...
		{"uppercase sha256", func(t *testing.T) string { return editLeaf(t, "sha256 abab", "sha256 ABab") }},
		// ... and in the digest of the re-identification record.
		{"uppercase reid", func(t *testing.T) string { return editLeaf(t, "reid cdcd", "reid CDcd") }},
		// An ID is 32 hex digits.
		{"short id", func(t *testing.T) string { return editLeaf(t, "id 01", "id ") }},
		// A digest of 31 bytes.
		{"short digest", func(t *testing.T) string { return editLeaf(t, "sha256 abab", "sha256 ") }},
		// A digest of 33 bytes.
		{"long digest", func(t *testing.T) string { return editLeaf(t, "sha256 ", "sha256 00") }},
		// An odd number of hex digits.
		{"odd digest", func(t *testing.T) string { return editLeaf(t, "sha256 a", "sha256 ") }},
		// Not hex at all.
		{"non-hex digest", func(t *testing.T) string { return editLeaf(t, "sha256 ab", "sha256 zz") }},
		// The sealed file's digest is never "-".
		{"sha256 dash", func(t *testing.T) string {
			return editLeaf(t, "sha256 "+strings.Repeat("ab", 32), "sha256 -")
		}},
		// No re-identification record is "-", never empty.
		{"empty reid", func(t *testing.T) string { return editLeaf(t, "reid "+strings.Repeat("cd", 32), "reid ") }},
		// No device is "-", never empty.
		{"empty device", func(t *testing.T) string { return editLeaf(t, "device laptop-1", "device ") }},
		// A device ID starts with a letter or digit.
		{"device starting with a dot", func(t *testing.T) string { return editLeaf(t, "device laptop-1", "device .laptop") }},
		// A device ID has no spaces.
		{"device with a space", func(t *testing.T) string { return editLeaf(t, "device laptop-1", "device laptop 1") }},
		// A device ID is at most 64 characters.
		{"device too long", func(t *testing.T) string {
			return editLeaf(t, "device laptop-1", "device "+strings.Repeat("d", 65))
		}},
		// February has no 30th.
		{"day 2026-02-30", func(t *testing.T) string { return editLeaf(t, "2026-11-22", "2026-02-30") }},
		// 2027 is not a leap year.
		{"day 2027-02-29", func(t *testing.T) string { return editLeaf(t, "2026-11-22", "2027-02-29") }},
		// The month has two digits.
		{"day 2026-1-02", func(t *testing.T) string { return editLeaf(t, "2026-11-22", "2026-1-02") }},
		// A day, not a time.
		{"day with time", func(t *testing.T) string { return editLeaf(t, "2026-11-22", "2026-11-22T10:00:00Z") }},
		// Nothing follows the day line...
		{"extra line", func(t *testing.T) string { return leafFull + "note hello\n" }},
		// ... not even an empty line.
		{"extra empty line", func(t *testing.T) string { return leafFull + "\n" }},
		// The last line ends in a newline.
		{"missing trailing newline", func(*testing.T) string { return strings.TrimSuffix(leafFull, "\n") }},
		// The fields come in their order.
		{"fields out of order", func(t *testing.T) string {
			return editLeaf(t, "reid "+strings.Repeat("cd", 32)+"\ndevice laptop-1\n", "device laptop-1\nreid "+strings.Repeat("cd", 32)+"\n")
		}},
		// Every field is there, "-" when empty.
		{"missing field", func(t *testing.T) string { return editLeaf(t, "device laptop-1\n", "") }},
		// A field once only.
		{"repeated field", func(t *testing.T) string {
			return editLeaf(t, "device laptop-1\n", "device laptop-1\ndevice laptop-1\n")
		}},
		// Field names are lowercase.
		{"uppercase field name", func(t *testing.T) string { return editLeaf(t, "\nday ", "\nDAY ") }},
		// Lines end in LF, not CRLF.
		{"CRLF", func(*testing.T) string { return strings.ReplaceAll(leafFull, "\n", "\r\n") }},
		// One CRLF is as bad as all of them.
		{"one CRLF", func(t *testing.T) string { return editLeaf(t, "2026-11-22\n", "2026-11-22\r\n") }},
		// No space after a value.
		{"trailing space", func(t *testing.T) string { return editLeaf(t, "2026-11-22\n", "2026-11-22 \n") }},
		// One space between a name and its value.
		{"two spaces", func(t *testing.T) string { return editLeaf(t, "day ", "day  ") }},
		// A tab is not a space.
		{"tab", func(t *testing.T) string { return editLeaf(t, "day ", "day\t") }},
		// No byte order mark.
		{"BOM", func(*testing.T) string { return "\uFEFF" + leafFull }},
		// A leaf larger than MaxLeafSize is refused before it is read.
		{"oversize", func(*testing.T) string { return leafFull + strings.Repeat("x", auditlog.MaxLeafSize) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaf := tc.leaf(t)
			s, err := auditlog.ParseLeaf([]byte(leaf))
			if !errors.Is(err, auditlog.ErrMalformed) {
				t.Fatalf("ParseLeaf(%q) = %+v, %v; want ErrMalformed", leaf, s, err)
			}
		})
	}
}

func TestMarshalLeafRejects(t *testing.T) {
	with := func(edit func(*auditlog.Submission)) auditlog.Submission {
		s := subFull
		edit(&s)
		return s
	}
	for _, tc := range []struct {
		name string
		sub  auditlog.Submission
	}{
		// "" means no device; "-" is how the leaf writes that, not a device ID.
		{"device dash", with(func(s *auditlog.Submission) { s.Device = "-" })},
		// A device ID with a newline would add a line to the leaf.
		{"device with newline", with(func(s *auditlog.Submission) { s.Device = "laptop\nday 2026-01-01" })},
		// A device ID has no spaces.
		{"device with space", with(func(s *auditlog.Submission) { s.Device = "laptop 1" })},
		// A device ID is at most 64 characters.
		{"device too long", with(func(s *auditlog.Submission) { s.Device = strings.Repeat("d", 65) })},
		// A submission always has an ID...
		{"empty id", with(func(s *auditlog.Submission) { s.ID = "" })},
		// ... of 32 hex digits...
		{"short id", with(func(s *auditlog.Submission) { s.ID = s.ID[:31] })},
		// ... in lowercase.
		{"uppercase id", with(func(s *auditlog.Submission) { s.ID = strings.ToUpper(s.ID) })},
		// A submission always has a day.
		{"empty day", with(func(s *auditlog.Submission) { s.Day = "" })},
		// A day that does not exist.
		{"day 2026-02-30", with(func(s *auditlog.Submission) { s.Day = "2026-02-30" })},
		// A day in another form.
		{"day 2026-1-02", with(func(s *auditlog.Submission) { s.Day = "2026-1-02" })},
		// A day in a local form.
		{"day 22.11.2026", with(func(s *auditlog.Submission) { s.Day = "22.11.2026" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaf, err := tc.sub.MarshalLeaf()
			if !errors.Is(err, auditlog.ErrMalformed) {
				t.Fatalf("MarshalLeaf(%+v) = %q, %v; want ErrMalformed", tc.sub, leaf, err)
			}
		})
	}
}

// TestLeafHash checks the leaf hash against RFC 6962 §2.1 computed here.
func TestLeafHash(t *testing.T) {
	want := sha256.Sum256(append([]byte{0}, leafFull...))
	if got := auditlog.LeafHash([]byte(leafFull)); got != tlog.Hash(want) {
		t.Fatalf("LeafHash = %x, want SHA-256(0x00 || leaf) = %x", [32]byte(got), want)
	}
}

// b64 is a root hash in standard base64.
func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func TestCheckpointRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		cp   auditlog.Checkpoint
		text string
	}{
		// The empty tree.
		{"empty", auditlog.Checkpoint{Origin: logName, Size: 0, Root: tlog.Hash(sha256.Sum256(nil))},
			logName + "\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"},
		// One leaf.
		{"one", auditlog.Checkpoint{Origin: logName, Size: 1, Root: tlog.Hash(digest(0xff))},
			logName + "\n1\n//////////////////////////////////////////8=\n"},
		// The largest size there is.
		{"largest", auditlog.Checkpoint{Origin: "example.org/log", Size: 1<<63 - 1, Root: tlog.Hash{}},
			"example.org/log\n9223372036854775807\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cp.Text(); got != tc.text {
				t.Fatalf("Text() = %q, want %q", got, tc.text)
			}
			got, err := auditlog.ParseCheckpoint(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.cp {
				t.Fatalf("ParseCheckpoint = %+v, want %+v", got, tc.cp)
			}
		})
	}
}

func TestParseCheckpointRejects(t *testing.T) {
	root := b64(tlog.Hash(digest(0x11)))
	good := logName + "\n5\n" + root + "\n"
	if _, err := auditlog.ParseCheckpoint(good); err != nil {
		t.Fatalf("the checkpoint the cases edit does not parse: %v", err)
	}
	for _, tc := range []struct {
		name string
		text string
	}{
		// Nothing.
		{"empty", ""},
		// The C2SP form allows extension lines; this log has none.
		{"extension line", good + "extension\n"},
		// Not even an empty one.
		{"empty extension line", good + "\n"},
		// The last line ends in a newline.
		{"missing newline", strings.TrimSuffix(good, "\n")},
		// A checkpoint names its log.
		{"empty origin", "\n5\n" + root + "\n"},
		// A checkpoint has a size.
		{"missing size", logName + "\n" + root + "\n"},
		// Sizes have no leading zeros...
		{"size 05", logName + "\n05\n" + root + "\n"},
		// ... not even "01"...
		{"size 01", logName + "\n01\n" + root + "\n"},
		// ... no sign...
		{"size +5", logName + "\n+5\n" + root + "\n"},
		// ... are never negative...
		{"size -1", logName + "\n-1\n" + root + "\n"},
		// ... not even zero...
		{"size -0", logName + "\n-0\n" + root + "\n"},
		// ... are written in decimal...
		{"size 0x5", logName + "\n0x5\n" + root + "\n"},
		// ... with digits only...
		{"size 5 with space", logName + "\n5 \n" + root + "\n"},
		// ... and fit in 63 bits.
		{"size 2^63", logName + "\n9223372036854775808\n" + root + "\n"},
		// The root is base64.
		{"root not base64", logName + "\n5\n!!!!\n"},
		// Standard base64 with padding, not URL base64...
		{"root url base64", logName + "\n5\n" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 32)) + "\n"},
		// ... and not unpadded.
		{"root unpadded", logName + "\n5\n" + strings.TrimSuffix(root, "=") + "\n"},
		// A root is 32 bytes, not 31...
		{"root 31 bytes", logName + "\n5\n" + base64.StdEncoding.EncodeToString(make([]byte, 31)) + "\n"},
		// ... nor 33.
		{"root 33 bytes", logName + "\n5\n" + base64.StdEncoding.EncodeToString(make([]byte, 33)) + "\n"},
		// The root's encoding is canonical: the unused bits are zero. (The
		// Go decoder accepts this and decodes it to 32 zero bytes.)
		{"root non-canonical base64", logName + "\n5\n" + strings.Repeat("A", 42) + "B=\n"},
		// Lines end in LF.
		{"CRLF", strings.ReplaceAll(good, "\n", "\r\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := auditlog.ParseCheckpoint(tc.text)
			if !errors.Is(err, auditlog.ErrMalformed) {
				t.Fatalf("ParseCheckpoint(%q) = %+v, %v; want ErrMalformed", tc.text, c, err)
			}
		})
	}
}

// sign signs c with signer, failing the test if Sign refuses it.
func sign(t testing.TB, c auditlog.Checkpoint, signer note.Signer) []byte {
	t.Helper()
	signed, err := auditlog.Sign(c, signer)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// signText signs any text with note.Sign, as a server that does not use
// Sign could.
func signText(t testing.TB, text string, signers ...note.Signer) []byte {
	t.Helper()
	signed, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func TestSignOpen(t *testing.T) {
	signer, verifier := newLogKey(t, logName)
	sameName, _ := newLogKey(t, logName)
	otherName, _ := newLogKey(t, "testimony-log-other")
	cp := auditlog.Checkpoint{Origin: logName, Size: 3, Root: tlog.Hash(digest(0x33))}
	signed := sign(t, cp, signer)

	got, err := auditlog.Open(signed, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if got != cp {
		t.Fatalf("Open = %+v, want %+v", got, cp)
	}
	// A witness may add its cosignature: the log's own signature is enough.
	cosigned := signText(t, cp.Text(), signer, otherName)
	if got, err := auditlog.Open(cosigned, verifier); err != nil || got != cp {
		t.Fatalf("Open(cosigned) = %+v, %v; want %+v", got, err, cp)
	}

	for _, tc := range []struct {
		name   string
		signed []byte
		want   error
	}{
		// Another key of the same name: the key hash differs.
		{"same name, other key", sign(t, cp, sameName), auditlog.ErrSignature},
		// Another log's key, for its own origin.
		{"other log", sign(t, auditlog.Checkpoint{Origin: otherName.Name(), Size: 3, Root: cp.Root}, otherName), auditlog.ErrSignature},
		// The size edited after signing.
		{"size edited", bytes.Replace(signed, []byte("\n3\n"), []byte("\n4\n"), 1), auditlog.ErrSignature},
		// The root edited after signing.
		{"root edited", bytes.Replace(signed, []byte(b64(cp.Root)), []byte(b64(tlog.Hash(digest(0x44)))), 1), auditlog.ErrSignature},
		// The log key signed a checkpoint of another origin.
		{"origin not the key's name", signText(t, auditlog.Checkpoint{Origin: "testimony-log-other", Size: 3, Root: cp.Root}.Text(), signer), auditlog.ErrSignature},
		// The log key signed a checkpoint with an extension line.
		{"signed extension line", signText(t, cp.Text()+"extension\n", signer), auditlog.ErrMalformed},
		// The log key signed something that is not a checkpoint.
		{"signed non-checkpoint", signText(t, "hello\n", signer), auditlog.ErrMalformed},
		// No signature at all.
		{"unsigned", []byte(cp.Text()), auditlog.ErrMalformed},
		// Nothing.
		{"empty", nil, auditlog.ErrMalformed},
		// Random bytes.
		{"garbage", []byte("\x00\xffnot a note"), auditlog.ErrMalformed},
		// A signature line that is not base64.
		{"bad signature line", append(slices.Clone(signed[:len(cp.Text())+1]), "— "+logName+" !!!!\n"...), auditlog.ErrMalformed},
		// A signed checkpoint larger than MaxCheckpointSize is refused
		// before it is read, even if the log key signed it.
		{"oversize", oversize(signed), auditlog.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := auditlog.Open(tc.signed, verifier)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %+v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// oversize returns signed with (unverifiable) cosignatures added until it is
// larger than MaxCheckpointSize.
func oversize(signed []byte) []byte {
	b := slices.Clone(signed)
	for i := 0; len(b) <= auditlog.MaxCheckpointSize; i++ {
		name := fmt.Sprintf("witness-%d-%s", i, strings.Repeat("w", 200))
		b = fmt.Appendf(b, "— %s %s\n", name, base64.StdEncoding.EncodeToString(make([]byte, 68)))
	}
	return b
}

func TestSignRefusesOtherOrigin(t *testing.T) {
	signer, _ := newLogKey(t, logName)
	cp := auditlog.Checkpoint{Origin: "testimony-log-other", Size: 3, Root: tlog.Hash(digest(0x33))}
	if signed, err := auditlog.Sign(cp, signer); err == nil {
		t.Fatalf("Sign signed a checkpoint of another origin:\n%s", signed)
	}
}

// TestSignRefusesMalformed: Sign never signs what every client's Open
// would reject as malformed (a negative size, an origin with a newline).
func TestSignRefusesMalformed(t *testing.T) {
	signer, _ := newLogKey(t, logName)
	for _, cp := range []auditlog.Checkpoint{
		{Origin: logName, Size: -1, Root: tlog.Hash(digest(0x33))},
		{Origin: logName + "\nextra", Size: 3, Root: tlog.Hash(digest(0x33))},
	} {
		if signed, err := auditlog.Sign(cp, signer); err == nil {
			t.Errorf("Sign signed a malformed checkpoint:\n%s", signed)
		}
	}
}

// memTree is a log kept in memory the way tlog keeps one: its stored hashes.
type memTree struct {
	leaves [][]byte
	stored []tlog.Hash
}

// reader reads the stored hashes.
func (m *memTree) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hs := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= int64(len(m.stored)) {
				return nil, fmt.Errorf("no stored hash %d", x)
			}
			hs[i] = m.stored[x]
		}
		return hs, nil
	})
}

// add appends a leaf.
func (m *memTree) add(t testing.TB, leaf []byte) {
	t.Helper()
	hs, err := tlog.StoredHashes(int64(len(m.leaves)), leaf, m.reader())
	if err != nil {
		t.Fatal(err)
	}
	m.stored = append(m.stored, hs...)
	m.leaves = append(m.leaves, leaf)
}

// checkpoint returns the checkpoint of the first n leaves.
func (m *memTree) checkpoint(t testing.TB, n int64) auditlog.Checkpoint {
	t.Helper()
	root, err := tlog.TreeHash(n, m.reader())
	if err != nil {
		t.Fatal(err)
	}
	return auditlog.Checkpoint{Origin: logName, Size: n, Root: root}
}

// inclusion returns the wire proof of leaf index in the tree of size n.
func (m *memTree) inclusion(t testing.TB, n, index int64) [][]byte {
	t.Helper()
	p, err := tlog.ProveRecord(n, index, m.reader())
	if err != nil {
		t.Fatal(err)
	}
	return auditlog.Wire(p)
}

// consistency returns the wire proof that the tree of size n extends the
// tree of size older.
func (m *memTree) consistency(t testing.TB, n, older int64) [][]byte {
	t.Helper()
	p, err := tlog.ProveTree(n, older, m.reader())
	if err != nil {
		t.Fatal(err)
	}
	return auditlog.Wire(p)
}

// testTree returns a tree of n submission leaves.
func testTree(t testing.TB, n int) *memTree {
	t.Helper()
	m := &memTree{}
	for i := range n {
		leaf, err := auditlog.Submission{
			ID:     fmt.Sprintf("%032x", i),
			SHA256: sha256.Sum256(fmt.Appendf(nil, "sealed file %d", i)),
			Day:    "2026-11-22",
		}.MarshalLeaf()
		if err != nil {
			t.Fatal(err)
		}
		m.add(t, leaf)
	}
	return m
}

// cloneProof copies a wire proof, so that a case can change it.
func cloneProof(p [][]byte) [][]byte {
	c := make([][]byte, len(p))
	for i := range p {
		c[i] = slices.Clone(p[i])
	}
	return c
}

func TestHashesWire(t *testing.T) {
	p := []tlog.Hash{tlog.Hash(digest(1)), tlog.Hash(digest(2))}
	got, err := auditlog.Hashes(auditlog.Wire(p))
	if err != nil || !slices.Equal(got, p) {
		t.Fatalf("Hashes(Wire(p)) = %v, %v; want %v", got, err, p)
	}
	if got, err := auditlog.Hashes(nil); err != nil || len(got) != 0 {
		t.Fatalf("Hashes(nil) = %v, %v; want an empty proof", got, err)
	}
	// The longest proof a tree of 2⁶³ leaves needs, and one more.
	if _, err := auditlog.Hashes(make([][]byte, 64)); !errors.Is(err, auditlog.ErrMalformed) {
		t.Fatalf("Hashes of 64 empty values: %v; want ErrMalformed", err)
	}
	long := slices.Repeat([][]byte{make([]byte, 32)}, 65)
	if _, err := auditlog.Hashes(long); !errors.Is(err, auditlog.ErrMalformed) {
		t.Fatalf("Hashes of 65 hashes: %v; want ErrMalformed", err)
	}
	if _, err := auditlog.Hashes(long[:64]); err != nil {
		t.Fatalf("Hashes of 64 hashes: %v", err)
	}
}

func TestCheckInclusion(t *testing.T) {
	const size = 13
	m := testTree(t, size)
	// Every leaf of every tree size.
	for n := int64(1); n <= size; n++ {
		cp := m.checkpoint(t, n)
		for i := range n {
			if err := auditlog.CheckInclusion(cp, i, m.leaves[i], m.inclusion(t, n, i)); err != nil {
				t.Fatalf("leaf %d of %d: %v", i, n, err)
			}
		}
	}

	const index = 5
	cp := m.checkpoint(t, size)
	proof := m.inclusion(t, size, index)
	for _, tc := range []struct {
		name  string
		cp    auditlog.Checkpoint
		index int64
		leaf  []byte
		proof [][]byte
		want  error
	}{
		// The leaf was changed.
		{"changed leaf", cp, index, bytes.Replace(m.leaves[index], []byte("2026-11-22"), []byte("2026-11-23"), 1), proof, auditlog.ErrNotIncluded},
		// Another leaf of the tree, at this leaf's index.
		{"other leaf", cp, index, m.leaves[index+1], proof, auditlog.ErrNotIncluded},
		// The leaf, at the wrong index.
		{"wrong index", cp, index + 1, m.leaves[index], proof, auditlog.ErrNotIncluded},
		// An index the tree does not have.
		{"index = size", cp, size, m.leaves[index], proof, auditlog.ErrNotIncluded},
		// Nor this one.
		{"index > size", cp, size + 1, m.leaves[index], proof, auditlog.ErrNotIncluded},
		// Nor a negative one.
		{"negative index", cp, -1, m.leaves[index], proof, auditlog.ErrNotIncluded},
		// An empty tree holds nothing.
		{"empty tree", m.checkpoint(t, 0), 0, m.leaves[0], nil, auditlog.ErrNotIncluded},
		// The checkpoint of another tree.
		{"other root", auditlog.Checkpoint{Origin: logName, Size: size, Root: tlog.Hash(digest(7))}, index, m.leaves[index], proof, auditlog.ErrNotIncluded},
		// The checkpoint of a smaller tree, whose proof has as many hashes.
		{"other size", m.checkpoint(t, size-1), index, m.leaves[index], proof, auditlog.ErrNotIncluded},
		// One bit of the proof flipped.
		{"flipped byte", cp, index, m.leaves[index], func() [][]byte { p := cloneProof(proof); p[1][7] ^= 1; return p }(), auditlog.ErrNotIncluded},
		// The last hash of the proof left off.
		{"truncated proof", cp, index, m.leaves[index], proof[:len(proof)-1], auditlog.ErrNotIncluded},
		// A hash too many.
		{"extra hash", cp, index, m.leaves[index], append(cloneProof(proof), make([]byte, 32)), auditlog.ErrNotIncluded},
		// No proof.
		{"no proof", cp, index, m.leaves[index], nil, auditlog.ErrNotIncluded},
		// The proof in the wrong order.
		{"reversed proof", cp, index, m.leaves[index], func() [][]byte { p := cloneProof(proof); slices.Reverse(p); return p }(), auditlog.ErrNotIncluded},
		// A proof hash of 31 bytes is not a hash.
		{"31-byte hash", cp, index, m.leaves[index], func() [][]byte { p := cloneProof(proof); p[0] = p[0][:31]; return p }(), auditlog.ErrMalformed},
		// Nor is one of 33.
		{"33-byte hash", cp, index, m.leaves[index], func() [][]byte { p := cloneProof(proof); p[0] = append(p[0], 0); return p }(), auditlog.ErrMalformed},
		// No tree needs a proof of 65 hashes.
		{"65 hashes", cp, index, m.leaves[index], append(cloneProof(proof), slices.Repeat([][]byte{make([]byte, 32)}, 65-len(proof))...), auditlog.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := auditlog.CheckInclusion(tc.cp, tc.index, tc.leaf, tc.proof); !errors.Is(err, tc.want) {
				t.Fatalf("CheckInclusion = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCheckConsistency(t *testing.T) {
	const size = 13
	m := testTree(t, size)
	// Every pair of tree sizes, the empty tree included.
	for newer := int64(0); newer <= size; newer++ {
		for older := int64(0); older <= newer; older++ {
			var proof [][]byte
			if older > 0 {
				proof = m.consistency(t, newer, older)
			}
			if err := auditlog.CheckConsistency(m.checkpoint(t, older), m.checkpoint(t, newer), proof); err != nil {
				t.Fatalf("%d to %d: %v", older, newer, err)
			}
		}
	}

	older, newer := m.checkpoint(t, 6), m.checkpoint(t, size)
	proof := m.consistency(t, size, 6)
	// other is a tree of the same size as newer, with leaf 3 (in the older tree) changed.
	other := &memTree{}
	for i, leaf := range m.leaves {
		if i == 3 {
			leaf = append(slices.Clone(leaf), 'x')
		}
		other.add(t, leaf)
	}
	for _, tc := range []struct {
		name         string
		older, newer auditlog.Checkpoint
		proof        [][]byte
		want         error // nil: any error
	}{
		// The log shrank.
		{"newer smaller", newer, older, proof, auditlog.ErrRollback},
		// Two trees of one size with different roots.
		{"same size, other root", newer, other.checkpoint(t, size), nil, auditlog.ErrFork},
		// A tree that changed a leaf after the older checkpoint: its proof
		// cannot make it consistent.
		{"changed history", older, other.checkpoint(t, size), other.consistency(t, size, 6), auditlog.ErrFork},
		// The older root changed.
		{"other older root", auditlog.Checkpoint{Origin: logName, Size: 6, Root: tlog.Hash(digest(6))}, newer, proof, auditlog.ErrFork},
		// One bit of the proof flipped.
		{"flipped byte", older, newer, func() [][]byte { p := cloneProof(proof); p[0][31] ^= 0x80; return p }(), auditlog.ErrFork},
		// The last hash of the proof left off.
		{"truncated proof", older, newer, proof[:len(proof)-1], auditlog.ErrFork},
		// A hash too many.
		{"extra hash", older, newer, append(cloneProof(proof), make([]byte, 32)), auditlog.ErrFork},
		// No proof.
		{"no proof", older, newer, nil, auditlog.ErrFork},
		// The proof for another older size.
		{"proof for another size", older, newer, m.consistency(t, size, 5), auditlog.ErrFork},
		// A proof hash of 31 bytes.
		{"31-byte hash", older, newer, func() [][]byte { p := cloneProof(proof); p[0] = p[0][:31]; return p }(), auditlog.ErrMalformed},
		// A proof of 65 hashes.
		{"65 hashes", older, newer, append(cloneProof(proof), slices.Repeat([][]byte{make([]byte, 32)}, 65-len(proof))...), auditlog.ErrMalformed},
		// Checkpoints of two logs say nothing about each other.
		{"other origin", older, auditlog.Checkpoint{Origin: "testimony-log-other", Size: newer.Size, Root: newer.Root}, proof, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := auditlog.CheckConsistency(tc.older, tc.newer, tc.proof)
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("CheckConsistency = %v, want %v", err, tc.want)
			}
		})
	}

	// A checkpoint is consistent with itself, with any proof or none.
	if err := auditlog.CheckConsistency(newer, newer, nil); err != nil {
		t.Fatalf("a checkpoint and itself: %v", err)
	}
	if err := auditlog.CheckConsistency(newer, newer, proof); err != nil {
		t.Fatalf("a checkpoint and itself, with a proof: %v", err)
	}
}

var update = flag.Bool("update", false, "rewrite the frozen files in testdata/v1 (never for a released format)")

const v1Dir = "testdata/v1"

// v1Leaves are the frozen leaves, in their order in the frozen tree, with
// the submissions they record and their leaf hashes, computed once.
var v1Leaves = []struct {
	file string
	sub  auditlog.Submission
	hash string
}{
	{"leaf-bare.txt", auditlog.Submission{
		ID:     "00112233445566778899aabbccddeeff",
		SHA256: sha256.Sum256([]byte("sealed file 0")),
		Day:    "2026-03-14",
	}, "ad4c5d8e1e825f9c0c91504f29ac29b4ed262a79002057265ecb46d57f51ab8b"},
	{"leaf-reid-device.txt", auditlog.Submission{
		ID:     "0123456789abcdef0123456789abcdef",
		SHA256: sha256.Sum256([]byte("sealed file 1")),
		Reid:   ptr(sha256.Sum256([]byte("re-identification record 1"))),
		Device: "laptop-1",
		Day:    "2026-03-14",
	}, "fbd93fe18ba7d25e15aaf9835a26e5e67d92cb9664119f0d2ed6edebe816df1a"},
	{"leaf-reid.txt", auditlog.Submission{
		ID:     "fedcba9876543210fedcba9876543210",
		SHA256: sha256.Sum256([]byte("sealed file 2")),
		Reid:   ptr(sha256.Sum256([]byte("re-identification record 2"))),
		Day:    "2026-03-15",
	}, "9927a5c7b2225768f74614e7d8200cc56c58a2515f343d55a840619350787e23"},
}

// v1Root is the root of the frozen tree, computed once.
const v1Root = "25b6e0adac4a9f361cc02345624a2af14810ca550698ba3dc4dc9adf4c62bef8"

// v1Inclusion is the form of testdata/v1/inclusion.json, the form in which
// the server sends an inclusion proof.
type v1Inclusion struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Proof [][]byte `json:"proof"`
}

// TestVectorsV1 reads leaves, a signed checkpoint and an inclusion proof
// written by an earlier version of this code. They must verify forever: if
// this test fails, the change broke the format.
func TestVectorsV1(t *testing.T) {
	if *update {
		writeV1(t)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(v1Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tree := &memTree{}
	for _, v := range v1Leaves {
		leaf := read(v.file)
		got, err := auditlog.ParseLeaf(leaf)
		if err != nil {
			t.Fatalf("%s: %v", v.file, err)
		}
		if !reflect.DeepEqual(got, &v.sub) {
			t.Errorf("%s: parsed %+v, want %+v", v.file, got, &v.sub)
		}
		if b, err := v.sub.MarshalLeaf(); err != nil || !bytes.Equal(b, leaf) {
			t.Errorf("%s: MarshalLeaf = %q, %v; want the file", v.file, b, err)
		}
		if h := auditlog.LeafHash(leaf); hex.EncodeToString(h[:]) != v.hash {
			t.Errorf("%s: leaf hash %x, want %s", v.file, h[:], v.hash)
		}
		tree.add(t, leaf)
	}
	root := tree.checkpoint(t, int64(len(v1Leaves))).Root
	if hex.EncodeToString(root[:]) != v1Root {
		t.Errorf("tree root %x, want %s", root[:], v1Root)
	}

	verifier, err := note.NewVerifier(string(bytes.TrimSuffix(read("log.pub"), []byte("\n"))))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := auditlog.Open(read("checkpoint.txt"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if want := (auditlog.Checkpoint{Origin: logName, Size: int64(len(v1Leaves)), Root: root}); cp != want {
		t.Errorf("checkpoint %+v, want %+v", cp, want)
	}

	var p v1Inclusion
	if err := json.Unmarshal(read("inclusion.json"), &p); err != nil {
		t.Fatal(err)
	}
	if p.Index != 1 || p.Size != cp.Size {
		t.Errorf("inclusion proof of leaf %d in %d, want leaf 1 in %d", p.Index, p.Size, cp.Size)
	}
	if err := auditlog.CheckInclusion(cp, p.Index, read(v1Leaves[1].file), p.Proof); err != nil {
		t.Error(err)
	}
}

// writeV1 makes the frozen files with a new log key, of which only the
// verifier key is kept. Run only when a new format directory is created:
// go test ./internal/auditlog -run TestVectorsV1 -update
func writeV1(t *testing.T) {
	if err := os.MkdirAll(v1Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(v1Dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, logName)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	write("log.pub", []byte(vkey+"\n"))
	tree := &memTree{}
	for _, v := range v1Leaves {
		leaf, err := v.sub.MarshalLeaf()
		if err != nil {
			t.Fatal(err)
		}
		write(v.file, leaf)
		tree.add(t, leaf)
	}
	n := int64(len(v1Leaves))
	write("checkpoint.txt", sign(t, tree.checkpoint(t, n), signer))
	b, err := json.MarshalIndent(v1Inclusion{Index: 1, Size: n, Proof: tree.inclusion(t, n, 1)}, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	write("inclusion.json", append(b, '\n'))
}
