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

Makes a demo organisation in DIR (default ./testimony-demo): an admin key, two
reviewers, a custodian, one interviewer laptop and a signed roster. Then it
seals a sample interview note (Korean and English) with a photo, as the
laptop would, and opens it as reviewer 1, as a reviewer would. Every step is
printed as the command that does it, so you can repeat it by hand.

Run again, it reuses DIR and seals and opens one more note.

The demo keeps each person's passphrase in DIR/passphrases/. That is for the
demo only: in real use a passphrase lives in its owner's head, and each key
on its owner's machine.
`

// demo is the layout of a quickstart directory.
type demo struct{ dir string }

func (d demo) path(name string) string { return filepath.Join(d.dir, name) }

var demoPeople = []string{"admin", "reviewer-1", "reviewer-2", "custodian-1", "laptop-1"}

func runQuickstart(e *env, args []string) error {
	fs := e.flagSet("quickstart", quickstartHelp)
	dir := fs.String("dir", "testimony-demo", "`DIR` for the demo organisation")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	d := demo{*dir}
	switch _, err := os.Stat(d.path("roster.txt")); {
	case err == nil:
		fmt.Fprintf(e.stdout, "Reusing the demo organisation in %s.\n\n", d.dir)
	case errors.Is(err, os.ErrNotExist):
		if entries, err := os.ReadDir(d.dir); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s exists and is not a quickstart directory; choose another --dir", d.dir)
		}
		if err := d.create(e); err != nil {
			return err
		}
	default:
		return err
	}
	return d.sealAndOpen(e)
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
	}
	for _, k := range keygen {
		args := []string{"keygen", "--out", d.path(k.who + ".key"), "--passphrase-file", d.path("passphrases/" + k.who + ".txt")}
		if k.who == "admin" || k.who == "laptop-1" {
			args = append(args, "--signing")
		}
		pub, err := d.step(e, k.why, args...)
		if err != nil {
			return err
		}
		if err := durable.WriteNew(d.path(k.who+".pub"), []byte(pub), 0o644); err != nil {
			return err
		}
	}
	admin := []string{"--admin-key", d.path("admin.key"), "--passphrase-file", d.path("passphrases/admin.txt")}
	r := d.path("roster.txt")
	steps := [][]string{
		append([]string{"roster", "init", "--org", "Demo NGO", "--out", r + ".new"}, admin...),
		append([]string{"roster", "add-reviewer", "--roster", r + ".new", "--label", "reviewer 1", "--recipient", d.path("reviewer-1.pub")}, admin...),
		append([]string{"roster", "add-reviewer", "--roster", r + ".new", "--label", "reviewer 2", "--recipient", d.path("reviewer-2.pub")}, admin...),
		append([]string{"roster", "add-custodian", "--roster", r + ".new", "--label", "custodian 1", "--recipient", d.path("custodian-1.pub")}, admin...),
		append([]string{"roster", "add-device", "--roster", r + ".new", "--id", "laptop-1", "--public-key", d.path("laptop-1.pub")}, admin...),
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
	// The roster takes its final name only when it is complete, so that a
	// run cut short is not mistaken for a finished demo.
	if err := os.Rename(r+".new", r); err != nil {
		return fmt.Errorf("failed to finish the roster: %w", err)
	}
	for name, text := range map[string]string{"note.md": demoNote, "answers.json": demoAnswers} {
		if err := durable.WriteNew(d.path(name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	if err := durable.WriteNew(d.path("photo.jpg"), demoPhoto(), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	return nil
}

func (d demo) sealAndOpen(e *env) error {
	for _, dir := range []string{"outbox", "opened"} {
		if err := os.MkdirAll(d.path(dir), 0o700); err != nil {
			return err
		}
	}
	var b [4]byte
	rand.Read(b[:])
	sealed := d.path(fmt.Sprintf("outbox/interview-%x.age", b))
	fmt.Fprintln(e.stdout, "The interviewer's laptop seals a note with a photo (its GPS metadata is removed):")
	id, err := d.step(e, "encrypt to the reviewers, signed by the laptop",
		"seal", "--roster", d.path("roster.txt"), "--admin-pub", d.path("admin.pub"),
		"--device-key", d.path("laptop-1.key"), "--device-id", "laptop-1",
		"--passphrase-file", d.path("passphrases/laptop-1.txt"),
		"--note", d.path("note.md"), "--answers", d.path("answers.json"), "--attach", d.path("photo.jpg"),
		"--language", "ko", "--out", sealed)
	if err != nil {
		return err
	}
	id = strings.TrimSpace(id)
	out := d.path("opened/" + id)
	fmt.Fprintln(e.stdout, "\nReviewer 1 opens it; everything is authenticated before anything is written:")
	summary, err := d.step(e, "decrypt, check the signature against the roster, write the files",
		"open", "--identity", d.path("reviewer-1.key"), "--roster", d.path("roster.txt"), "--admin-pub", d.path("admin.pub"),
		"--passphrase-file", d.path("passphrases/reviewer-1.txt"), sealed, "--out", out)
	if err != nil {
		return err
	}
	note, err := os.ReadFile(filepath.Join(out, "note.md"))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%s\nThe note as reviewer 1 reads it:\n\n%s\n", summary, indent(string(note)))
	fmt.Fprintf(e.stdout, `What is where (in %s):
  roster.txt            the signed roster: who may read, which devices may seal
  admin.pub             the admin's public key, which every client pins
  *.key                 private keys, each protected by a passphrase
  passphrases/          the passphrases (demo only: in real use, people remember them)
  %s   the sealed file: a standard age file
  opened/%s/   what reviewer 1 opened

Try it with stock tools (age v1.3 or later reads post-quantum files):
  age -d -i %s %s | tar -t
Run 'testimony quickstart' again to seal one more note; delete %s to start over.
`, d.dir, strings.TrimPrefix(sealed, d.dir+"/"), id, d.path("reviewer-1.key"), sealed, d.dir)
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

const demoAnswers = `{"form": "demo/1", "year_left": 2019, "sex": "m", "occupation": "trader"}
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
