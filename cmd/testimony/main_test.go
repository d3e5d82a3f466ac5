package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"testimony/keys"
)

// requireTools reports whether tests that need an external tool (Debian's
// age, tar, script, chromium) fail instead of skip when it is missing. CI
// sets it. It is read while tests run, so that go test's cache knows the
// result depends on it.
func requireTools() bool { return os.Getenv("TESTIMONY_REQUIRE_TOOLS") == "1" }

func TestMain(m *testing.M) {
	// Key files in tests unlock in milliseconds; real ones use 18.
	keys.ScryptWorkFactor = 10
	testscript.Main(m, map[string]func(){"testimony": main})
}

// TestScripts runs the command-line scenarios in testdata/*.txtar: every
// command as a person would type it, with its output and exit code.
func TestScripts(t *testing.T) {
	// The age v1.3 command, built from the module this project depends
	// on: the reference reader for post-quantum files.
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "age-v1.3"), "filippo.io/age/cmd/age")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("failed to build the age v1.3 command: %v\n%s", err, out)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Condition: func(cond string) (bool, error) {
			return toolCondition(bin+string(os.PathListSeparator)+os.Getenv("PATH"), cond)
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
			// A free loopback port for scripts that run a server.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			env.Setenv("PORT", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
			return ln.Close()
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exitcode": cmdExitcode,
			"flipbyte": cmdFlipbyte,
			"cut":      cmdCut,
			"mkjpeg":   cmdMkjpeg,
			"waitfor":  cmdWaitfor,
			"sqlexec":  cmdSQLExec,
			"setenv":   cmdSetenv,
			"grab":     cmdGrab,
		},
	})
}

// exitcode N PROG ARGS... runs PROG and checks that it exits with status N.
// Its stdout and stderr can be matched afterwards.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N prog args...")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: bad status %q", args[0])
	}
	cmd := exec.Command(lookPath(ts, args[1]), args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"), "HOME="+ts.Getenv("HOME"), "TMPDIR="+ts.Getenv("TMPDIR"))
	cmd.Stdout, cmd.Stderr = ts.Stdout(), ts.Stderr()
	err = cmd.Run()
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// toolCondition implements the script condition [tool:NAME]: whether NAME
// is on the script's PATH. With TESTIMONY_REQUIRE_TOOLS=1 a missing tool is
// an error, so that CI cannot skip what a developer machine may.
func toolCondition(path, cond string) (bool, error) {
	name, ok := strings.CutPrefix(cond, "tool:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	for _, dir := range filepath.SplitList(path) {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode()&0o111 != 0 {
			return true, nil
		}
	}
	if requireTools() {
		return false, fmt.Errorf("%s is not installed, and TESTIMONY_REQUIRE_TOOLS=1 requires it", name)
	}
	return false, nil
}

// flipbyte FILE OFFSET flips the lowest bit of the byte at OFFSET (from the
// end if negative).
func cmdFlipbyte(ts *testscript.TestScript, neg bool, args []string) {
	b := ts.ReadFile(args[0])
	data := []byte(b)
	off, _ := strconv.Atoi(args[1])
	if off < 0 {
		off += len(data)
	}
	data[off] ^= 1
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

// setenv NAME FILE sets the environment variable NAME to the first line of
// FILE (like the submission ID seal printed), for later commands.
func cmdSetenv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: setenv NAME FILE")
	}
	line, _, _ := strings.Cut(ts.ReadFile(args[1]), "\n")
	ts.Setenv(args[0], strings.TrimSpace(line))
}

// cut FILE N truncates FILE to N bytes (N negative: removes -N bytes).
func cmdCut(ts *testscript.TestScript, neg bool, args []string) {
	data := []byte(ts.ReadFile(args[0]))
	n, _ := strconv.Atoi(args[1])
	if n < 0 {
		n += len(data)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data[:n], 0o644))
}

// mkjpeg FILE TEXT writes a small JPEG photo whose EXIF and comment
// segments carry TEXT, as a phone camera's GPS tags would.
func cmdMkjpeg(ts *testscript.TestScript, neg bool, args []string) {
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		for y := range 24 {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 128, 255})
		}
	}
	var buf bytes.Buffer
	ts.Check(jpeg.Encode(&buf, img, nil))
	b := buf.Bytes()
	exif := append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08GPS "), args[1]...)
	com := []byte("camera owner " + args[1])
	seg := func(marker byte, data []byte) []byte {
		n := len(data) + 2
		return append([]byte{0xff, marker, byte(n >> 8), byte(n)}, data...)
	}
	out := append([]byte{}, b[:2]...) // SOI
	out = append(out, seg(0xe1, exif)...)
	out = append(out, seg(0xfe, com)...)
	out = append(out, b[2:]...)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o644))
}

// lookPath finds name on the script's PATH.
func lookPath(ts *testscript.TestScript, name string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return name
}

// grab VAR FILE REGEXP sets the script's variable VAR to the first
// submatch of REGEXP in FILE (stdout or stderr: the last command's), as a
// person reads a value off the screen: the fingerprint a laptop printed,
// for the admin to type.
func cmdGrab(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: grab VAR FILE REGEXP")
	}
	m := regexp.MustCompile(args[2]).FindStringSubmatch(ts.ReadFile(args[1]))
	if len(m) < 2 {
		ts.Fatalf("grab: no match for %q in %s", args[2], args[1])
	}
	ts.Setenv(args[0], m[1])
}

// sqlexec DB SQL runs SQL on the SQLite file DB, as someone with the
// server's disk could, beside a running server.
func cmdSQLExec(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sqlexec DB SQL")
	}
	db, err := sql.Open("sqlite", ts.MkAbs(args[0]))
	ts.Check(err)
	defer db.Close()
	res, err := db.Exec(args[1])
	ts.Check(err)
	n, _ := res.RowsAffected()
	ts.Logf("%d row(s) changed", n)
}

// waitfor URL polls URL until it answers 200, for at most ten seconds.
func cmdWaitfor(ts *testscript.TestScript, neg bool, args []string) {
	for range 100 {
		resp, err := http.Get(args[0])
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("%s did not answer within ten seconds", args[0])
}
