package desk

import (
	"sort"
	"strconv"
)

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

// SetUnlockStepHook makes every unlock call f after each of its steps (with
// the number of steps done), until the returned function is called.
func SetUnlockStepHook(f func(done int)) (restore func()) {
	unlockStepHook = f
	return func() { unlockStepHook = nil }
}

// KeepPortForTest makes d take port as the port its home keeps.
func KeepPortForTest(d *Desk, port string) error {
	p, err := strconv.Atoi(port)
	d.kept.Port = p
	return err
}
