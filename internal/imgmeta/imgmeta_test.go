package imgmeta

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// The files in testdata are copied unchanged from the Go distribution
// ($GOROOT/src/image/testdata, BSD licence): a progressive JPEG, a baseline
// JPEG with restart markers and a CMYK JPEG with an Adobe APP14 segment. They
// carry no metadata beyond JFIF and Adobe, so they must come out unchanged.
var testdataJPEGs = []string{
	"video-001.progressive.jpeg",
	"video-001.restart2.jpeg",
	"video-001.cmyk.jpeg",
}

const canary = "CANARY"

// --- building test images ---

func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) * 4), 255})
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// seg builds a JPEG segment.
func seg(m byte, payload string) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, m, byte(n >> 8), byte(n)}, payload...)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

var (
	soi = []byte{0xFF, 0xD8}
	eoi = []byte{0xFF, 0xD9}
	// jfif is a clean JFIF APP0 segment: version 1.01, 72 dpi, no thumbnail.
	jfif = seg(0xE0, "JFIF\x00\x01\x01\x01\x00\x48\x00\x48\x00\x00")
)

// exifSegment is an APP1 Exif segment holding a valid big-endian TIFF with
// one IFD0 entry, Artist, set to text.
func exifSegment(text string) []byte {
	var t []byte
	t = append(t, "MM\x00\x2a\x00\x00\x00\x08"...)
	t = binary.BigEndian.AppendUint16(t, 1)      // one entry
	t = binary.BigEndian.AppendUint16(t, 0x013B) // Artist
	t = binary.BigEndian.AppendUint16(t, 2)      // ASCII
	t = binary.BigEndian.AppendUint32(t, uint32(len(text)+1))
	t = binary.BigEndian.AppendUint32(t, 26) // offset of the string
	t = binary.BigEndian.AppendUint32(t, 0)  // no next IFD
	t = append(t, text...)
	t = append(t, 0)
	return seg(0xE1, "Exif\x00\x00"+string(t))
}

// metadataSegments are the segments a camera or editor might add; Strip must
// drop every one of them.
func metadataSegments() [][]byte {
	return [][]byte{
		exifSegment("CANARY-GPS-37.5665"),
		seg(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:creator>CANARY-XMP-CREATOR</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"),
		seg(0xE2, "ICC_PROFILE\x00\x01\x01CANARY-ICC"),
		seg(0xE2, "MPF\x00CANARY-MPF"),
		seg(0xED, "Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10CANARY-IPTC-BY!"),
		seg(0xE0, "JFXX\x00\x10CANARY-THUMBNAIL"),
		seg(0xE0, "AVI1\x00CANARY-APP0"),
		seg(0xEE, "NotAdobe-CANARY"),
		seg(0xEF, "CANARY-APP15"),
		seg(0xFE, "CANARY-COMMENT"),
		seg(0xC8, "CANARY-JPG"),      // reserved JPG marker
		seg(0xF0, "CANARY-JPG0"),     // JPEG extension
		seg(0x02, "CANARY-RESERVED"), // reserved
		{0xFF, 0x01},                 // TEM
	}
}

// jpegs returns a clean JPEG (SOI, JFIF, then what image/jpeg writes) and the
// same image with every kind of metadata added, before the first segment,
// before EOI and after EOI. Stripping dirty must give clean exactly.
func jpegs(t testing.TB, img image.Image) (clean, dirty []byte) {
	t.Helper()
	enc := encodeJPEG(t, img)
	body := enc[2 : len(enc)-2] // from DQT to the end of the scan data
	clean = cat(soi, jfif, body, eoi)
	dirty = cat(soi, jfif, cat(metadataSegments()...), body,
		seg(0xFE, "CANARY-COMMENT-AFTER-SCAN"), eoi, []byte("CANARY-TRAILER"))
	return clean, dirty
}

func pngChunk(typ string, data []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

func zlibBytes(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngIHDREnd is where the IHDR chunk ends in any PNG.
const pngIHDREnd = 8 + 8 + 13 + 4

// pngs returns a PNG with the ancillary chunks Strip keeps, and the same PNG
// with metadata chunks added after IHDR, before IEND and after IEND.
func pngs(t testing.TB, img image.Image) (clean, dirty []byte) {
	t.Helper()
	enc := encodePNG(t, img)
	ihdr, rest, iend := enc[:pngIHDREnd], enc[pngIHDREnd:len(enc)-12], enc[len(enc)-12:]
	keep := cat(
		pngChunk("gAMA", []byte{0, 0, 0xB1, 0x8F}),
		pngChunk("sRGB", []byte{0}),
		pngChunk("pHYs", []byte{0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1}),
		pngChunk("cLLi", make([]byte, 8)),
	)
	meta := cat(
		pngChunk("tEXt", []byte("Author\x00CANARY-AUTHOR")),
		pngChunk("iTXt", []byte("Description\x00\x00\x00en\x00Beschreibung\x00CANARY-ITXT")),
		pngChunk("zTXt", append([]byte("CANARY-ZTXT-KEY\x00\x00"), zlibBytes(t, "compressed comment")...)),
		pngChunk("eXIf", exifSegment("CANARY-EXIF")[10:]),
		pngChunk("tIME", []byte{0x07, 0xE8, 1, 2, 3, 4, 5}),
		pngChunk("iCCP", append([]byte("CANARY-ICC\x00\x00"), zlibBytes(t, "profile")...)),
		pngChunk("prVt", []byte("CANARY-PRIVATE")),
	)
	clean = cat(ihdr, keep, rest, iend)
	dirty = cat(ihdr, meta, keep, rest, pngChunk("tEXt", []byte("Comment\x00CANARY-COMMENT")), iend, []byte("CANARY-TRAILER"))
	return clean, dirty
}

func paletted() image.Image {
	pal := color.Palette{color.NRGBA{0, 0, 0, 0}, color.NRGBA{255, 0, 0, 128}, color.NRGBA{0, 0, 255, 255}}
	img := image.NewPaletted(image.Rect(0, 0, 19, 7), pal)
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 3)
	}
	return img
}

// --- helpers ---

// strip runs Strip, checks its count and, with every read pattern in
// readers, that the result does not depend on how the input arrives.
func strip(t testing.TB, in []byte, f Format) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	n, err := Strip(&out, bytes.NewReader(in), f)
	if n != int64(out.Len()) {
		t.Fatalf("Strip returned %d, wrote %d bytes", n, out.Len())
	}
	for name, wrap := range readers {
		var out2 bytes.Buffer
		_, err2 := Strip(&out2, wrap(bytes.NewReader(in)), f)
		if errString(err) != errString(err2) || (err == nil && !bytes.Equal(out.Bytes(), out2.Bytes())) {
			t.Fatalf("with %s: got (%d bytes, %v), want (%d bytes, %v)", name, out2.Len(), err2, out.Len(), err)
		}
	}
	return out.Bytes(), err
}

var readers = map[string]func(io.Reader) io.Reader{
	"OneByteReader": iotest.OneByteReader,
	"HalfReader":    iotest.HalfReader,
	"DataErrReader": iotest.DataErrReader,
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func mustStrip(t testing.TB, in []byte, f Format) []byte {
	t.Helper()
	out, err := strip(t, in, f)
	if err != nil {
		t.Fatalf("Strip: %v", err)
	}
	if len(out) > len(in) {
		t.Errorf("output (%d bytes) longer than input (%d bytes)", len(out), len(in))
	}
	again, err := strip(t, out, f)
	if err != nil {
		t.Fatalf("Strip of the output: %v", err)
	}
	if !bytes.Equal(again, out) {
		t.Errorf("Strip is not idempotent")
	}
	return out
}

func decode(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

func samePixels(t testing.TB, a, b []byte) {
	t.Helper()
	if !reflect.DeepEqual(decode(t, a), decode(t, b)) {
		t.Errorf("decoded pixels differ")
	}
}

func noCanary(t testing.TB, b []byte) {
	t.Helper()
	if i := bytes.Index(b, []byte(canary)); i >= 0 {
		end := min(len(b), i+40)
		t.Errorf("output still holds %q", b[i:end])
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --- tests ---

func TestSniff(t *testing.T) {
	cleanJPEG, _ := jpegs(t, testImage(67, 45))
	cleanPNG, _ := pngs(t, testImage(5, 5))
	for _, tc := range []struct {
		head []byte
		want Format
	}{
		{cleanJPEG, JPEG},
		{cleanPNG, PNG},
		{cleanJPEG[:8], JPEG},
		{cleanPNG[:8], PNG},
		{cleanJPEG[:7], Unknown},
		{cleanPNG[:7], Unknown},
		{nil, Unknown},
		{[]byte("GIF89a\x01\x00\x01\x00"), Unknown},
		{[]byte("\xFF\xD8\x00\x00\x00\x00\x00\x00"), Unknown},
		{[]byte("\x89PNG\r\n\x1a\x00"), Unknown},
	} {
		if got := Sniff(tc.head); got != tc.want {
			t.Errorf("Sniff(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}

func TestFormatString(t *testing.T) {
	for f, want := range map[Format]string{Unknown: "unknown", JPEG: "JPEG", PNG: "PNG", 7: "Format(7)"} {
		if got := f.String(); got != want {
			t.Errorf("Format(%d).String() = %q, want %q", int(f), got, want)
		}
	}
}

func TestStripJPEGMetadata(t *testing.T) {
	clean, dirty := jpegs(t, testImage(67, 45))
	if !bytes.Contains(dirty, []byte("CANARY-GPS-37.5665")) {
		t.Fatal("test input lacks its canary")
	}
	out := mustStrip(t, dirty, JPEG)
	noCanary(t, out)
	if !bytes.Equal(out, clean) {
		t.Errorf("stripped image differs from the clean image")
	}
	// dirty has markers image/jpeg rejects; compare with what it encoded.
	samePixels(t, cat(soi, clean[2+len(jfif):]), out)
}

func TestStripJPEGCleanUnchanged(t *testing.T) {
	clean, _ := jpegs(t, testImage(67, 45))
	inputs := map[string][]byte{
		"JFIF":       clean,
		"image/jpeg": encodeJPEG(t, testImage(16, 16)),
		"gray":       encodeJPEG(t, image.NewGray(image.Rect(0, 0, 9, 33))),
	}
	for _, name := range testdataJPEGs {
		inputs[name] = readTestdata(t, name)
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			if out := mustStrip(t, in, JPEG); !bytes.Equal(out, in) {
				t.Errorf("clean image changed: %d bytes in, %d out", len(in), len(out))
			}
		})
	}
}

// TestStripJPEGBetweenScans injects metadata before every DHT that follows
// the first scan of a real progressive JPEG (after the first SOS, 0xFFC4 can
// only be a marker) and checks that exactly the injected segments go.
func TestStripJPEGBetweenScans(t *testing.T) {
	for _, name := range []string{"video-001.progressive.jpeg", "video-001.restart2.jpeg"} {
		t.Run(name, func(t *testing.T) {
			orig := readTestdata(t, name)
			firstSOS := bytes.Index(orig, []byte{0xFF, 0xDA})
			junk := cat(seg(0xFE, "CANARY-BETWEEN-SCANS"), exifSegment("CANARY-EXIF"))
			rest := bytes.ReplaceAll(orig[firstSOS:], []byte{0xFF, 0xC4}, cat(junk, []byte{0xFF, 0xC4}))
			rest = bytes.ReplaceAll(rest, []byte{0xFF, 0xD9}, cat(junk, []byte{0xFF, 0xD9}))
			dirty := cat(orig[:firstSOS], rest)
			if bytes.Count(dirty, []byte("CANARY-BETWEEN")) < 2 && name == "video-001.progressive.jpeg" {
				t.Fatal("test did not inject between scans")
			}
			out := mustStrip(t, dirty, JPEG)
			noCanary(t, out)
			if !bytes.Equal(out, orig) {
				t.Errorf("stripped image differs from the original")
			}
			samePixels(t, orig, out)
		})
	}
}

// syntheticProgressive returns a hand-made progressive JPEG stream and what
// Strip must make of it: segments after the first scan are kept or dropped by
// the same rules, scan data (stuffing, RSTn, fill bytes) passes verbatim, and
// fill bytes belong to the marker they precede.
func syntheticProgressive() (in, want []byte) {
	dqt := seg(0xDB, "\x00"+strings.Repeat("\x01", 64))
	sof2 := seg(0xC2, "\x08\x00\x10\x00\x10\x01\x01\x11\x00")
	dht1 := seg(0xC4, "\x00\x00\x01"+strings.Repeat("\x00", 14)+"\x05")
	dht2 := seg(0xC4, "\x10\x01"+strings.Repeat("\x00", 15)+"\x00")
	sos1 := seg(0xDA, "\x01\x01\x00\x00\x00\x01")
	sos2 := seg(0xDA, "\x01\x01\x10\x01\x3F\x01")
	dnl := seg(0xDC, "\x00\x10")
	scan1 := []byte("\x12\xFF\x00\x34\xFF\xD0\x56\xFF\xFF\x00\x78\xFF\xD7")
	scan2 := []byte("\xFF\x00\xFF\x00\x9A\xFF\xFF\xFF\xD1\xBC")
	com := seg(0xFE, "CANARY-BETWEEN-SCANS")
	app1 := exifSegment("CANARY-EXIF")
	fill := []byte{0xFF, 0xFF}

	in = cat(soi, jfif, dqt, sof2, dht1, sos1, scan1,
		com, dnl, fill, app1, dht2, fill, com, sos2, scan2,
		fill, com, fill, eoi, []byte("CANARY-TRAILER"))
	want = cat(soi, jfif, dqt, sof2, dht1, sos1, scan1,
		dnl, dht2, sos2, scan2,
		fill, eoi)
	return in, want
}

func TestStripJPEGSyntheticProgressive(t *testing.T) {
	in, want := syntheticProgressive()
	out := mustStrip(t, in, JPEG)
	noCanary(t, out)
	if !bytes.Equal(out, want) {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
}

// TestStripJPEGBufferBoundary puts 0xFF sequences across the boundaries of
// Strip's read buffer, where the scan loop has to read on.
func TestStripJPEGBufferBoundary(t *testing.T) {
	head := cat(soi, jfif, seg(0xDB, "\x00"+strings.Repeat("\x01", 64)),
		seg(0xC0, "\x08\x00\x10\x00\x10\x01\x01\x11\x00"),
		seg(0xC4, "\x00\x00\x01"+strings.Repeat("\x00", 14)+"\x05"),
		seg(0xDA, "\x01\x01\x00\x00\x3F\x00"))
	for _, boundary := range []int{bufferSize, 2 * bufferSize} {
		for _, seq := range []string{"\xFF\x00", "\xFF\xD3", "\xFF\xFF\x00", "\xFF\xFF\xFF\xD5"} {
			for off := boundary - 4; off <= boundary+1; off++ {
				scan := bytes.Repeat([]byte{0x5A}, off-len(head))
				scan = append(scan, seq...)
				scan = append(scan, 0x33, 0x44)
				clean := cat(head, scan, eoi)
				dirty := cat(head, scan, seg(0xFE, "CANARY"), eoi)
				if out := mustStrip(t, clean, JPEG); !bytes.Equal(out, clean) {
					t.Fatalf("boundary %d, %q at %d: clean image changed", boundary, seq, off)
				}
				if out := mustStrip(t, dirty, JPEG); !bytes.Equal(out, clean) {
					t.Fatalf("boundary %d, %q at %d: got %d bytes, want %d", boundary, seq, off, len(out), len(clean))
				}
			}
		}
		// A marker right at the boundary ends the scan.
		for off := boundary - 3; off <= boundary+1; off++ {
			scan := bytes.Repeat([]byte{0x5A}, off-len(head))
			clean := cat(head, scan, eoi)
			dirty := cat(head, scan, []byte{0xFF}, seg(0xFE, "CANARY"), eoi)
			if out := mustStrip(t, dirty, JPEG); !bytes.Equal(out, clean) {
				t.Fatalf("marker at %d: got %d bytes, want %d", off, len(out), len(clean))
			}
		}
	}
}

// TestStripJPEGTrimmed checks the two kept APP segments that can carry more
// than is needed: a JFIF thumbnail (which can show the photo before it was
// cropped or blurred) and bytes after the Adobe fields.
func TestStripJPEGTrimmed(t *testing.T) {
	enc := encodeJPEG(t, testImage(8, 8))
	body := enc[2:]
	thumb := "JFIF\x00\x01\x02\x01\x00\x48\x00\x48\x02\x01" + "CANARY" // 2x1 RGB thumbnail
	adobe := "Adobe\x00\x64\x00\x00\x00\x00\x01"
	in := cat(soi, seg(0xE0, thumb), seg(0xEE, adobe+"CANARY-ADOBE"), body)
	want := cat(soi, seg(0xE0, "JFIF\x00\x01\x02\x01\x00\x48\x00\x48\x00\x00"), seg(0xEE, adobe), body)
	out := mustStrip(t, in, JPEG)
	noCanary(t, out)
	if !bytes.Equal(out, want) {
		t.Errorf("got\n%q\nwant\n%q", out[:40], want[:40])
	}
	samePixels(t, in, out)

	// Short JFIF and Adobe segments have nothing to trim and are kept.
	short := cat(soi, seg(0xE0, "JFIF\x00\x01"), seg(0xEE, "Adobe\x00"), body)
	if out := mustStrip(t, short, JPEG); !bytes.Equal(out, short) {
		t.Errorf("short JFIF and Adobe segments changed")
	}
}

func TestStripPNGMetadata(t *testing.T) {
	for name, img := range map[string]image.Image{
		"RGBA":     testImage(31, 17),
		"paletted": paletted(),
		"gray16":   image.NewGray16(image.Rect(0, 0, 3, 300)),
	} {
		t.Run(name, func(t *testing.T) {
			clean, dirty := pngs(t, img)
			if !bytes.Contains(dirty, []byte("Author\x00CANARY-AUTHOR")) {
				t.Fatal("test input lacks its canary")
			}
			out := mustStrip(t, dirty, PNG)
			noCanary(t, out)
			if !bytes.Equal(out, clean) {
				t.Errorf("stripped image differs from the clean image")
			}
			samePixels(t, dirty, out)
			if !reflect.DeepEqual(decode(t, out), decode(t, encodePNG(t, img))) {
				t.Errorf("pixels differ from the original")
			}
		})
	}
}

func TestStripPNGCleanUnchanged(t *testing.T) {
	plain := encodePNG(t, paletted())
	clean, _ := pngs(t, testImage(4, 4))
	ihdr, rest := clean[:pngIHDREnd], clean[pngIHDREnd:]
	// An APNG-like stream: the animation chunks are kept.
	apng := cat(ihdr, pngChunk("acTL", []byte{0, 0, 0, 1, 0, 0, 0, 0}),
		pngChunk("fcTL", make([]byte, 26)), rest[:len(rest)-12],
		pngChunk("fcTL", make([]byte, 26)), pngChunk("fdAT", []byte{0, 0, 0, 2, 1, 2, 3}),
		rest[len(rest)-12:])
	for name, in := range map[string][]byte{"paletted": plain, "ancillary": clean, "APNG": apng} {
		t.Run(name, func(t *testing.T) {
			if out := mustStrip(t, in, PNG); !bytes.Equal(out, in) {
				t.Errorf("clean image changed: %d bytes in, %d out", len(in), len(out))
			}
		})
	}
}

// TestStripLargeChunk streams a chunk much larger than the read buffer.
func TestStripLargeChunk(t *testing.T) {
	clean, _ := pngs(t, testImage(4, 4))
	big := pngChunk("tEXt", append([]byte("Comment\x00"), bytes.Repeat([]byte("CANARY "), 3*bufferSize/7)...))
	dirty := cat(clean[:pngIHDREnd], big, clean[pngIHDREnd:])
	if out := mustStrip(t, dirty, PNG); !bytes.Equal(out, clean) {
		t.Errorf("stripped image differs from the clean image")
	}
	keep := pngChunk("fdAT", bytes.Repeat([]byte{0xAB}, 3*bufferSize))
	kept := cat(clean[:pngIHDREnd], keep, clean[pngIHDREnd:])
	if out := mustStrip(t, kept, PNG); !bytes.Equal(out, kept) {
		t.Errorf("large kept chunk changed")
	}
}

func TestStripMalformed(t *testing.T) {
	cleanJPEG, dirtyJPEG := jpegs(t, testImage(67, 45))
	_, dirtyPNG := pngs(t, testImage(6, 6))
	cleanPNG := encodePNG(t, testImage(6, 6))
	body := cleanJPEG[2+len(jfif):] // DQT to EOI
	sos := bytes.Index(body, []byte{0xFF, 0xDA})
	tables, scan := body[:sos], body[sos:] // scan: SOS to EOI
	ihdr, idat := cleanPNG[:pngIHDREnd], cleanPNG[pngIHDREnd:len(cleanPNG)-12]
	iend := cleanPNG[len(cleanPNG)-12:]
	badCRC := func(c []byte) []byte {
		c = bytes.Clone(c)
		c[len(c)-1] ^= 1
		return c
	}
	hugeIDAT := []byte("\x80\x00\x00\x00IDAT")

	for _, tc := range []struct {
		name string
		f    Format
		in   []byte
		want string
	}{
		{"empty", JPEG, nil, "truncated in SOI marker"},
		{"PNG as JPEG", JPEG, cleanPNG, "missing SOI marker"},
		{"only SOI", JPEG, soi, "truncated in marker"},
		{"no EOI", JPEG, cleanJPEG[:len(cleanJPEG)-2], "truncated in scan data"},
		{"half EOI", JPEG, cleanJPEG[:len(cleanJPEG)-1], "truncated in marker"},
		{"short length", JPEG, cat(soi, []byte{0xFF, 0xE1, 0x00, 0x01}, body), "APP1: segment length 1 too short"},
		{"segment past end", JPEG, cat(soi, []byte{0xFF, 0xE1, 0xFF, 0xFF}, []byte("CANARY")), "truncated in APP1"},
		{"junk between segments", JPEG, cat(soi, jfif, []byte{0x00}, body), "expected a marker, found byte 0x00"},
		{"FF00 outside scan", JPEG, cat(soi, []byte{0xFF, 0x00}, body), "0xFF00 outside scan data"},
		{"RST outside scan", JPEG, cat(soi, []byte{0xFF, 0xD0}, body), "unexpected RST0"},
		{"second SOI", JPEG, cat(soi, soi, body), "unexpected SOI"},
		{"SOS before SOF", JPEG, cat(soi, scan), "SOS before any SOF"},
		{"EOI before SOS", JPEG, cat(soi, tables, eoi), "EOI before any SOS"},
		{"bad SOF length", JPEG, cat(soi, seg(0xC0, "\x08\x00\x10\x00\x10\x01\x01\x11\x00\x00"), scan), "SOF0: segment length 12 for 1 components"},
		{"SOF without components", JPEG, cat(soi, seg(0xC0, "\x08\x00\x10\x00\x10\x00"), scan), "SOF0: segment length 8 for 0 components"},
		{"bad SOS length", JPEG, cat(soi, tables, seg(0xDA, "\x01\x01\x00\x00\x3F\x00\x00"), eoi), "SOS: segment length 9 for 1 components"},
		{"bad DRI length", JPEG, cat(soi, seg(0xDD, "\x00"), body), "DRI: segment length 3, want 4"},
		{"JPEG-LS", JPEG, cat(soi, seg(0xF7, "\x08\x00\x10\x00\x10\x01\x01\x11\x00"), seg(0xDA, "\x01\x01\x00\x00\x00\x00"), eoi), "SOS before any SOF"},

		{"empty", PNG, nil, "truncated in signature"},
		{"JPEG as PNG", PNG, cleanJPEG, "bad signature"},
		{"only signature", PNG, cleanPNG[:8], "truncated in chunk header"},
		{"no IEND", PNG, cat(ihdr, idat), "truncated in chunk header"},
		{"bad CRC IDAT", PNG, cat(ihdr, badCRC(idat), iend), "chunk IDAT: bad CRC"},
		{"bad CRC IHDR", PNG, cat(badCRC(ihdr), idat, iend), "chunk IHDR: bad CRC"},
		{"bad CRC IEND", PNG, cat(ihdr, idat, badCRC(iend)), "chunk IEND: bad CRC"},
		{"bad CRC dropped", PNG, cat(ihdr, badCRC(pngChunk("tEXt", []byte("a\x00CANARY"))), idat, iend), "chunk tEXt: bad CRC"},
		{"huge length", PNG, cat(ihdr, hugeIDAT), "chunk IDAT: length 2147483648 exceeds 2^31-1"},
		{"huge length truncated", PNG, cat(ihdr, []byte("\x7f\xff\xff\xffIDAT"), []byte("abc")), "truncated in chunk IDAT"},
		{"no IHDR", PNG, cat(cleanPNG[:8], idat, iend), "first chunk is IDAT, not IHDR"},
		{"IHDR not first", PNG, cat(cleanPNG[:8], pngChunk("tEXt", []byte("a\x00b")), ihdr[8:], idat, iend), "first chunk is tEXt, not IHDR"},
		{"two IHDR", PNG, cat(ihdr, ihdr[8:], idat, iend), "second IHDR chunk"},
		{"no IDAT", PNG, cat(ihdr, iend), "no IDAT chunk before IEND"},
		{"IEND with data", PNG, cat(ihdr, idat, pngChunk("IEND", []byte{0})), "chunk IEND: length 1, want 0"},
		{"short IHDR", PNG, cat(cleanPNG[:8], pngChunk("IHDR", make([]byte, 12)), idat, iend), "chunk IHDR: length 12, want 13"},
		{"zero width", PNG, cat(cleanPNG[:8], pngChunk("IHDR", make([]byte, 13)), idat, iend), "chunk IHDR: invalid dimensions 0x0"},
		{"unknown critical", PNG, cat(ihdr, pngChunk("CNRY", nil), idat, iend), "unknown critical chunk CNRY"},
		{"bad chunk type", PNG, cat(ihdr, pngChunk("a1b\x00", nil), idat, iend), `invalid chunk type "a1b\x00"`},
	} {
		t.Run(tc.f.String()+"/"+tc.name, func(t *testing.T) {
			_, err := strip(t, tc.in, tc.f)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want an error wrapping ErrMalformed", err)
			}
			want := "imgmeta: malformed " + tc.f.String() + ": " + tc.want
			if err.Error() != want {
				t.Errorf("got %q, want %q", err, want)
			}
		})
	}

	// Every proper prefix of an image is truncated.
	for _, tc := range []struct {
		f  Format
		in []byte
	}{{JPEG, cleanJPEG}, {PNG, cleanPNG}, {JPEG, dirtyJPEG[:bytes.LastIndex(dirtyJPEG, eoi)+2]}, {PNG, dirtyPNG[:bytes.LastIndex(dirtyPNG, []byte("IEND"))+8]}} {
		for i := range len(tc.in) {
			if _, err := Strip(io.Discard, bytes.NewReader(tc.in[:i]), tc.f); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "truncated") {
				t.Fatalf("%v truncated to %d of %d bytes: got %v, want truncated", tc.f, i, len(tc.in), err)
			}
		}
	}
}

var errTest = errors.New("test error")

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.after {
		n := w.after
		w.after = 0
		return n, errTest
	}
	w.after -= len(p)
	return len(p), nil
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestStripIOErrors(t *testing.T) {
	cleanJPEG, _ := jpegs(t, testImage(67, 45))
	cleanPNG, _ := pngs(t, testImage(6, 6))
	for _, tc := range []struct {
		f  Format
		in []byte
	}{{JPEG, cleanJPEG}, {PNG, cleanPNG}} {
		for _, at := range []int{0, 1, 100, len(tc.in) / 2} {
			r := io.MultiReader(bytes.NewReader(tc.in[:at]), iotest.ErrReader(errTest))
			n, err := Strip(io.Discard, r, tc.f)
			if !errors.Is(err, errTest) || errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), "failed to read image: ") {
				t.Errorf("%v: read error after %d bytes: got %v", tc.f, at, err)
			}
			if n > int64(at) {
				t.Errorf("%v: wrote %d bytes after reading %d", tc.f, n, at)
			}
		}
		for _, at := range []int{0, 1, 100, len(tc.in) - 1} {
			n, err := Strip(&failWriter{after: at}, bytes.NewReader(tc.in), tc.f)
			if !errors.Is(err, errTest) || errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), "failed to write image: ") {
				t.Errorf("%v: write error after %d bytes: got %v", tc.f, at, err)
			}
			if n != int64(at) {
				t.Errorf("%v: write error after %d bytes: Strip returned %d", tc.f, at, n)
			}
		}
		if _, err := Strip(shortWriter{}, bytes.NewReader(tc.in), tc.f); !errors.Is(err, io.ErrShortWrite) {
			t.Errorf("%v: short write: got %v", tc.f, err)
		}
	}
	for _, f := range []Format{Unknown, 3, -1} {
		if _, err := Strip(io.Discard, bytes.NewReader(cleanJPEG), f); err == nil || errors.Is(err, ErrMalformed) {
			t.Errorf("Strip with format %v: got %v, want an unsupported-format error", f, err)
		}
	}
	if _, err := Strip(nil, bytes.NewReader(cleanJPEG), JPEG); err == nil {
		t.Errorf("Strip to a nil writer succeeded")
	}
}

// TestStripStopsAtEnd checks that bytes after the image stay in a caller's
// large enough bufio.Reader... is not promised; what is promised is that
// Strip does not need them: it succeeds on a reader that fails after the end.
func TestStripIgnoresAfterEnd(t *testing.T) {
	cleanJPEG, _ := jpegs(t, testImage(67, 45))
	cleanPNG, _ := pngs(t, testImage(6, 6))
	for f, in := range map[Format][]byte{JPEG: cleanJPEG, PNG: cleanPNG} {
		r := io.MultiReader(bytes.NewReader(in), iotest.ErrReader(errTest))
		var out bytes.Buffer
		if _, err := Strip(&out, iotest.OneByteReader(r), f); err != nil {
			t.Errorf("%v: %v", f, err)
		} else if !bytes.Equal(out.Bytes(), in) {
			t.Errorf("%v: output differs", f)
		}
	}
}

// TestExiftool asks exiftool, if installed, what metadata it finds in the
// stripped images.
func TestExiftool(t *testing.T) {
	exiftool, err := exec.LookPath("exiftool")
	if err != nil {
		t.Skip("exiftool is not on PATH; install it (e.g. apt install libimage-exiftool-perl) to run this check")
	}
	_, dirtyJPEG := jpegs(t, testImage(67, 45))
	_, dirtyPNG := pngs(t, testImage(6, 6))
	dir := t.TempDir()
	run := func(name string, b []byte) map[string]any {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(exiftool, "-json", "-a", "-u", "-G0", path).Output()
		if err != nil {
			t.Fatalf("exiftool %s: %v", name, err)
		}
		var tags []map[string]any
		if err := json.Unmarshal(out, &tags); err != nil || len(tags) != 1 {
			t.Fatalf("exiftool %s: cannot parse %q: %v", name, out, err)
		}
		return tags[0]
	}
	for _, tc := range []struct {
		name  string
		f     Format
		dirty []byte
	}{{"dirty.jpg", JPEG, dirtyJPEG}, {"dirty.png", PNG, dirtyPNG}} {
		before, _ := json.Marshal(run(tc.name, tc.dirty))
		if !bytes.Contains(before, []byte(canary)) {
			t.Fatalf("exiftool finds no canary in the unstripped %s, so this test checks nothing: %s", tc.name, before)
		}
		after := run("stripped-"+tc.name, mustStrip(t, tc.dirty, tc.f))
		for tag, v := range after {
			group, _, _ := strings.Cut(tag, ":")
			switch {
			case strings.Contains(tag+" "+toString(v), canary):
				t.Errorf("%s: exiftool reports %s = %v", tc.name, tag, v)
			case group == "EXIF", group == "XMP", group == "IPTC", group == "Photoshop",
				group == "ICC_Profile", group == "MakerNotes", group == "FlashPix", group == "MPF":
				t.Errorf("%s: exiftool reports %s = %v", tc.name, tag, v)
			case tag == "File:Comment", tag == "PNG:Author", tag == "PNG:Comment", tag == "PNG:ModifyDate",
				tag == "PNG:Description", tag == "JFIF:ThumbnailImage":
				t.Errorf("%s: exiftool reports %s = %v", tc.name, tag, v)
			}
		}
		t.Logf("exiftool on stripped %s: %v", tc.name, after)
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// --- fuzzing ---

// checkStrip is the fuzz property: Strip never panics, fails only with
// ErrMalformed on in-memory input, does not depend on read sizes, never
// grows the input, is idempotent, and keeps what image/jpeg or image/png
// decode.
func checkStrip(t *testing.T, in []byte, f Format) {
	var out bytes.Buffer
	n, err := Strip(&out, bytes.NewReader(in), f)
	if n != int64(out.Len()) {
		t.Fatalf("Strip returned %d, wrote %d bytes", n, out.Len())
	}
	var out1 bytes.Buffer
	_, err1 := Strip(&out1, iotest.OneByteReader(bytes.NewReader(in)), f)
	if errString(err) != errString(err1) || !bytes.Equal(out.Bytes(), out1.Bytes()) {
		t.Fatalf("one byte at a time: got (%d bytes, %v), want (%d bytes, %v)", out1.Len(), err1, out.Len(), err)
	}
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		return
	}
	if out.Len() > len(in) {
		t.Fatalf("output (%d bytes) longer than input (%d bytes)", out.Len(), len(in))
	}
	var again bytes.Buffer
	if _, err := Strip(&again, bytes.NewReader(out.Bytes()), f); err != nil {
		t.Fatalf("Strip of the output: %v", err)
	}
	if !bytes.Equal(again.Bytes(), out.Bytes()) {
		t.Fatalf("Strip is not idempotent")
	}

	// What the standard decoders accept must decode to the same pixels.
	cfg, _, err := image.DecodeConfig(bytes.NewReader(in))
	if err != nil || cfg.Width*cfg.Height > 1<<16 {
		return
	}
	a, _, err := image.Decode(bytes.NewReader(in))
	if err != nil {
		return
	}
	b, _, err := image.Decode(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("input decodes, output does not: %v", err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("decoded pixels differ")
	}
}

func FuzzStripJPEG(f *testing.F) {
	// Small seeds: the fuzzer minimizes every input that finds new
	// coverage, which takes long on inputs of many kilobytes.
	clean, dirty := jpegs(f, testImage(8, 8))
	f.Add(clean)
	f.Add(dirty)
	f.Add(encodeJPEG(f, image.NewGray(image.Rect(0, 0, 8, 8))))
	f.Add(cat(soi, seg(0xE0, "JFIF\x00\x01\x02\x01\x00\x48\x00\x48\x01\x01abc"), seg(0xEE, "Adobe\x00\x64\x00\x00\x00\x00\x01xyz"), clean[2:]))
	progressive, _ := syntheticProgressive()
	f.Add(progressive)
	f.Fuzz(func(t *testing.T, in []byte) { checkStrip(t, in, JPEG) })
}

func FuzzStripPNG(f *testing.F) {
	for _, img := range []image.Image{testImage(3, 2), paletted()} {
		clean, dirty := pngs(f, img)
		f.Add(clean)
		f.Add(dirty)
		f.Add(encodePNG(f, img))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkStrip(t, in, PNG) })
}

// --- benchmark ---

// benchJPEG builds a JPEG-like stream of about size bytes: the usual
// segments, then random scan data with every 0xFF stuffed as 0xFF00.
func benchJPEG(size int) []byte {
	b := cat(soi, jfif, seg(0xDB, "\x00"+strings.Repeat("\x01", 64)),
		seg(0xC0, "\x08\x10\x00\x10\x00\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"),
		seg(0xC4, "\x00\x00\x01"+strings.Repeat("\x00", 14)+"\x05"),
		seg(0xDA, "\x03\x01\x00\x02\x11\x03\x11\x00\x3F\x00"))
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	for len(b) < size-2 {
		c := byte(rng.Uint32())
		b = append(b, c)
		if c == 0xFF {
			b = append(b, 0x00)
		}
	}
	return append(b, eoi...)
}

// plainReader and plainWriter hide io.WriterTo and io.ReaderFrom, so that
// io.Copy really copies through a buffer, as it would from a file to an
// encrypting writer.
type plainReader struct{ io.Reader }

type plainWriter struct{ io.Writer }

func BenchmarkStripJPEG(b *testing.B) {
	data := benchJPEG(32 << 20)
	b.Run("strip", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			n, err := Strip(plainWriter{io.Discard}, plainReader{bytes.NewReader(data)}, JPEG)
			if err != nil || n != int64(len(data)) {
				b.Fatalf("Strip: %d bytes, %v", n, err)
			}
		}
	})
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			n, err := io.Copy(plainWriter{io.Discard}, plainReader{bytes.NewReader(data)})
			if err != nil || n != int64(len(data)) {
				b.Fatalf("io.Copy: %d bytes, %v", n, err)
			}
		}
	})
}
