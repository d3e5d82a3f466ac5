//go:build linux

package envelope

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age/armor"

	"testimony/keys"
)

// realWorkFactor is the scrypt work factor (log₂ N) that key files are
// written with outside tests: keys.ScryptWorkFactor's default. The
// benchmarks below refuse key files protected with less, so that they never
// measure a work factor a test turned down.
const realWorkFactor = 18

// benchPassphrase protects the benchmarks' key files.
const benchPassphrase = "correct horse battery staple"

// memChildEnv names the spec file of a child process that seals or opens
// one file and reports its memory (see memChild). The test binary runs it
// from init, before any test, when the variable is set.
const memChildEnv = "TESTIMONY_ENVELOPE_MEM_CHILD"

func init() {
	if spec := os.Getenv(memChildEnv); spec != "" {
		if err := memChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "mem child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// memSpec is what a child process does: unlock the key file Key (with
// Passphrase if it is protected), then seal In as an attachment to Out, or
// open the sealed file In into a discarding sink. Staged runs return the
// unlock's memory to the system and reset the high-water mark in between.
type memSpec struct {
	Op         string // "seal" or "open"
	Staged     bool
	Key        string
	Passphrase string
	Roster     []byte // signed
	Admin      string // the admin's verifier key
	In, Out    string
	ID         string
}

// memReport is what a child process measured. In a staged run the
// high-water mark is reset after the unlock (Linux /proc/self/clear_refs),
// once the scrypt buffer is collected and given back to the system, so
// FilePeak is the per-file cost alone; otherwise FilePeak is the whole
// process's peak, as a CLI command has it.
//
// The child measures itself: getrusage's ru_maxrss for a child started by
// Go (vfork, then exec) counts the parent's resident set at the exec, which
// here is the benchmark's, several hundred MiB.
type memReport struct {
	// StartHWM, UnlockPeak and FilePeak are high-water marks of resident
	// memory in bytes: at start, after the unlock, after the file.
	StartHWM, UnlockPeak, FilePeak int64
	// Released is the resident memory once the unlock's was returned.
	Released int64
	// UnlockAllocs and FileAllocs are the bytes Go allocated in each
	// stage; UnlockGoHeld and FileGoHeld the bytes the Go runtime held
	// from the system (mapped, less what it released) after each
	// (runtime/metrics).
	UnlockAllocs, FileAllocs int64
	UnlockGoHeld, FileGoHeld int64
	UnlockTime, FileTime     time.Duration
	// UnlockCPU is the processor time (user and system) of the unlock.
	UnlockCPU time.Duration
	// WorkFactor is the protected key file's scrypt work factor.
	WorkFactor int
	// Reset says whether the high-water mark could be reset.
	Reset bool
}

// BenchmarkUnlock is the one-time cost of a passphrase-protected key file at
// the real work factor, in process: ns/op is the time to unlock it, B/op the
// memory scrypt allocates (128·r·N = 256 MiB at 18). A desk pays it once per
// key file at every unlock; the CLI once per command.
func BenchmarkUnlock(b *testing.B) {
	o := newOrg(b, keys.Hybrid)
	dir := b.TempDir()
	pass := mustBenchPassphrase(b)
	device := filepath.Join(dir, "laptop-1.key")
	if err := keys.WriteSigningKeyFile(device, o.device, &pass); err != nil {
		b.Fatal(err)
	}
	identity := filepath.Join(dir, "reviewer-1.key")
	if err := keys.WriteIdentityFile(identity, o.reviewers[0], &pass); err != nil {
		b.Fatal(err)
	}
	requireRealWorkFactor(b, device, identity)
	u := keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) { return keys.ExistingPassphrase(benchPassphrase) }}
	b.Run("signing-key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := keys.LoadSigningKey(device, u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("identity", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := keys.LoadIdentity(identity, u); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMemory seals and opens one 64 MiB attachment from and to disk in
// a child process, as the CLI does, with the key file unprotected (plain)
// and protected at the real work factor, and reports the child's memory:
//
//   - peak-RSS-MiB: the process's peak resident set (VmHWM) in a run that
//     unlocks and seals or opens as a command does, releasing nothing;
//   - then, from a second, staged run:
//   - unlock-peak-MiB, unlock-ms, unlock-cpu-ms: unlocking the key file;
//   - file-peak-MiB, file-ms: sealing or opening, measured after the
//     unlock's memory was collected and returned and the high-water mark
//     reset: the per-file cost;
//   - unlock-alloc-MiB, file-alloc-MiB: what Go allocated in each stage
//     (runtime/metrics /gc/heap/allocs:bytes);
//   - unlock-go-held-MiB, file-go-held-MiB: what the Go runtime held from
//     the system at the end of each stage (/memory/classes/total:bytes
//     less /memory/classes/heap/released:bytes).
//
// ns/op is the life of both children, start-up included.
func BenchmarkMemory(b *testing.B) {
	o := newOrg(b, keys.Hybrid)
	dir := b.TempDir()
	pass := mustBenchPassphrase(b)
	plainDevice, protectedDevice := filepath.Join(dir, "plain-device.key"), filepath.Join(dir, "device.key")
	plainID, protectedID := filepath.Join(dir, "plain-reviewer.key"), filepath.Join(dir, "reviewer.key")
	for _, err := range []error{
		keys.WriteSigningKeyFile(plainDevice, o.device, nil),
		keys.WriteSigningKeyFile(protectedDevice, o.device, &pass),
		keys.WriteIdentityFile(plainID, o.reviewers[0], nil),
		keys.WriteIdentityFile(protectedID, o.reviewers[0], &pass),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}
	requireRealWorkFactor(b, protectedDevice, protectedID)

	attachment := filepath.Join(dir, "recording.bin")
	data := make([]byte, benchSize)
	rand.NewChaCha8([32]byte{1}).Read(data)
	if err := os.WriteFile(attachment, data, 0o600); err != nil {
		b.Fatal(err)
	}
	sealed := filepath.Join(dir, testID+".age")
	a, err := AttachmentFile(attachment)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Seal(&buf, Contents{Note: []byte("note\n"), Attachments: []Attachment{a}}, o.options()); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(sealed, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	data, buf = nil, bytes.Buffer{}

	for _, c := range []struct {
		name string
		spec memSpec
	}{
		{"seal/plain-key", memSpec{Op: "seal", Key: plainDevice, In: attachment}},
		{"seal/protected-key", memSpec{Op: "seal", Key: protectedDevice, Passphrase: benchPassphrase, In: attachment}},
		{"open/plain-key", memSpec{Op: "open", Key: plainID, In: sealed}},
		{"open/protected-key", memSpec{Op: "open", Key: protectedID, Passphrase: benchPassphrase, In: sealed}},
	} {
		b.Run(c.name, func(b *testing.B) {
			spec := c.spec
			spec.Roster, spec.Admin, spec.ID = o.signed, o.admin.Verifier(), testID
			var sum memReport
			var whole int64
			for b.Loop() {
				// As a command runs: nothing released, one peak.
				spec.Staged, spec.Out = false, filepath.Join(b.TempDir(), "out.age")
				w := runMemChild(b, spec)
				whole += w.FilePeak
				// Staged: the unlock, then the file alone.
				spec.Staged, spec.Out = true, filepath.Join(b.TempDir(), "out.age")
				r := runMemChild(b, spec)
				for _, r := range []memReport{w, r} {
					if c.spec.Passphrase != "" && r.WorkFactor != realWorkFactor {
						b.Fatalf("the child unlocked a key at work factor %d, want %d", r.WorkFactor, realWorkFactor)
					}
				}
				if !r.Reset {
					b.Fatal("the child could not reset its high-water mark (/proc/self/clear_refs): file-peak-MiB would include the unlock")
				}
				sum.UnlockPeak += r.UnlockPeak
				sum.FilePeak += r.FilePeak
				sum.UnlockGoHeld += r.UnlockGoHeld
				sum.FileGoHeld += r.FileGoHeld
				sum.UnlockAllocs += r.UnlockAllocs
				sum.FileAllocs += r.FileAllocs
				sum.UnlockTime += r.UnlockTime
				sum.UnlockCPU += r.UnlockCPU
				sum.FileTime += r.FileTime
			}
			n := float64(b.N)
			b.ReportMetric(float64(whole)/n/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(float64(sum.UnlockPeak)/n/(1<<20), "unlock-peak-MiB")
			b.ReportMetric(float64(sum.FilePeak)/n/(1<<20), "file-peak-MiB")
			b.ReportMetric(float64(sum.UnlockAllocs)/n/(1<<20), "unlock-alloc-MiB")
			b.ReportMetric(float64(sum.FileAllocs)/n/(1<<20), "file-alloc-MiB")
			b.ReportMetric(float64(sum.UnlockGoHeld)/n/(1<<20), "unlock-go-held-MiB")
			b.ReportMetric(float64(sum.FileGoHeld)/n/(1<<20), "file-go-held-MiB")
			b.ReportMetric(float64(sum.UnlockTime.Milliseconds())/n, "unlock-ms")
			b.ReportMetric(float64(sum.UnlockCPU.Milliseconds())/n, "unlock-cpu-ms")
			b.ReportMetric(float64(sum.FileTime.Milliseconds())/n, "file-ms")
		})
	}
}

// runMemChild runs spec in a child process (this test binary) and returns
// its report.
func runMemChild(b *testing.B, spec memSpec) memReport {
	b.Helper()
	path := filepath.Join(b.TempDir(), "spec.json")
	js, err := json.Marshal(spec)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, js, 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), memChildEnv+"="+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("child %s: %v\n%s", spec.Op, err, stderr.Bytes())
	}
	var r memReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		b.Fatalf("child %s printed %q: %v", spec.Op, stdout.Bytes(), err)
	}
	return r
}

// memChild runs the spec in the file at path and prints a memReport.
func memChild(path string) error {
	js, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var s memSpec
	if err := json.Unmarshal(js, &s); err != nil {
		return err
	}
	admin, err := keys.ParseVerifier(s.Admin)
	if err != nil {
		return err
	}
	roster, err := keys.VerifyRoster(s.Roster, admin, nil)
	if err != nil {
		return err
	}
	var r memReport
	r.StartHWM, _ = procStatus()
	if s.Passphrase != "" {
		if r.WorkFactor, err = keyFileWorkFactor(s.Key); err != nil {
			return err
		}
	}
	u := keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) { return keys.ExistingPassphrase(s.Passphrase) }}

	// The one-time cost: unlock the key file.
	allocs0 := goMetric("/gc/heap/allocs:bytes")
	cpu0 := cpuTime()
	start := time.Now()
	var device *keys.SigningKey
	var identity *keys.Identity
	if s.Op == "seal" {
		device, err = keys.LoadSigningKey(s.Key, u)
	} else {
		identity, err = keys.LoadIdentity(s.Key, u)
	}
	if err != nil {
		return err
	}
	r.UnlockTime = time.Since(start)
	r.UnlockCPU = cpuTime() - cpu0
	r.UnlockAllocs = goMetric("/gc/heap/allocs:bytes") - allocs0
	r.UnlockGoHeld = goHeld()
	r.UnlockPeak, _ = procStatus()

	if s.Staged {
		// Release what the unlock left and reset the high-water mark, so
		// that what follows measures the per-file cost alone.
		runtime.GC()
		debug.FreeOSMemory()
		_, r.Released = procStatus()
		if os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil {
			// After a reset the high-water mark is the resident set.
			hwm, rss := procStatus()
			r.Reset = hwm > 0 && hwm <= rss+1<<20
		}
	}

	allocs0 = goMetric("/gc/heap/allocs:bytes")
	start = time.Now()
	switch s.Op {
	case "seal":
		a, err := AttachmentFile(s.In)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(s.Out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 64<<10)
		if _, err := Seal(w, Contents{Note: []byte("note\n"), Attachments: []Attachment{a}}, Options{Roster: roster, Device: device, DeviceID: "laptop-1", ID: s.ID}); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	case "open":
		f, err := os.Open(s.In)
		if err != nil {
			return err
		}
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if _, err := Open(f, fi.Size(), Discard{}, OpenOptions{Identity: identity, Roster: roster, ID: s.ID}); err != nil {
			return err
		}
		f.Close()
	default:
		return fmt.Errorf("unknown op %q", s.Op)
	}
	r.FileTime = time.Since(start)
	r.FileAllocs = goMetric("/gc/heap/allocs:bytes") - allocs0
	r.FileGoHeld = goHeld()
	r.FilePeak, _ = procStatus()
	return json.NewEncoder(os.Stdout).Encode(r)
}

// procStatus returns the peak and the current resident set of this
// process (VmHWM and VmRSS of /proc/self/status) in bytes, -1 if unknown.
func procStatus() (hwm, rss int64) {
	hwm, rss = -1, -1
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for line := range strings.Lines(string(b)) {
		name, value, _ := strings.Cut(line, ":")
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch {
		case err != nil:
		case name == "VmHWM":
			hwm = kb << 10
		case name == "VmRSS":
			rss = kb << 10
		}
	}
	return
}

// goMetric reads one uint64 metric of runtime/metrics.
func goMetric(name string) int64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// goHeld is the memory the Go runtime holds from the system: what it
// mapped, less the heap it gave back.
func goHeld() int64 {
	return goMetric("/memory/classes/total:bytes") - goMetric("/memory/classes/heap/released:bytes")
}

// cpuTime is the processor time (user and system) of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// keyFileWorkFactor returns the scrypt work factor of the passphrase-
// protected (armored) key file at path, from its age header's
// "-> scrypt SALT N" stanza.
func keyFileWorkFactor(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	hdr := bufio.NewReader(armor.NewReader(f))
	for {
		line, err := hdr.ReadString('\n')
		if err != nil {
			return 0, fmt.Errorf("%s: no scrypt stanza in the header: %w", path, err)
		}
		if rest, ok := strings.CutPrefix(line, "-> scrypt "); ok {
			args := strings.Fields(rest)
			if len(args) != 2 {
				return 0, fmt.Errorf("%s: malformed scrypt stanza", path)
			}
			if _, err := base64.RawStdEncoding.DecodeString(args[0]); err != nil {
				return 0, fmt.Errorf("%s: malformed scrypt salt", path)
			}
			return strconv.Atoi(args[1])
		}
		if strings.HasPrefix(line, "---") {
			return 0, fmt.Errorf("%s: no scrypt stanza in the header", path)
		}
	}
}

// requireRealWorkFactor stops the benchmark unless every key file at paths
// is protected at the real work factor.
func requireRealWorkFactor(b *testing.B, paths ...string) {
	b.Helper()
	for _, p := range paths {
		wf, err := keyFileWorkFactor(p)
		if err != nil {
			b.Fatal(err)
		}
		if wf != realWorkFactor {
			b.Fatalf("%s is protected at work factor %d, not the real %d: something lowered keys.ScryptWorkFactor", filepath.Base(p), wf, realWorkFactor)
		}
	}
}

func mustBenchPassphrase(b *testing.B) keys.Passphrase {
	b.Helper()
	p, err := keys.NewPassphrase(benchPassphrase)
	if err != nil {
		b.Fatal(err)
	}
	return p
}
