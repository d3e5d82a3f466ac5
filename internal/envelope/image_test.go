package envelope

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"testimony/keys"
)

const canary = "CANARY-GPS-41.3947N-128.1779E"

// testJPEG returns a small photo whose EXIF and comment segments carry the
// canary, as a phone camera's would.
func testJPEG() []byte {
	var buf bytes.Buffer
	jpeg.Encode(&buf, testImage(), &jpeg.Options{Quality: 90})
	b := buf.Bytes()
	seg := func(marker byte, data string) []byte {
		n := len(data) + 2
		return append([]byte{0xff, marker, byte(n >> 8), byte(n)}, data...)
	}
	out := append([]byte{}, b[:2]...)
	out = append(out, seg(0xe1, "Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08"+canary)...)
	out = append(out, seg(0xfe, "owner "+canary)...)
	return append(out, b[2:]...)
}

// testPNG returns a small PNG image with the canary in a tEXt chunk.
func testPNG(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage()); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// A tEXt chunk after IHDR (8-byte signature + 25-byte IHDR chunk).
	data := []byte("Author\x00" + canary)
	chunk := append([]byte{0, 0, 0, byte(len(data))}, "tEXt"...)
	chunk = append(chunk, data...)
	chunk = append(chunk, crc(chunk[4:])...)
	out := append([]byte{}, b[:33]...)
	out = append(out, chunk...)
	return append(out, b[33:]...)
}

func crc(b []byte) []byte {
	// CRC-32 (IEEE) as PNG uses it.
	var c uint32 = 0xffffffff
	for _, x := range b {
		c ^= uint32(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xedb88320
			} else {
				c >>= 1
			}
		}
	}
	c ^= 0xffffffff
	return []byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)}
}

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			img.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), 90, 255})
		}
	}
	return img
}

// TestSealStripsImageMetadata seals images carrying a canary in their
// metadata: the canary must be nowhere in what a reviewer decrypts, and the
// images must still decode to the same pixels.
func TestSealStripsImageMetadata(t *testing.T) {
	o := newOrg(t, keys.Classic)
	jpg, pngb := testJPEG(), testPNG(t)
	if !bytes.Contains(jpg, []byte(canary)) || !bytes.Contains(pngb, []byte(canary)) {
		t.Fatal("test images lack the canary")
	}
	c := Contents{Note: []byte("photos\n"), Attachments: []Attachment{
		bytesAttachment("jpg", jpg), bytesAttachment("png", pngb), bytesAttachment("txt", []byte(canary)),
	}}
	sealed, s := seal(t, c, o.options())
	if got := []bool{s.Attachments[0].Stripped, s.Attachments[1].Stripped, s.Attachments[2].Stripped}; got[0] != true || got[1] != true || got[2] != false {
		t.Errorf("stripped = %v, want [true true false]", got)
	}
	p := plaintext(t, sealed, o.reviewers[0])
	if n := bytes.Count(p, []byte(canary)); n != 1 {
		t.Errorf("canary appears %d times in the plaintext; want once (the text attachment)", n)
	}
	m, _, err := open(sealed, o.reviewers[0], o.roster)
	if err != nil {
		t.Fatal(err)
	}
	for name, decode := range map[string]func([]byte) (image.Image, error){
		"attachments/01.jpg": func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) },
		"attachments/02.png": func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) },
	} {
		img, err := decode(m.Entries[name])
		if err != nil {
			t.Fatalf("%s no longer decodes: %v", name, err)
		}
		if img.Bounds() != testImage().Bounds() {
			t.Errorf("%s: bounds %v", name, img.Bounds())
		}
	}
	if got, want := m.Entries["attachments/02.png"], pngb; len(got) >= len(want) {
		t.Errorf("PNG not smaller after stripping: %d >= %d", len(got), len(want))
	}
}

// TestSealRejectsBrokenImage: a file that claims to be a JPEG but is broken
// is refused rather than sealed with its metadata.
func TestSealRejectsBrokenImage(t *testing.T) {
	o := newOrg(t, keys.Classic)
	broken := testJPEG()[:300]
	var buf bytes.Buffer
	_, err := Seal(&buf, Contents{Note: []byte("x"), Attachments: []Attachment{bytesAttachment("jpg", broken)}}, o.options())
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("metadata")) {
		t.Fatalf("Seal: %v, want an error about removing metadata", err)
	}
}
