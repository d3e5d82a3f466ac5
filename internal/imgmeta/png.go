package imgmeta

import "hash/crc32"

// pngKeep lists the chunks that are kept: the critical chunks and the
// ancillary chunks that affect how the pixels are displayed.
var pngKeep = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true,
	"tRNS": true, "gAMA": true, "cHRM": true, "sRGB": true, "sBIT": true,
	"bKGD": true, "pHYs": true, "cICP": true, "mDCv": true, "cLLi": true,
	"acTL": true, "fcTL": true, "fdAT": true,
}

// pngMaxLength is the largest chunk length PNG allows.
const pngMaxLength = 1<<31 - 1

// png strips a PNG: the signature, then chunks of a 4-byte length, a 4-byte
// type, the data and a CRC-32 of type and data, from IHDR to IEND.
func (s *stripper) png() error {
	p, err := s.peek(len(pngSignature), "signature")
	if err != nil {
		return err
	}
	if string(p) != pngSignature {
		return s.malformed("bad signature")
	}
	if err := s.write(p); err != nil {
		return err
	}
	s.discard(len(p))

	for first, sawIDAT := true, false; ; first = false {
		h, err := s.peek(8, "chunk header")
		if err != nil {
			return err
		}
		length := be32(h[:4])
		typ := h[4:8]
		for _, c := range typ {
			if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
				return s.malformed("invalid chunk type %q", typ)
			}
		}
		name := string(typ)
		if length > pngMaxLength {
			return s.malformed("chunk %s: length %d exceeds 2^31-1", name, length)
		}
		keep := pngKeep[name]
		switch {
		case first && name != "IHDR":
			return s.malformed("first chunk is %s, not IHDR", name)
		case !first && name == "IHDR":
			return s.malformed("second IHDR chunk")
		case name == "IHDR" && length != 13:
			return s.malformed("chunk IHDR: length %d, want 13", length)
		case name == "IEND" && length != 0:
			return s.malformed("chunk IEND: length %d, want 0", length)
		case name == "IEND" && !sawIDAT:
			return s.malformed("no IDAT chunk before IEND")
		case name == "IDAT":
			sawIDAT = true
		case !keep && typ[0]&0x20 == 0:
			// A decoder must reject an image with a critical chunk it does
			// not know, so dropping one would change what the image is.
			return s.malformed("unknown critical chunk %s", name)
		}

		crc := crc32.Update(0, crc32.IEEETable, typ)
		if keep {
			if err := s.write(h); err != nil {
				return err
			}
		}
		s.discard(8)

		if name == "IHDR" {
			p, err := s.peek(13, "chunk IHDR")
			if err != nil {
				return err
			}
			w, h := be32(p[0:4]), be32(p[4:8])
			if w == 0 || h == 0 || w > pngMaxLength || h > pngMaxLength {
				return s.malformed("chunk IHDR: invalid dimensions %dx%d", w, h)
			}
		}
		err = s.pass(int64(length), keep, func(p []byte) {
			crc = crc32.Update(crc, crc32.IEEETable, p)
		}, "chunk "+name)
		if err != nil {
			return err
		}

		p, err := s.peek(4, "chunk "+name+" CRC")
		if err != nil {
			return err
		}
		if be32(p) != crc {
			return s.malformed("chunk %s: bad CRC", name)
		}
		if keep {
			if err := s.write(p); err != nil {
				return err
			}
		}
		s.discard(4)
		if name == "IEND" {
			return nil
		}
	}
}
