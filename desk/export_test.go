package desk

import "sort"

// MissingKorean returns the texts shown so far that have no Korean.
func MissingKorean() []string {
	missingMu.Lock()
	defer missingMu.Unlock()
	var out []string
	for k := range missing {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
