package envelope

import "math/bits"

// Padme returns the PADMÉ padded length for a length n (Nikitin et al.,
// "Reducing Metadata Leakage from Encrypted Files and Communication with
// PURBs", 2019): n rounded up so that only its top ⌊log₂ ⌊log₂ n⌋⌋ + 1 bits
// may be non-zero. The overhead is at most 12%, and Padme(Padme(n)) ==
// Padme(n).
func Padme(n uint64) uint64 {
	if n < 2 {
		return n
	}
	e := bits.Len64(n) - 1       // ⌊log₂ n⌋
	s := bits.Len64(uint64(e))   // ⌊log₂ e⌋ + 1
	mask := uint64(1)<<(e-s) - 1 // the low e-s bits are rounded away
	return (n + mask) &^ mask
}
