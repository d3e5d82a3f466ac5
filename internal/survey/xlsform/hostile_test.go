package xlsform_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"testimony/internal/survey"
	"testimony/internal/survey/xlsform"
)

// withParts returns the workbook src with the given parts replaced.
func withParts(t *testing.T, src []byte, parts map[string]string) []byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range z.File {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := parts[f.Name]; ok {
			io.WriteString(fw, p)
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(fw, r)
		r.Close()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fill returns head, then unit repeated, then tail: size bytes in all.
func fill(head, unit, tail string, size int) string {
	n := (size - len(head) - len(tail)) / len(unit)
	return head + strings.Repeat(unit, n) + tail
}

const (
	stylesHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>`
	stylesTail = `</cellXfs></styleSheet>`
	sstHead    = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`
	sstTail    = `</sst>`
)

// TestHostileWithinLimits reads a workbook whose parts, a few KiB in the
// zip, are as large as the limits allow and made of the elements that cost
// excelize the most memory (empty styles, empty strings): it is read (and
// refused: it has no questions) within 400 MiB of heap. Just past a limit,
// the same workbook is refused before anything is unpacked.
func TestHostileWithinLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MiB")
	}
	seed := workbook(t, surveySheet([]string{"text", "q", "Q"}))
	// The seed's other XML parts are a few KiB: the styles get the rest.
	other := 0
	z, _ := zip.NewReader(bytes.NewReader(seed), int64(len(seed)))
	for _, f := range z.File {
		if n := strings.ToLower(f.Name); !strings.HasPrefix(n, "xl/worksheets/") && n != "xl/sharedstrings.xml" && n != "xl/styles.xml" {
			other += int(f.UncompressedSize64)
		}
	}
	styles := fill(stylesHead, "<xf/>", stylesTail, xlsform.MaxXMLSize-other)
	sst := fill(sstHead, "<si><t/></si>", sstTail, xlsform.MaxStringsSize)
	hostile := withParts(t, seed, map[string]string{"xl/styles.xml": styles, "xl/sharedStrings.xml": sst})
	if len(hostile) > 64<<10 {
		t.Fatalf("the hostile workbook is %d bytes", len(hostile))
	}

	runtime.GC()
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	_, _, err := read(t, hostile)
	close(stop)
	<-sampled
	// Refused for what the sheets say, after reading them all.
	var fe *survey.FormError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "no questions") {
		t.Fatalf("got %v, want the FormError that the form has no questions", err)
	}
	t.Logf("peak heap %d MiB", peak>>20)
	if peak > 400<<20 {
		t.Errorf("reading took %d MiB of heap", peak>>20)
	}

	// One part past its limit: refused on the zip's directory.
	for name, part := range map[string]string{
		"xl/styles.xml":        styles + strings.Repeat(" ", xlsform.MaxXMLSize+1-len(styles)),
		"xl/sharedStrings.xml": sst + strings.Repeat(" ", xlsform.MaxStringsSize+1-len(sst)),
	} {
		_, _, err := read(t, withParts(t, seed, map[string]string{name: part}))
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "to more than") {
			t.Errorf("%s past its limit: got %v", name, err)
		}
	}
}
