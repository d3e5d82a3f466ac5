package imgmeta

import (
	"bytes"
	"fmt"
)

// JPEG marker codes (the byte after 0xFF), from ITU T.81 table B.1.
const (
	mTEM  = 0x01
	mSOF0 = 0xC0
	mDHT  = 0xC4
	mJPG  = 0xC8
	mDAC  = 0xCC
	mRST0 = 0xD0
	mRST7 = 0xD7
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDNL  = 0xDC
	mDRI  = 0xDD
	mDHP  = 0xDE
	mEXP  = 0xDF
	mAPP0 = 0xE0
	mAPPE = 0xEE // APP14
	mAPPF = 0xEF
	mCOM  = 0xFE
)

// Lengths of the payloads (after the length field) that are kept of the
// APP0 JFIF and APP14 Adobe segments: "JFIF\0", version, units, densities and
// the thumbnail dimensions (set to 0); "Adobe", version, flags and transform.
const (
	jfifLen  = 14
	adobeLen = 12
)

func isSOF(m byte) bool {
	return m >= mSOF0 && m <= 0xCF && m != mDHT && m != mJPG && m != mDAC
}

func isRST(m byte) bool { return m >= mRST0 && m <= mRST7 }

func markerName(m byte) string {
	switch {
	case isSOF(m):
		return fmt.Sprintf("SOF%d", m-mSOF0)
	case isRST(m):
		return fmt.Sprintf("RST%d", m-mRST0)
	case m >= mAPP0 && m <= mAPPF:
		return fmt.Sprintf("APP%d", m-mAPP0)
	}
	switch m {
	case mTEM:
		return "TEM"
	case mDHT:
		return "DHT"
	case mDAC:
		return "DAC"
	case mSOI:
		return "SOI"
	case mEOI:
		return "EOI"
	case mSOS:
		return "SOS"
	case mDQT:
		return "DQT"
	case mDNL:
		return "DNL"
	case mDRI:
		return "DRI"
	case mDHP:
		return "DHP"
	case mEXP:
		return "EXP"
	case mCOM:
		return "COM"
	}
	return fmt.Sprintf("marker 0xFF%02X", m)
}

// jpeg strips a JPEG. The input is a sequence of markers, each optionally
// preceded by 0xFF fill bytes; all but SOI, EOI, TEM and RSTn start a segment
// with a 16-bit length, and SOS is followed by entropy-coded data.
func (s *stripper) jpeg() error {
	p, err := s.peek(2, "SOI marker")
	if err != nil {
		return err
	}
	if p[0] != 0xFF || p[1] != mSOI {
		return s.malformed("missing SOI marker")
	}
	if err := s.write(p); err != nil {
		return err
	}
	s.discard(2)

	sawFrame, sawScan, inScan := false, false, false
	for {
		var (
			fill int64
			m    byte
			err  error
		)
		if inScan {
			fill, m, err = s.jpegScan()
			inScan = false
		} else {
			fill, m, err = s.jpegMarker()
		}
		if err != nil {
			return err
		}
		switch {
		case m == mEOI:
			if !sawScan {
				return s.malformed("EOI before any SOS")
			}
			return s.jpegWriteMarker(fill, m)
		case m == 0x00:
			return s.malformed("0xFF00 outside scan data")
		case m == mSOI, isRST(m):
			return s.malformed("unexpected %s", markerName(m))
		case m == mTEM:
			// A standalone marker without meaning for decoding: drop it.
			continue
		}

		p, err := s.peek(2, markerName(m)+" length")
		if err != nil {
			return err
		}
		n := be16(p)
		if n < 2 {
			return s.malformed("%s: segment length %d too short", markerName(m), n)
		}
		switch {
		case m == mSOS:
			if !sawFrame {
				return s.malformed("SOS before any SOF")
			}
			err = s.jpegSOS(fill, n)
			sawScan, inScan = true, true
		case isSOF(m):
			err = s.jpegSOF(fill, m, n)
			sawFrame = true
		case m == mDRI:
			if n != 4 {
				return s.malformed("DRI: segment length %d, want 4", n)
			}
			err = s.jpegKeep(fill, m, n)
		case m == mDQT, m == mDHT, m == mDAC, m == mDNL, m == mDHP, m == mEXP:
			err = s.jpegKeep(fill, m, n)
		case m == mAPP0:
			err = s.jpegApp(fill, m, n, "JFIF\x00", jfifLen)
		case m == mAPPE:
			err = s.jpegApp(fill, m, n, "Adobe", adobeLen)
		default:
			err = s.pass(int64(n), false, nil, markerName(m))
		}
		if err != nil {
			return err
		}
	}
}

// jpegMarker reads the marker that must come next outside scan data and
// returns its code and the number of fill bytes before it.
func (s *stripper) jpegMarker() (fill int64, m byte, err error) {
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, 0, s.readErr(err, "marker")
	}
	if b != 0xFF {
		return 0, 0, s.malformed("expected a marker, found byte 0x%02X", b)
	}
	return s.jpegMarkerCode()
}

// jpegMarkerCode reads the code of a marker whose first 0xFF has been read,
// skipping and counting fill bytes.
func (s *stripper) jpegMarkerCode() (fill int64, m byte, err error) {
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return 0, 0, s.readErr(err, "marker")
		}
		if b != 0xFF {
			return fill, b, nil
		}
		fill++
	}
}

func (s *stripper) jpegWriteMarker(fill int64, m byte) error {
	if err := s.writeFF(fill); err != nil {
		return err
	}
	return s.write([]byte{0xFF, m})
}

// jpegKeep copies a segment of length n (counting the length field) whose
// marker has been read.
func (s *stripper) jpegKeep(fill int64, m byte, n int) error {
	if err := s.jpegWriteMarker(fill, m); err != nil {
		return err
	}
	return s.pass(int64(n), true, nil, markerName(m))
}

// jpegSOF checks and copies a frame header: precision, height, width, the
// number of components Nf and three bytes for each.
func (s *stripper) jpegSOF(fill int64, m byte, n int) error {
	p, err := s.peek(8, markerName(m))
	if err != nil {
		return err
	}
	if nf := int(p[7]); nf == 0 || n != 8+3*nf {
		return s.malformed("%s: segment length %d for %d components", markerName(m), n, nf)
	}
	return s.jpegKeep(fill, m, n)
}

// jpegSOS checks and copies a scan header: the number of components Ns, two
// bytes for each, and three bytes of spectral selection and approximation.
func (s *stripper) jpegSOS(fill int64, n int) error {
	p, err := s.peek(3, "SOS")
	if err != nil {
		return err
	}
	if ns := int(p[2]); ns < 1 || ns > 4 || n != 6+2*ns {
		return s.malformed("SOS: segment length %d for %d components", n, ns)
	}
	return s.jpegKeep(fill, mSOS, n)
}

// jpegApp handles an APP0 or APP14 segment of length n: it is kept if its
// payload starts with id, cut to keepLen bytes of payload, and dropped
// otherwise. For JFIF the thumbnail dimensions in the last two kept bytes
// are set to 0, since the thumbnail itself is dropped.
func (s *stripper) jpegApp(fill int64, m byte, n int, id string, keepLen int) error {
	payload := n - 2
	if payload < len(id) {
		return s.pass(int64(n), false, nil, markerName(m))
	}
	p, err := s.peek(2+len(id), markerName(m))
	if err != nil {
		return err
	}
	if !hasPrefix(p[2:], id) {
		return s.pass(int64(n), false, nil, markerName(m))
	}
	if payload < keepLen {
		return s.jpegKeep(fill, m, n)
	}
	p, err = s.peek(2+keepLen, markerName(m))
	if err != nil {
		return err
	}
	seg := make([]byte, 0, 4+keepLen)
	seg = append(seg, 0xFF, m, byte((2+keepLen)>>8), byte(2+keepLen))
	seg = append(seg, p[2:]...)
	if m == mAPP0 {
		seg[len(seg)-2], seg[len(seg)-1] = 0, 0
	}
	if err := s.writeFF(fill); err != nil {
		return err
	}
	if err := s.write(seg); err != nil {
		return err
	}
	s.discard(2 + keepLen)
	return s.pass(int64(payload-keepLen), false, nil, markerName(m))
}

// jpegScan copies entropy-coded data, with its stuffed 0xFF00 bytes, RSTn
// markers and fill bytes, up to the next other marker, which it reads and
// returns with the number of fill bytes before it.
//
// The common case is a window of buffered input scanned with
// bytes.IndexByte and written in one call; only a 0xFF at the end of the
// window or one followed by more 0xFF or a marker takes the slow path.
func (s *stripper) jpegScan() (fill int64, m byte, err error) {
	for {
		p, err := s.window("scan data")
		if err != nil {
			return 0, 0, err
		}
		i := 0
		for {
			k := bytes.IndexByte(p[i:], 0xFF)
			if k < 0 {
				i = len(p)
				break
			}
			i += k
			if i+1 == len(p) {
				break
			}
			if c := p[i+1]; c != 0x00 && !isRST(c) {
				break
			}
			i += 2
		}
		if i > 0 {
			if err := s.write(p[:i]); err != nil {
				return 0, 0, err
			}
			s.discard(i)
			continue
		}
		// p[0] is 0xFF and the window ends there, or more 0xFF or a marker
		// follows.
		s.discard(1)
		fill, m, err := s.jpegMarkerCode()
		if err != nil {
			return 0, 0, err
		}
		if m != 0x00 && !isRST(m) {
			return fill, m, nil
		}
		if err := s.writeFF(fill + 1); err != nil {
			return 0, 0, err
		}
		if err := s.write([]byte{m}); err != nil {
			return 0, 0, err
		}
	}
}
