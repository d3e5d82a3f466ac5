package keys_test

import (
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"

	"testimony/keys"
)

// TestUnlockKeepsNoScryptBuffer unlocks a key file protected at the real
// work factor (18, which TestMain turns down for every other test) and
// checks that the 256 MiB scrypt buffer is garbage once the key is loaded:
// nothing in keys, age or scrypt may keep it reachable, or every key a desk
// unlocks would add 256 MiB to its memory for as long as it runs.
func TestUnlockKeepsNoScryptBuffer(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and unlocks a key file at the real scrypt work factor, about 2 s; skipped with -short")
	}
	const realWorkFactor = 18
	saved := keys.ScryptWorkFactor
	keys.ScryptWorkFactor = realWorkFactor
	t.Cleanup(func() { keys.ScryptWorkFactor = saved })
	path := filepath.Join(t.TempDir(), "id.key")
	pass := mustPassphrase(t, testPassphrase)
	if err := keys.WriteIdentityFile(path, mustIdentity(t, keys.Hybrid), &pass); err != nil {
		t.Fatal(err)
	}

	read := func(name string) int64 {
		s := []metrics.Sample{{Name: name}}
		metrics.Read(s)
		return int64(s[0].Value.Uint64())
	}
	runtime.GC()
	before, allocs := read("/gc/heap/live:bytes"), read("/gc/heap/allocs:bytes")
	id, err := keys.LoadIdentity(path, unlockWith(t, testPassphrase, nil))
	if err != nil {
		t.Fatal(err)
	}
	allocated := read("/gc/heap/allocs:bytes") - allocs
	runtime.GC()
	live := read("/gc/heap/live:bytes") - before
	runtime.KeepAlive(id)

	// 128·r·N bytes with r = 8 and N = 2¹⁸: the unlock really ran scrypt at
	// the real work factor, so the check below means something.
	if allocated < 256<<20 {
		t.Fatalf("unlocking allocated %d MiB, want at least 256 MiB (one scrypt at work factor %d)", allocated>>20, realWorkFactor)
	}
	if live > 1<<20 {
		t.Errorf("after unlocking, %d KiB more is live on the heap: something keeps the scrypt buffer", live>>10)
	}
	t.Logf("unlock allocated %.1f MiB; %d KiB stayed live with the identity", float64(allocated)/(1<<20), live>>10)
}
