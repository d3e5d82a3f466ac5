package agepolicy_test

import (
	"bytes"
	"cmp"
	"compress/zlib"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	agetest "c2sp.org/CCTV/age"
	"filippo.io/age"
	"filippo.io/age/armor"

	"testimony/internal/agepolicy"
)

var update = flag.Bool("update", false, "rewrite testdata/cctv.golden")

// The reasons the tests expect, word for word: clients see them.
const (
	reasonEmpty        = "the file is empty"
	reasonArmored      = "the file is ascii-armored; send the binary age file"
	reasonNotAge       = "the file is not an age-encryption.org/v1 file"
	reasonTruncated    = "the file ends inside the age header"
	reasonTooLarge     = "the age header is larger than 64 KiB"
	reasonMalformed    = "the age header is malformed"
	reasonNotCanonical = "the age header is not in canonical encoding"
	reasonScrypt       = "the file is encrypted with a passphrase; it must be encrypted to the roster's recipients"
	reasonSSH          = "the file is encrypted to an ssh key; it must be encrypted to the roster's recipients"
	reasonTagged       = "the file has a tagged (p256tag) recipient stanza; it must be encrypted to the roster's recipients"
	reasonClassicInPQ  = "the file has a classic X25519 recipient stanza; this organisation requires post-quantum mlkem768x25519 recipients"
	reasonPQInClassic  = "the file has an mlkem768x25519 recipient stanza; this organisation's roster has X25519 recipients"
	reasonUnknownType  = "the file has a recipient stanza of an unknown or plugin type; it must be encrypted to the roster's recipients"
	reasonArgCount     = "an X25519 recipient stanza must have exactly one argument"
	reasonArgCountPQ   = "an mlkem768x25519 recipient stanza must have exactly one argument"
	reasonBase64       = "a recipient stanza's argument is not canonical unpadded base64"
	reasonShareSize    = "an X25519 recipient stanza's share is not 32 bytes"
	reasonEncSize      = "an mlkem768x25519 recipient stanza's encapsulated key is not 1120 bytes"
	reasonLowOrder     = "a recipient stanza's X25519 share is a low-order point"
	reasonDuplicate    = "two recipient stanzas have the same ephemeral key"
	reasonBodySize     = "a recipient stanza's wrapped file key is not 32 bytes"
	reasonPayloadShort = "the encrypted payload is too short to hold a nonce and one chunk"
	reasonPayloadSize  = "the encrypted payload's length is not one age can produce (truncated or with trailing data)"
)

// knownReason reports whether r is one of the fixed reasons, so that it
// cannot carry bytes of the file.
func knownReason(r string) bool {
	switch r {
	case reasonEmpty, reasonArmored, reasonNotAge, reasonTruncated, reasonTooLarge, reasonMalformed,
		reasonNotCanonical, reasonScrypt, reasonSSH, reasonTagged, reasonClassicInPQ, reasonPQInClassic,
		reasonUnknownType, reasonArgCount, reasonArgCountPQ, reasonBase64, reasonShareSize, reasonEncSize,
		reasonLowOrder, reasonDuplicate, reasonBodySize, reasonPayloadShort, reasonPayloadSize:
		return true
	}
	var have, want int
	_, err := fmt.Sscanf(r, "the file has %d recipient stanzas; the roster needs exactly %d", &have, &want)
	return err == nil && r == fmt.Sprintf("the file has %d recipient stanzas; the roster needs exactly %d", have, want)
}

const (
	x25519 = "X25519"
	hybrid = "mlkem768x25519"
)

// reason returns the Reason of a Rejection, "" for nil, and fails the test
// for any other error.
func reason(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var rej *agepolicy.Rejection
	if !errors.As(err, &rej) {
		t.Fatalf("got a %T error, want a *Rejection: %v", err, err)
	}
	if !errors.Is(err, agepolicy.ErrRejected) {
		t.Fatalf("%v does not match ErrRejected", err)
	}
	if err.Error() != agepolicy.ErrRejected.Error()+": "+rej.Reason {
		t.Fatalf("Error() = %q", err.Error())
	}
	if !knownReason(rej.Reason) {
		t.Fatalf("unknown reason %q", rej.Reason)
	}
	return rej.Reason
}

// ---- Keys and files ----

var (
	keysOnce sync.Once
	keys     map[string][]age.Recipient // per stanza type
)

// recipients returns n recipients of the stanza type typ (at most 3 are
// cached; more are generated).
func recipients(t testing.TB, typ string, n int) []age.Recipient {
	t.Helper()
	keysOnce.Do(func() {
		keys = map[string][]age.Recipient{}
		for range 3 {
			c, err := age.GenerateX25519Identity()
			if err != nil {
				panic(err)
			}
			h, err := age.GenerateHybridIdentity()
			if err != nil {
				panic(err)
			}
			keys[x25519] = append(keys[x25519], c.Recipient())
			keys[hybrid] = append(keys[hybrid], h.Recipient())
		}
	})
	if n <= len(keys[typ]) {
		return keys[typ][:n]
	}
	rs := slices.Clone(keys[typ])
	for len(rs) < n {
		if typ == hybrid {
			h, err := age.GenerateHybridIdentity()
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, h.Recipient())
		} else {
			c, err := age.GenerateX25519Identity()
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, c.Recipient())
		}
	}
	return rs
}

// encrypt returns an age file of plaintext for rs.
func encrypt(t testing.TB, plaintext []byte, rs ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plaintext); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sealed returns a file with a 2 KiB plaintext for n recipients of type typ.
func sealed(t testing.TB, typ string, n int) []byte {
	t.Helper()
	return encrypt(t, bytes.Repeat([]byte("testimony "), 205), recipients(t, typ, n)...)
}

// split cuts an age file into header and payload with age's own parser.
func split(t testing.TB, file []byte) (header, payload []byte) {
	t.Helper()
	h, err := age.ExtractHeader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(file, h) {
		t.Fatal("age.ExtractHeader returned a header that is not a prefix of the file")
	}
	return file[:len(h)], file[len(h):]
}

// stanzaCollector is an age.Identity that keeps the stanzas it is offered.
type stanzaCollector struct{ stanzas []*age.Stanza }

func (c *stanzaCollector) Unwrap(s []*age.Stanza) ([]byte, error) {
	c.stanzas = s
	return nil, age.ErrIncorrectIdentity
}

// stanzas returns age's parse of header, or nil if it does not parse.
func stanzas(header []byte) []*age.Stanza {
	var c stanzaCollector
	if _, err := age.DecryptHeader(header, &c); err == nil {
		return nil // unreachable: c matches nothing
	}
	return c.stanzas
}

// marshalHeader encodes an age header like age does (the MAC is not
// recomputed: the policy never checks it).
func marshalHeader(ss []*age.Stanza, macLine string) []byte {
	var b bytes.Buffer
	b.WriteString("age-encryption.org/v1\n")
	for _, s := range ss {
		b.WriteString("-> " + strings.Join(append([]string{s.Type}, s.Args...), " ") + "\n")
		body := base64.RawStdEncoding.EncodeToString(s.Body)
		for len(body) >= 64 {
			b.WriteString(body[:64] + "\n")
			body = body[64:]
		}
		b.WriteString(body + "\n")
	}
	b.WriteString(macLine)
	return b.Bytes()
}

// edit parses file's header, lets change alter its stanzas and re-encodes
// the file with the original MAC line and payload.
func edit(t testing.TB, file []byte, change func([]*age.Stanza) []*age.Stanza) []byte {
	t.Helper()
	header, payload := split(t, file)
	macLine := header[bytes.LastIndexByte(header[:len(header)-1], '\n')+1:]
	ss := stanzas(header)
	if !bytes.Equal(marshalHeader(ss, string(macLine)), header) {
		t.Fatal("marshalHeader does not reproduce age's encoding")
	}
	var copies []*age.Stanza
	for _, s := range ss {
		copies = append(copies, &age.Stanza{Type: s.Type, Args: slices.Clone(s.Args), Body: slices.Clone(s.Body)})
	}
	return append(marshalHeader(change(copies), string(macLine)), payload...)
}

// paddedHeader returns a header that age parses, exactly size bytes long:
// one "pad" stanza whose argument fills the space.
func paddedHeader(t testing.TB, size int) []byte {
	t.Helper()
	const fixed = len("age-encryption.org/v1\n") + len("-> pad ") + len("\n") + len("\n") + len("--- ") + 43 + len("\n")
	if size <= fixed {
		t.Fatalf("a padded header is at least %d bytes", fixed+1)
	}
	h := marshalHeader([]*age.Stanza{{Type: "pad", Args: []string{strings.Repeat("a", size-fixed)}}},
		"--- "+base64.RawStdEncoding.EncodeToString(make([]byte, 32))+"\n")
	if len(h) != size {
		t.Fatalf("padded header is %d bytes, want %d", len(h), size)
	}
	return h
}

// ---- CCTV corpus ----

type vector struct {
	name    string
	expect  string // success, header failure, payload failure, no match, armor failure, HMAC failure
	armored bool
	file    []byte
}

var (
	vectorsOnce sync.Once
	vectorsList []vector
	vectorsErr  error
)

// vectors returns the CCTV age vectors, decompressed, parsed as age's own
// testkit_test.go does.
func vectors(t testing.TB) []vector {
	t.Helper()
	vectorsOnce.Do(func() { vectorsList, vectorsErr = loadVectors() })
	if vectorsErr != nil {
		t.Fatal(vectorsErr)
	}
	return vectorsList
}

func loadVectors() ([]vector, error) {
	entries, err := fs.ReadDir(agetest.Vectors, ".")
	if err != nil {
		return nil, err
	}
	var vs []vector
	for _, e := range entries {
		data, err := fs.ReadFile(agetest.Vectors, e.Name())
		if err != nil {
			return nil, err
		}
		v := vector{name: e.Name()}
		compressed := false
		for {
			line, rest, ok := bytes.Cut(data, []byte("\n"))
			if !ok {
				return nil, fmt.Errorf("%s: no empty line after the metadata", v.name)
			}
			data = rest
			if len(line) == 0 {
				break
			}
			key, value, _ := strings.Cut(string(line), ": ")
			switch key {
			case "expect":
				v.expect = value
			case "armored":
				v.armored = true
			case "compressed":
				if value != "zlib" {
					return nil, fmt.Errorf("%s: unknown compression %q", v.name, value)
				}
				compressed = true
			}
		}
		if compressed {
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("%s: %v", v.name, err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				return nil, fmt.Errorf("%s: %v", v.name, err)
			}
		}
		v.file = data
		vs = append(vs, v)
	}
	return vs, nil
}

// vectorPolicy derives the Policy a vector is checked against from the
// vector's own header, so that the question is "would a roster shaped like
// this file let it in without a key": the stanza type is that of the first
// stanza of a roster type (X25519 for a file that has none, such as a
// passphrase-encrypted one) and the count is the number of stanzas. A header
// age cannot parse is checked against a one-reviewer X25519 roster; the
// policy does not matter for it, since ReadHeader refuses it.
func vectorPolicy(file []byte) agepolicy.Policy {
	p := agepolicy.Policy{StanzaType: x25519, Recipients: 1}
	h, err := age.ExtractHeader(bytes.NewReader(file))
	if err != nil {
		return p
	}
	ss := stanzas(h)
	p.Recipients = len(ss)
	for _, s := range ss {
		if s.Type == x25519 || s.Type == hybrid {
			p.StanzaType = s.Type
			break
		}
	}
	return p
}

// cctvAccepted lists every CCTV vector that the policy accepts, with age's
// verdict on it. Any other vector must be rejected. A change in either
// direction fails TestCCTV.
var cctvAccepted = map[string]string{
	// Well-formed files.
	"hybrid":                        "success",
	"hybrid_multiple_recipients":    "success",
	"x25519":                        "success",
	"x25519_multiple_recipients":    "success",
	"stream_empty_payload":          "success",
	"stream_last_chunk_full":        "success",
	"stream_last_chunk_full_second": "success",
	"stream_two_chunks":             "success",
	"stream_three_chunks":           "success",
	"stream_257_chunks":             "success",
	"stream_257_chunks_full":        "success",
	"stream_258_chunks":             "success",

	// Only a reviewer's key can catch these: the server accepts and stores
	// them, and opening them fails.
	//
	// The header MAC is wrong; it is keyed by the file key.
	"hmac_bad": "HMAC failure",
	// Well-formed stanzas that no roster identity unwraps: a wrong tag on
	// the wrapped file key, a corrupted (but not low-order) encapsulation,
	// or a file for someone else. Stanzas are anonymous by design.
	"hybrid_bad_tag":              "no match",
	"hybrid_currupted_enc_mlkem":  "no match",
	"hybrid_currupted_enc_x25519": "no match",
	"hybrid_no_match":             "no match",
	"x25519_bad_tag":              "no match",
	"x25519_no_match":             "no match",
	// Payloads whose length age's STREAM could produce but whose chunks do
	// not authenticate: a bad tag, no chunk marked last, a chunk marked last
	// that is followed by another, or trailing data shaped like a chunk.
	"stream_bad_tag":                   "payload failure",
	"stream_bad_tag_second_chunk":      "payload failure",
	"stream_bad_tag_second_chunk_full": "payload failure",
	"stream_no_final":                  "payload failure",
	"stream_no_final_full":             "payload failure",
	"stream_no_final_two_chunks":       "payload failure",
	"stream_no_final_two_chunks_full":  "payload failure",
	"stream_trailing_garbage_long":     "payload failure",
	"stream_two_final_chunks":          "payload failure",
	"stream_two_final_chunks_full":     "payload failure",
	"stream_two_final_chunks_second":   "payload failure",
	"stream_two_final_chunks_short":    "payload failure",
}

// cctvRefusedValid lists the vectors age opens that the policy refuses on
// purpose, with the reason.
var cctvRefusedValid = map[string]string{
	// The server takes binary age only.
	"armor_crlf":               reasonArmored,
	"armor_full_last_line":     reasonArmored,
	"armor_hybrid":             reasonArmored,
	"armor_no_eol":             reasonArmored,
	"armor_scrypt":             reasonArmored,
	"armor_whitespace_outside": reasonArmored,
	"armor_x25519":             reasonArmored,
	// Not for a roster: a passphrase, a classic stanza next to a hybrid one
	// (age refuses to make such a file, but opens one), and stanzas of types
	// age skips when it opens a file ("grease" and other unknown types).
	"scrypt":                  reasonScrypt,
	"hybrid_and_x25519":       reasonPQInClassic,
	"hybrid_grease":           reasonUnknownType,
	"x25519_grease":           reasonUnknownType,
	"stanza_empty_body":       reasonUnknownType,
	"stanza_empty_last_line":  reasonUnknownType,
	"stanza_valid_characters": reasonUnknownType,
}

func TestCCTV(t *testing.T) {
	vs := vectors(t)
	type tally struct{ total, accepted int }
	counts := map[string]*tally{}
	var golden strings.Builder
	seen := map[string]bool{}
	for _, v := range vs {
		seen[v.name] = true
		p := vectorPolicy(v.file)
		got := reason(t, p.Check(bytes.NewReader(v.file)))
		fmt.Fprintf(&golden, "%s\t%s\t%s\n", v.name, v.expect, cmp.Or(got, "accepted"))
		c := counts[v.expect]
		if c == nil {
			c = &tally{}
			counts[v.expect] = c
		}
		c.total++
		if got == "" {
			c.accepted++
		}

		switch want, listed := cctvAccepted[v.name]; {
		case got == "" && !listed:
			t.Errorf("%s (%s): accepted, but it is not in cctvAccepted", v.name, v.expect)
		case got != "" && listed:
			t.Errorf("%s (%s): rejected (%s), but cctvAccepted lists it", v.name, v.expect, got)
		case listed && want != v.expect:
			t.Errorf("%s: cctvAccepted says %q, the vector says %q", v.name, want, v.expect)
		}
		if want, ok := cctvRefusedValid[v.name]; ok && (got != want || v.expect != "success") {
			t.Errorf("%s (%s): got %q, want %q", v.name, v.expect, got, want)
		}
		if v.expect == "success" && got != "" && cctvRefusedValid[v.name] == "" {
			t.Errorf("%s: valid for age, refused (%s), but not in cctvRefusedValid", v.name, got)
		}
		if v.armored && got != reasonArmored && got != reasonNotAge {
			t.Errorf("%s: armored input got %q", v.name, got)
		}

		// The streaming reader agrees, one byte at a time too, and loses
		// nothing.
		if len(v.file) < 1<<20 {
			if got2 := reason(t, p.Check(iotest.OneByteReader(bytes.NewReader(v.file)))); got2 != got {
				t.Errorf("%s: Check on a one-byte reader got %q, on the whole file %q", v.name, got2, got)
			}
		}
		if header, rest, err := agepolicy.ReadHeader(bytes.NewReader(v.file)); err == nil {
			restBytes, err := io.ReadAll(rest)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(append(slices.Clone(header), restBytes...), v.file) {
				t.Errorf("%s: header and rest are not the file", v.name)
			}
		}
	}
	for name := range cctvAccepted {
		if !seen[name] {
			t.Errorf("cctvAccepted lists %s, which is not in the corpus", name)
		}
	}
	for name := range cctvRefusedValid {
		if !seen[name] {
			t.Errorf("cctvRefusedValid lists %s, which is not in the corpus", name)
		}
	}

	failing, rejected := 0, 0
	for _, expect := range slices.Sorted(maps.Keys(counts)) {
		c := counts[expect]
		t.Logf("%-16s %3d vectors, %3d accepted", expect, c.total, c.accepted)
		if expect != "success" {
			failing += c.total
			rejected += c.total - c.accepted
		}
	}
	t.Logf("%d vectors; %d fail in age; the policy rejects %d of them without a key, %d need a key",
		len(vs), failing, rejected, failing-rejected)

	checkGolden(t, filepath.Join("testdata", "cctv.golden"), golden.String())
}

// checkGolden compares got with the file at path, or rewrites it under
// -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("%s line %d:\n got: %s\nwant: %s", path, i+1, g, w)
			}
		}
		t.Errorf("%s differs (run go test -update if the change is intended)", path)
	}
}

// ---- Hand-built files ----

func TestHandBuilt(t *testing.T) {
	x3 := sealed(t, x25519, 3)
	h3 := sealed(t, hybrid, 3)
	h2 := sealed(t, hybrid, 2)
	xHeader, xPayload := split(t, x3)
	long := encrypt(t, make([]byte, 64<<10+5), recipients(t, x25519, 3)...)
	longHeader, _ := split(t, long)

	scrypt, err := age.NewScryptRecipient("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	scrypt.SetWorkFactor(10)
	var armored bytes.Buffer
	aw := armor.NewWriter(&armored)
	aw.Write(x3)
	aw.Close()

	// lowOrder is u = 1, of order 4 on Curve25519 or its twist.
	lowOrder := make([]byte, 32)
	lowOrder[0] = 1
	X := agepolicy.Policy{StanzaType: x25519, Recipients: 3}
	H := agepolicy.Policy{StanzaType: hybrid, Recipients: 3}

	tests := []struct {
		name string
		p    agepolicy.Policy
		file []byte
		want string // "" for accepted
	}{
		// The roster's own files pass, empty or not.
		{"x25519 to 1", agepolicy.Policy{StanzaType: x25519, Recipients: 1}, sealed(t, x25519, 1), ""},
		{"x25519 to 2", agepolicy.Policy{StanzaType: x25519, Recipients: 2}, sealed(t, x25519, 2), ""},
		{"x25519 to 3", X, x3, ""},
		{"hybrid to 1", agepolicy.Policy{StanzaType: hybrid, Recipients: 1}, sealed(t, hybrid, 1), ""},
		{"hybrid to 2", agepolicy.Policy{StanzaType: hybrid, Recipients: 2}, h2, ""},
		{"hybrid to 3", H, h3, ""},
		{"empty plaintext", H, encrypt(t, nil, recipients(t, hybrid, 3)...), ""},
		{"one full chunk", H, encrypt(t, make([]byte, 64<<10), recipients(t, hybrid, 3)...), ""},
		{"a chunk and a byte", H, encrypt(t, make([]byte, 64<<10+1), recipients(t, hybrid, 3)...), ""},

		// Wrong type.
		{"classic file, hybrid roster", H, x3, reasonClassicInPQ},
		{"hybrid file, classic roster", X, h3, reasonPQInClassic},
		{"passphrase", X, encrypt(t, []byte("x"), scrypt), reasonScrypt},
		{"grease stanza added", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			return append(ss, &age.Stanza{Type: "grease", Args: []string{"x"}, Body: []byte("y")})
		}), reasonUnknownType},
		{"ssh stanza", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[1].Type = "ssh-ed25519"
			return ss
		}), reasonSSH},
		{"tagged stanza", H, edit(t, h3, func(ss []*age.Stanza) []*age.Stanza {
			ss[2].Type = "mlkem768p256tag"
			return ss
		}), reasonTagged},
		{"lowercase type", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[0].Type = "x25519"
			return ss
		}), reasonUnknownType},

		// Wrong count.
		{"2 stanzas, roster of 3", H, h2, "the file has 2 recipient stanzas; the roster needs exactly 3"},
		{"3 stanzas, roster of 2", agepolicy.Policy{StanzaType: hybrid, Recipients: 2}, h3,
			"the file has 3 recipient stanzas; the roster needs exactly 2"},
		{"a stanza twice", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[2] = ss[0]
			return ss
		}), reasonDuplicate},
		{"a share twice", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[2].Args[0] = ss[1].Args[0]
			return ss
		}), reasonDuplicate},

		// Broken or oversize header.
		{"empty", X, nil, reasonEmpty},
		{"cut inside the intro", X, x3[:10], reasonTruncated},
		{"cut inside a stanza", X, x3[:len(xHeader)/2], reasonTruncated},
		{"cut inside the mac line", X, x3[:len(xHeader)-10], reasonTruncated},
		{"no newline after the mac", X, x3[:len(xHeader)-1], reasonTruncated},
		{"armored", X, armored.Bytes(), reasonArmored},
		{"not age", X, []byte("PK\x03\x04 a zip file"), reasonNotAge},
		{"header over 64 KiB", agepolicy.Policy{StanzaType: x25519, Recipients: 668},
			encrypt(t, nil, recipients(t, x25519, 669)...), reasonTooLarge},
		{"largest header", agepolicy.Policy{StanzaType: x25519, Recipients: 668},
			encrypt(t, nil, recipients(t, x25519, 668)...), ""},
		{"garbage header line", X, append(append(slices.Clone(xHeader[:22]), "garbage\n"...), x3[22:]...), reasonMalformed},
		{"mac line without a mac", X, append(append(slices.Clone(xHeader[:bytes.LastIndex(xHeader, []byte("---"))]),
			"---\n"...), xPayload...), reasonMalformed},

		// Bad arguments.
		{"non-canonical base64 share", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[1].Args[0] = setPadBit(ss[1].Args[0])
			return ss
		}), reasonBase64},
		{"padded base64 share", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[0].Args[0] += "="
			return ss
		}), reasonBase64},
		{"non-canonical base64 enc", H, edit(t, h3, func(ss []*age.Stanza) []*age.Stanza {
			ss[0].Args[0] = setPadBit(ss[0].Args[0])
			return ss
		}), reasonBase64},
		{"low-order x25519 share", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[2].Args[0] = base64.RawStdEncoding.EncodeToString(lowOrder)
			return ss
		}), reasonLowOrder},
		{"zero x25519 share", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[0].Args[0] = base64.RawStdEncoding.EncodeToString(make([]byte, 32))
			return ss
		}), reasonLowOrder},
		{"low-order share in a hybrid enc", H, edit(t, h3, func(ss []*age.Stanza) []*age.Stanza {
			enc, _ := base64.RawStdEncoding.DecodeString(ss[1].Args[0])
			copy(enc[len(enc)-32:], lowOrder)
			ss[1].Args[0] = base64.RawStdEncoding.EncodeToString(enc)
			return ss
		}), reasonLowOrder},
		{"extra argument", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[1].Args = append(ss[1].Args, "AAAA")
			return ss
		}), reasonArgCount},
		{"extra argument, hybrid", H, edit(t, h3, func(ss []*age.Stanza) []*age.Stanza {
			ss[1].Args = append(ss[1].Args, ss[1].Args[0])
			return ss
		}), reasonArgCountPQ},
		{"no argument", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[1].Args = nil
			return ss
		}), reasonArgCount},
		{"short share", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[0].Args[0] = base64.RawStdEncoding.EncodeToString(make([]byte, 31))
			return ss
		}), reasonShareSize},
		{"long enc", H, edit(t, h3, func(ss []*age.Stanza) []*age.Stanza {
			enc, _ := base64.RawStdEncoding.DecodeString(ss[0].Args[0])
			ss[0].Args[0] = base64.RawStdEncoding.EncodeToString(append(enc, 1))
			return ss
		}), reasonEncSize},
		{"classic share in a hybrid stanza", H, edit(t, h3, func(ss []*age.Stanza) []*age.Stanza {
			enc, _ := base64.RawStdEncoding.DecodeString(ss[0].Args[0])
			ss[0].Args[0] = base64.RawStdEncoding.EncodeToString(enc[len(enc)-32:])
			return ss
		}), reasonEncSize},

		// Bad bodies.
		{"body one byte long", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[1].Body = append(ss[1].Body, 0)
			return ss
		}), reasonBodySize},
		{"body one byte short", H, edit(t, h3, func(ss []*age.Stanza) []*age.Stanza {
			ss[2].Body = ss[2].Body[:31]
			return ss
		}), reasonBodySize},
		{"empty body", X, edit(t, x3, func(ss []*age.Stanza) []*age.Stanza {
			ss[0].Body = nil
			return ss
		}), reasonBodySize},

		// Bad payloads.
		{"no payload", X, xHeader, reasonPayloadShort},
		{"payload cut to 10 bytes", X, x3[:len(xHeader)+10], reasonPayloadShort},
		{"payload cut to the nonce and 15 bytes", X, x3[:len(xHeader)+31], reasonPayloadShort},
		{"payload one byte short", X, x3[:len(x3)-1], ""}, // a shorter last chunk: only the key sees it
		{"payload cut to a 1-byte last chunk", X, long[:len(longHeader)+16+65552+1], reasonPayloadSize},
		{"payload cut after a full chunk", X, long[:len(longHeader)+16+65552], ""}, // a full last chunk: only the key sees it
		{"a byte of trailing data after a full chunk", H,
			append(encrypt(t, make([]byte, 64<<10), recipients(t, hybrid, 3)...), 0), reasonPayloadSize},
		{"an empty chunk after a full chunk", H,
			append(encrypt(t, make([]byte, 64<<10), recipients(t, hybrid, 3)...), make([]byte, 16)...), reasonPayloadSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reason(t, tt.p.Check(bytes.NewReader(tt.file)))
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			// The same verdict when the body arrives a byte at a time.
			if got := reason(t, tt.p.Check(iotest.OneByteReader(bytes.NewReader(tt.file)))); got != tt.want {
				t.Errorf("one byte at a time: got %q, want %q", got, tt.want)
			}
			// What the policy accepts, age parses, with the roster's stanzas.
			if tt.want == "" {
				h, err := age.ExtractHeader(bytes.NewReader(tt.file))
				if err != nil {
					t.Fatal(err)
				}
				if n := len(stanzas(h)); n != tt.p.Recipients {
					t.Errorf("accepted a header with %d stanzas", n)
				}
			}
		})
	}
}

// setPadBit sets one of the unused low bits of the last character of an
// unpadded base64 string whose length is not a multiple of 4, making the
// encoding non-canonical while its (lax) decoding stays the same.
func setPadBit(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i|1])
}

// TestCheckHeaderAlone covers what CheckHeader sees apart from ReadHeader:
// data around the header and headers that ReadHeader would have refused.
func TestCheckHeaderAlone(t *testing.T) {
	file := sealed(t, hybrid, 3)
	header, payload := split(t, file)
	p := agepolicy.Policy{StanzaType: hybrid, Recipients: 3}
	tests := []struct {
		name   string
		header []byte
		want   string
	}{
		{"header", header, ""},
		{"header and payload", file, reasonMalformed},
		{"header and a byte", append(slices.Clone(header), payload[0]), reasonMalformed},
		{"cut", header[:len(header)-1], reasonTruncated},
		{"nil", nil, reasonEmpty},
		{"too large", paddedHeader(t, agepolicy.MaxHeaderSize+1), reasonTooLarge},
		{"largest, but a pad stanza", paddedHeader(t, agepolicy.MaxHeaderSize), reasonUnknownType},
	}
	for _, tt := range tests {
		if got := reason(t, p.CheckHeader(tt.header)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPolicyValidation(t *testing.T) {
	header, _ := split(t, sealed(t, hybrid, 1))
	bad := []agepolicy.Policy{
		{},
		{StanzaType: "scrypt", Recipients: 1},
		{StanzaType: "x25519", Recipients: 1},
		{StanzaType: x25519, Recipients: 0},
		{StanzaType: hybrid, Recipients: -1},
		{StanzaType: hybrid, Recipients: 43}, // 43 hybrid stanzas take 66,978 bytes
		{StanzaType: x25519, Recipients: 669},
		{StanzaType: x25519, Recipients: math.MaxInt},
	}
	for _, p := range bad {
		for _, err := range []error{p.CheckHeader(header), p.Check(bytes.NewReader(nil))} {
			if err == nil || errors.Is(err, agepolicy.ErrRejected) {
				t.Errorf("%+v: got %v, want a policy error that is not a rejection", p, err)
			}
		}
	}
	// The largest rosters that fit: 42 hybrid and 668 classic recipients.
	if testing.Short() {
		t.Skip("encrypting to 42 hybrid recipients")
	}
	p := agepolicy.Policy{StanzaType: hybrid, Recipients: 42}
	file := encrypt(t, []byte("x"), recipients(t, hybrid, 42)...)
	if err := p.Check(bytes.NewReader(file)); err != nil {
		t.Errorf("42 hybrid recipients: %v", err)
	}
}

// TestCheckPayloadSize compares CheckPayloadSize with the sizes age's STREAM
// produces, computed from the encryption side: a plaintext of L bytes gives a
// 16-byte nonce, L bytes and a 16-byte tag per started 64 KiB chunk (one chunk
// for L = 0).
func TestCheckPayloadSize(t *testing.T) {
	const chunk = 64 << 10
	size := func(l int64) int64 { return 16 + l + 16*max(1, (l+chunk-1)/chunk) }
	for _, l := range []int64{0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk} {
		_, payload := split(t, encrypt(t, make([]byte, l), recipients(t, x25519, 1)...))
		if int64(len(payload)) != size(l) {
			t.Fatalf("plaintext of %d bytes: payload of %d bytes, the formula says %d", l, len(payload), size(l))
		}
	}
	var p agepolicy.Policy // CheckPayloadSize does not depend on the policy
	valid := map[int64]bool{}
	for l := int64(0); size(l) <= 4*(chunk+16)+64; l++ {
		valid[size(l)] = true
	}
	for n := int64(-2); n <= 4*(chunk+16)+64; n++ {
		err := p.CheckPayloadSize(n)
		switch got := reason(t, err); {
		case valid[n] && got != "":
			t.Fatalf("%d bytes: got %q, want accepted", n, got)
		case !valid[n] && n < 32 && got != reasonPayloadShort:
			t.Fatalf("%d bytes: got %q, want %q", n, got, reasonPayloadShort)
		case !valid[n] && n >= 32 && got != reasonPayloadSize:
			t.Fatalf("%d bytes: got %q, want %q", n, got, reasonPayloadSize)
		}
	}
	for _, n := range []int64{math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64 - (chunk + 16), math.MinInt64} {
		p.CheckPayloadSize(n) // no panic, no overflow
	}
	if reason(t, p.CheckPayloadSize(16+1<<40+16*(1<<40/chunk))) != "" {
		t.Error("a 1 TiB payload of full chunks is refused")
	}
}

// TestLowOrderPoints compares the policy's low-order check with crypto/ecdh,
// which refuses an all-zero shared secret as age's unwrap does, on every
// encoding of a point of small order (the list libsodium refuses, with the
// top bit that X25519 ignores set or not), on the smallest and largest
// encodings (around 0 and p = 2^255-19, where non-canonical encodings live)
// and on random shares.
func TestLowOrderPoints(t *testing.T) {
	fromHex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	known := [][]byte{
		fromHex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"), // order 8
		fromHex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"), // order 8
	}
	var candidates [][]byte
	le := func(n *big.Int) []byte {
		b := make([]byte, 32)
		n.FillBytes(b)
		slices.Reverse(b)
		return b
	}
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	for d := int64(0); d < 300; d++ {
		candidates = append(candidates, le(big.NewInt(d)), le(new(big.Int).Sub(p, big.NewInt(d))))
	}
	for d := int64(1); d < 19; d++ {
		candidates = append(candidates, le(new(big.Int).Add(p, big.NewInt(d))))
	}
	candidates = append(candidates, known...)
	for range 300 {
		b := make([]byte, 32)
		rand.Read(b)
		candidates = append(candidates, b)
	}
	for _, c := range slices.Clone(candidates) {
		high := slices.Clone(c)
		high[31] ^= 0x80
		candidates = append(candidates, high)
	}

	probe, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	macLine := "--- " + base64.RawStdEncoding.EncodeToString(make([]byte, 32)) + "\n"
	policy := agepolicy.Policy{StanzaType: x25519, Recipients: 1}
	lowCount := 0
	for _, c := range candidates {
		pub, err := ecdh.X25519().NewPublicKey(c)
		if err != nil {
			t.Fatal(err)
		}
		_, err = probe.ECDH(pub)
		wantLow := err != nil
		header := marshalHeader([]*age.Stanza{{Type: x25519, Args: []string{base64.RawStdEncoding.EncodeToString(c)}, Body: make([]byte, 32)}}, macLine)
		got := reason(t, policy.CheckHeader(header))
		if gotLow := got == reasonLowOrder; gotLow != wantLow || (!gotLow && got != "") {
			t.Errorf("%x: crypto/ecdh says low order %v, the policy says %q", c, wantLow, got)
		}
		if wantLow {
			lowCount++
		}
	}
	if lowCount != 14 {
		t.Errorf("%d low-order encodings, want 14", lowCount)
	}
}

// ---- ReadHeader ----

// readers returns ways of delivering data, as the network might.
func readers(data []byte) map[string]io.Reader {
	return map[string]io.Reader{
		"whole":       bytes.NewReader(data),
		"one byte":    iotest.OneByteReader(bytes.NewReader(data)),
		"half":        iotest.HalfReader(bytes.NewReader(data)),
		"data+EOF":    iotest.DataErrReader(bytes.NewReader(data)),
		"4096 blocks": &blockReader{data: data, block: 4096},
		"4095 blocks": &blockReader{data: data, block: 4095},
	}
}

// blockReader returns at most block bytes per Read.
type blockReader struct {
	data  []byte
	block int
}

func (r *blockReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.block)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadHeaderRest(t *testing.T) {
	type file struct {
		name       string
		data       []byte
		headerSize int
	}
	var files []file
	add := func(name string, data []byte) {
		h, _ := split(t, data)
		files = append(files, file{name, data, len(h)})
	}
	add("x25519 to 3", sealed(t, x25519, 3))
	add("hybrid to 3", sealed(t, hybrid, 3))
	add("hybrid, empty", encrypt(t, nil, recipients(t, hybrid, 2)...))
	add("hybrid, 200 KB", encrypt(t, make([]byte, 200_000), recipients(t, hybrid, 2)...))
	// Headers ending at, just before and just after the boundaries of the
	// 4 KiB read buffer and of MaxHeaderSize, followed by some payload.
	payload := bytes.Repeat([]byte{0xa5, 0x5a, 0x00, '\n'}, 3000)
	for _, size := range []int{4095, 4096, 4097, 8191, 8192, 8193, agepolicy.MaxHeaderSize - 1, agepolicy.MaxHeaderSize} {
		for _, tail := range []int{0, 1, len(payload)} {
			add(fmt.Sprintf("%d-byte header, %d-byte payload", size, tail),
				append(paddedHeader(t, size), payload[:tail]...))
		}
	}
	for _, f := range files {
		for rname, r := range readers(f.data) {
			header, rest, err := agepolicy.ReadHeader(r)
			if err != nil {
				t.Fatalf("%s, %s: %v", f.name, rname, err)
			}
			if !bytes.Equal(header, f.data[:f.headerSize]) {
				t.Errorf("%s, %s: wrong header", f.name, rname)
			}
			got, err := io.ReadAll(rest)
			if err != nil {
				t.Fatalf("%s, %s: reading the rest: %v", f.name, rname, err)
			}
			if !bytes.Equal(got, f.data[f.headerSize:]) {
				t.Errorf("%s, %s: the rest is %d bytes, want the %d after the header", f.name, rname, len(got), len(f.data)-f.headerSize)
			}
		}
	}

	// One byte too many, at any pace.
	for rname, r := range readers(append(paddedHeader(t, agepolicy.MaxHeaderSize+1), payload...)) {
		if _, _, err := agepolicy.ReadHeader(r); reason(t, err) != reasonTooLarge {
			t.Errorf("%s: got %v", rname, err)
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadHeaderBounded(t *testing.T) {
	// A body of endless header lines: ReadHeader gives up after
	// MaxHeaderSize bytes.
	endless := io.MultiReader(strings.NewReader("age-encryption.org/v1\n-> X25519 AAAA\n"),
		iotest.OneByteReader(&repeatReader{line: []byte(strings.Repeat("A", 64) + "\n")}))
	c := &countingReader{r: endless}
	_, _, err := agepolicy.ReadHeader(c)
	if reason(t, err) != reasonTooLarge {
		t.Errorf("got %v", err)
	}
	if c.n > agepolicy.MaxHeaderSize {
		t.Errorf("read %d bytes", c.n)
	}
	// One endless line.
	c = &countingReader{r: io.MultiReader(strings.NewReader("age-encryption.org/v1\n-> "), &repeatReader{line: []byte("a")})}
	if _, _, err := agepolicy.ReadHeader(c); reason(t, err) != reasonTooLarge || c.n > agepolicy.MaxHeaderSize {
		t.Errorf("got %v after %d bytes", err, c.n)
	}
}

type repeatReader struct{ line []byte }

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r.line)
	}
	return n, nil
}

func TestReadHeaderErrors(t *testing.T) {
	file := sealed(t, hybrid, 3)
	header, _ := split(t, file)
	errBoom := errors.New("connection reset")

	// An I/O error inside the header is an error, not a rejection.
	for _, cut := range []int{0, 5, 100, len(header) - 1} {
		r := io.MultiReader(bytes.NewReader(file[:cut]), iotest.ErrReader(errBoom))
		_, _, err := agepolicy.ReadHeader(r)
		if !errors.Is(err, errBoom) || errors.Is(err, agepolicy.ErrRejected) {
			t.Errorf("cut at %d: got %v", cut, err)
		}
	}
	// After the header, the error comes from ReadHeader or from rest.
	r := io.MultiReader(bytes.NewReader(header), iotest.ErrReader(errBoom))
	_, rest, err := agepolicy.ReadHeader(r)
	if err == nil {
		_, err = io.ReadAll(rest)
	}
	if !errors.Is(err, errBoom) {
		t.Errorf("after the header: got %v", err)
	}
	// So is a reader that makes no progress.
	if _, _, err := agepolicy.ReadHeader(zeroReader{}); err == nil || errors.Is(err, agepolicy.ErrRejected) {
		t.Errorf("no progress: got %v", err)
	}
	// And an error in the payload, for Check.
	p := agepolicy.Policy{StanzaType: hybrid, Recipients: 3}
	r = io.MultiReader(bytes.NewReader(file[:len(file)-10]), iotest.ErrReader(errBoom))
	if err := p.Check(r); !errors.Is(err, errBoom) || errors.Is(err, agepolicy.ErrRejected) {
		t.Errorf("payload: got %v", err)
	}
	// A nil *Rejection prints without panicking.
	var rej *agepolicy.Rejection
	if rej.Error() != agepolicy.ErrRejected.Error() {
		t.Error("nil Rejection")
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// ---- Fuzzing ----

func FuzzCheck(f *testing.F) {
	for _, typ := range []string{x25519, hybrid} {
		for n := 1; n <= 3; n++ {
			f.Add(sealed(f, typ, n), typ == hybrid, uint8(n-1))
			f.Add(encrypt(f, nil, recipients(f, typ, n)...), typ == hybrid, uint8(n-1))
		}
	}
	for _, v := range vectors(f) {
		p := vectorPolicy(v.file)
		data := v.file
		if len(data) > 16<<10 {
			// Keep seeds small, so the fuzzer spends its time on headers:
			// TestCheckPayloadSize covers long payloads.
			data = data[:16<<10]
		}
		f.Add(data, p.StanzaType == hybrid, uint8(p.Recipients-1))
	}
	f.Fuzz(func(t *testing.T, data []byte, isHybrid bool, n uint8) {
		p := agepolicy.Policy{StanzaType: x25519, Recipients: 1 + int(n%4)}
		if isHybrid {
			p.StanzaType = hybrid
		}
		err := p.Check(bytes.NewReader(data))
		got := reason(t, err) // a bytes.Reader never fails: only rejections
		if got != "" && !knownReason(got) {
			t.Fatalf("unknown reason %q", got)
		}
		if got2 := reason(t, p.Check(iotest.OneByteReader(bytes.NewReader(data)))); got2 != got {
			t.Fatalf("one byte at a time: %q, whole: %q", got2, got)
		}

		// ReadHeader finds the header age finds.
		header, rest, rerr := agepolicy.ReadHeader(bytes.NewReader(data))
		ageHeader, ageErr := age.ExtractHeader(bytes.NewReader(data))
		if ageErr == nil && len(ageHeader) <= agepolicy.MaxHeaderSize && (rerr != nil || !bytes.Equal(header, ageHeader)) {
			t.Fatalf("age.ExtractHeader parses a %d-byte header, ReadHeader: %v", len(ageHeader), rerr)
		}
		if rerr == nil && (ageErr != nil || !bytes.Equal(header, ageHeader)) {
			t.Fatalf("ReadHeader returns a %d-byte header, age.ExtractHeader: %v", len(header), ageErr)
		}
		if rerr == nil {
			restBytes, err := io.ReadAll(rest)
			if err != nil {
				t.Fatal(err)
			}
			if len(header) > agepolicy.MaxHeaderSize || !bytes.Equal(append(slices.Clone(header), restBytes...), data) {
				t.Fatal("header and rest are not the input")
			}
		}

		if err != nil {
			return
		}
		if ageErr != nil {
			t.Fatalf("accepted, but age.ExtractHeader fails: %v", ageErr)
		}
		ss := stanzas(ageHeader)
		if len(ss) != p.Recipients {
			t.Fatalf("accepted %d stanzas for a roster of %d", len(ss), p.Recipients)
		}
		for _, s := range ss {
			if s.Type != p.StanzaType || len(s.Args) != 1 || len(s.Body) != 32 {
				t.Fatalf("accepted a stanza %q with %d args and a %d-byte body", s.Type, len(s.Args), len(s.Body))
			}
		}
	})
}

// ---- Benchmarks ----

// BenchmarkCheckHeader checks the header of a note sealed to three hybrid
// reviewers, as the server does for every upload.
func BenchmarkCheckHeader(b *testing.B) {
	header, _ := split(b, sealed(b, hybrid, 3))
	p := agepolicy.Policy{StanzaType: hybrid, Recipients: 3}
	b.SetBytes(int64(len(header)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.CheckHeader(header); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadHeader reads the same header from the start of the file.
func BenchmarkReadHeader(b *testing.B) {
	file := sealed(b, hybrid, 3)
	header, _ := split(b, file)
	b.SetBytes(int64(len(header)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := agepolicy.ReadHeader(bytes.NewReader(file)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck is the whole keyless check of a 2 KiB note to three hybrid
// reviewers (about 6.8 KB).
func BenchmarkCheck(b *testing.B) {
	file := sealed(b, hybrid, 3)
	p := agepolicy.Policy{StanzaType: hybrid, Recipients: 3}
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Check(bytes.NewReader(file)); err != nil {
			b.Fatal(err)
		}
	}
}

// ---- Example ----

// The intake server checks the header before it stores anything, streams the
// rest while counting it, and checks the count before it keeps the file.
func ExampleReadHeader() {
	reviewers := make([]age.Recipient, 3)
	for i := range reviewers {
		id, _ := age.GenerateHybridIdentity()
		reviewers[i] = id.Recipient()
	}
	policy := agepolicy.Policy{StanzaType: "mlkem768x25519", Recipients: 3}

	intake := func(body io.Reader) error {
		header, rest, err := agepolicy.ReadHeader(body)
		if err != nil {
			return err
		}
		if err := policy.CheckHeader(header); err != nil {
			return err
		}
		var blob bytes.Buffer // a temporary file, in the server
		blob.Write(header)
		n, err := io.Copy(&blob, rest)
		if err != nil {
			return err
		}
		return policy.CheckPayloadSize(n) // on error, remove the temporary file
	}

	var upload bytes.Buffer
	w, _ := age.Encrypt(&upload, reviewers...)
	w.Write([]byte("pseudonymized note"))
	w.Close()
	fmt.Println(intake(bytes.NewReader(upload.Bytes())))

	upload.Reset()
	w, _ = age.Encrypt(&upload, reviewers[:2]...)
	w.Close()
	err := intake(&upload)
	var rej *agepolicy.Rejection
	if errors.As(err, &rej) {
		fmt.Println("400:", rej.Reason)
	}
	// Output:
	// <nil>
	// 400: the file has 2 recipient stanzas; the roster needs exactly 3
}
