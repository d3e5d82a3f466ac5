package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"

	"testimony/internal/durable"
)

const quickstartHelp = `
Usage: testimony quickstart [--dir DIR]

Makes a demo organisation in DIR (default ./testimony-demo): an admin key,
two reviewers, a custodian, one interviewer laptop, the organisation's
pseudonym key, a signed roster, a server, and a desk for each person, with
a sample interview (Korean and English) waiting as a draft on the
interviewer's desk, and a sample survey form (Korean and English), published
by the admin, with 60 made-up responses to it sealed in the laptop's outbox
so that the reviewer has enough answers for statistics. Then it runs the server and the four desks on this
computer (loopback only) and prints the address of each desk and the
passphrase that unlocks it. Stop it with Ctrl-C.

Run again, it reuses DIR: everything sealed, sent and annotated is still
there. Delete DIR to start over. A run stopped before the demo was made
leaves DIR unfinished; the next run says so and starts it over.

The demo keeps each person's passphrase in DIR/passphrases/. That is for the
demo only: in real use a passphrase lives in its owner's head, each key on
its owner's machine, and the server on another machine.
`

// demo is the layout of a quickstart directory.
type demo struct{ dir string }

func (d demo) path(name string) string { return filepath.Join(d.dir, name) }

var demoPeople = []string{"admin", "reviewer-1", "reviewer-2", "custodian-1", "laptop-1", "pseudonym"}

func runQuickstart(e *env, args []string) error {
	fs := e.flagSet("quickstart", quickstartHelp)
	dir := fs.String("dir", "testimony-demo", "`DIR` for the demo organisation")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	d := demo{*dir}
	reuse, err := d.prepare(e)
	if err != nil {
		return err
	}
	if !reuse {
		if err := d.create(e); err != nil {
			return err
		}
	}
	return d.serve(e)
}

// demoMark is the file a quickstart writes first into its directory: with
// it and without roster.txt, which takes its name last, the directory is a
// quickstart that was cut short (Ctrl-C, a closed terminal, a full disk).
const demoMark = ".testimony-quickstart"

// prepare decides what to do with d.dir: reuse a finished demo (true),
// create one in a missing or empty directory, or start over in one that a
// quickstart began and did not finish. Anything else is left alone.
func (d demo) prepare(e *env) (reuse bool, err error) {
	if fi, err := os.Stat(d.dir); err == nil && !fi.IsDir() {
		return false, fmt.Errorf("%s is a file, not a directory; choose another --dir", d.dir)
	}
	if _, err := os.Stat(d.path("roster.txt")); err == nil {
		fmt.Fprintf(e.stdout, "Reusing the demo organisation in %s.\n\n", d.dir)
		return true, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	entries, err := os.ReadDir(d.dir)
	switch {
	case errors.Is(err, os.ErrNotExist) || err == nil && len(entries) == 0:
		return false, nil
	case err != nil:
		return false, err
	}
	if _, err := os.Stat(d.path(demoMark)); err != nil {
		return false, fmt.Errorf("%s exists and is not a quickstart directory; choose another --dir "+
			"(or, if it is a demo from before this version that was cut short, delete it)", d.dir)
	}
	// Everything in it was made up by the quickstart that began it.
	fmt.Fprintf(e.stdout, "The demo organisation in %s was not finished (the quickstart that began it was stopped); starting it over.\n\n", d.dir)
	if err := os.RemoveAll(d.dir); err != nil {
		return false, fmt.Errorf("failed to clear the unfinished demo in %s: %w; delete it and run again", d.dir, err)
	}
	return false, nil
}

// step runs one testimony command as a person would type it, printing it
// first. Its stdout is returned; its messages go to the log.
func (d demo) step(e *env, why string, args ...string) (string, error) {
	shown := make([]string, len(args))
	for i, a := range args {
		a = strings.TrimPrefix(a, d.dir+string(filepath.Separator))
		if strings.ContainsAny(a, " \"'$") {
			a = "'" + a + "'"
		}
		shown[i] = a
	}
	fmt.Fprintf(e.stdout, "  # %s\n  testimony %s\n", why, strings.Join(shown, " "))
	var out, log bytes.Buffer
	err := run(e.ctx, args, e.stdin, &out, &log)
	if err != nil {
		e.stderr.Write(log.Bytes())
		return "", fmt.Errorf("quickstart step %q failed: %w", args[0], err)
	}
	return out.String(), nil
}

func (d demo) create(e *env) error {
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", d.dir, err)
	}
	if err := durable.WriteNew(d.path(demoMark), []byte("a testimony quickstart demo: made-up people and keys\n"), 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(d.path("passphrases"), 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", d.dir, err)
	}
	fmt.Fprintf(e.stdout, "Creating a demo organisation in %s. The commands below run inside it (cd %s to repeat them).\n\n", d.dir, d.dir)
	for _, who := range demoPeople {
		var b [10]byte
		rand.Read(b[:])
		pass := strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
		pass = pass[:4] + "-" + pass[4:8] + "-" + pass[8:12] + "-" + pass[12:16]
		if err := durable.WriteNew(d.path("passphrases/"+who+".txt"), []byte(pass+"\n"), 0o600); err != nil {
			return err
		}
	}
	keygen := []struct{ who, why string }{
		{"admin", "the admin's signing key: it signs the roster, and stays offline"},
		{"reviewer-1", "reviewer 1's identity (post-quantum)"},
		{"reviewer-2", "reviewer 2's identity"},
		{"custodian-1", "the custodian's identity (opens re-identification records)"},
		{"laptop-1", "the interviewer laptop's signing key"},
		{"pseudonym", "the organisation's pseudonym key (on interviewers' desks, never on the server)"},
	}
	for _, k := range keygen {
		args := []string{"keygen", "--out", d.path(k.who + ".key"), "--passphrase-file", d.path("passphrases/" + k.who + ".txt")}
		switch k.who {
		case "admin", "laptop-1":
			args = append(args, "--signing")
		case "pseudonym":
			args = append(args, "--pseudonym")
		}
		pub, err := d.step(e, k.why, args...)
		if err != nil {
			return err
		}
		if err := durable.WriteNew(d.path(k.who+".pub"), []byte(pub), 0o644); err != nil {
			return err
		}
		if strings.HasPrefix(k.who, "reviewer-") {
			signer, err := d.step(e, "the signing key derived from "+k.who+"'s identity, which signs their annotations",
				"keygen", "--reviewer-signer-of", d.path(k.who+".key"), "--passphrase-file", d.path("passphrases/"+k.who+".txt"))
			if err != nil {
				return err
			}
			if err := durable.WriteNew(d.path(k.who+".signer"), []byte(signer), 0o644); err != nil {
				return err
			}
		}
	}
	admin := []string{"--admin-key", d.path("admin.key"), "--passphrase-file", d.path("passphrases/admin.txt")}
	r := d.path("roster.txt")
	// The admin checks a laptop's key by its fingerprint, read over the
	// phone or in person; here the demo plays both and takes it from the
	// key it just made.
	laptopFingerprint, err := keyFingerprint(d.path("laptop-1.pub"))
	if err != nil {
		return err
	}
	steps := [][]string{
		append([]string{"roster", "init", "--org", "Demo NGO", "--out", r + ".new"}, admin...),
		append([]string{"roster", "add-reviewer", "--roster", r + ".new", "--label", "reviewer 1", "--recipient", d.path("reviewer-1.pub"), "--signer", d.path("reviewer-1.signer")}, admin...),
		append([]string{"roster", "add-reviewer", "--roster", r + ".new", "--label", "reviewer 2", "--recipient", d.path("reviewer-2.pub"), "--signer", d.path("reviewer-2.signer")}, admin...),
		append([]string{"roster", "add-custodian", "--roster", r + ".new", "--label", "custodian 1", "--recipient", d.path("custodian-1.pub")}, admin...),
		append([]string{"roster", "add-device", "--roster", r + ".new", "--id", "laptop-1", "--public-key", d.path("laptop-1.pub"), "--fingerprint", laptopFingerprint}, admin...),
	}
	for i, s := range steps {
		why := "the admin signs a new roster"
		if i > 0 {
			why = "the admin adds a key; the roster is re-signed, version +1"
		}
		if _, err := d.step(e, why, s...); err != nil {
			return err
		}
	}
	logKey, err := d.step(e, "the server's data directory; it prints the log key, which signs the server's log",
		"server", "init", "--data", d.path("server"), "--admin-pub", d.path("admin.pub"), "--roster", r+".new")
	if err != nil {
		return err
	}
	if _, err := d.step(e, "the admin adds the server's log key to the roster",
		append([]string{"roster", "set-log-key", "--roster", r + ".new", "--key", strings.TrimSpace(logKey)}, admin...)...); err != nil {
		return err
	}
	if err := d.publishDemoForm(e, r+".new", admin); err != nil {
		return err
	}
	signed, err := os.ReadFile(r + ".new")
	if err != nil {
		return err
	}
	if err := d.setupServer(e, signed); err != nil {
		return err
	}
	for name, text := range map[string]string{"note.md": demoNote, "entities.json": demoEntities} {
		if err := durable.WriteNew(d.path(name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	if err := durable.WriteNew(d.path("photo.jpg"), demoPhoto(), 0o644); err != nil {
		return err
	}
	// The roster takes its final name only when everything else is made,
	// so that a run cut short is not mistaken for a finished demo.
	if err := os.Rename(r+".new", r); err != nil {
		return fmt.Errorf("failed to finish the roster: %w", err)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

const demoNote = `# 면담 기록 / Interview note (demo)

면담일: 2026년 3월 14일. 면담자: 조사원 2.

박영수 씨는 2019년 겨울에 혜산을 떠나 장백으로 건너갔다고 말했다.
그의 누나 박미경은 아직 북한에 있다.

Pak Yong-su says he left Hyesan in the winter of 2019 and crossed to
Changbai. His sister, Pak Mi-gyong, is still in North Korea.

(All names in this demo note are invented.)
`

// demoPhoto returns a small JPEG whose EXIF segment carries a GPS-like tag,
// the kind of metadata seal removes.
func demoPhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(100 + x), uint8(150 + y), 200, 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, nil)
	b := buf.Bytes()
	exif := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08GPS 41.3947N 128.1779E demo")
	n := len(exif) + 2
	out := append([]byte{}, b[:2]...)
	out = append(out, 0xff, 0xe1, byte(n>>8), byte(n))
	out = append(out, exif...)
	return append(out, b[2:]...)
}
