package envelope

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"testimony/internal/imgmeta"
	"testimony/keys"
)

var update = flag.Bool("update", false, "rewrite the frozen files in testdata/v1 (never for a released format)")

const v1Dir = "../../testdata/v1"

// TestCompatV1 opens files sealed by an earlier version of this code. They
// must open forever: if this test fails, the change broke the format.
func TestCompatV1(t *testing.T) {
	if *update {
		writeV1(t)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(v1Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	admin, err := keys.ParseVerifier(string(bytes.TrimSpace(read("admin.pub"))))
	if err != nil {
		t.Fatal(err)
	}
	pass := func(string) (keys.Passphrase, error) {
		return keys.ExistingPassphrase(string(bytes.TrimSpace(read("passphrase.txt"))))
	}
	for _, org := range []string{"hybrid", "classic"} {
		roster, err := keys.VerifyRoster(read(org+"-roster.txt"), admin, nil)
		if err != nil {
			t.Fatalf("%s roster: %v", org, err)
		}
		sealed := read(org + ".age")
		for _, key := range []string{org + "-reviewer-1.key", org + "-reviewer-2.key"} {
			id, err := keys.LoadIdentity(filepath.Join(v1Dir, key), keys.Unlock{Passphrase: pass})
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			m, op, err := open(sealed, id, roster)
			if err != nil {
				t.Fatalf("%s with %s: %v", org, key, err)
			}
			if op.Manifest.Day != "2026-03-14" || op.Manifest.Device != "laptop-1" || op.Manifest.RosterVersion != 4 {
				t.Errorf("%s: manifest %+v", org, op.Manifest)
			}
			for _, name := range []string{"note.md", "answers.json", "attachments/01.jpg"} {
				if !bytes.Equal(m.Entries[name], read("expected/"+name)) {
					t.Errorf("%s with %s: %s differs from expected/%s", org, key, name, name)
				}
			}
		}
	}
}

// writeV1 makes the frozen files. Run only when a new format directory is
// created: go test ./internal/envelope -run TestCompatV1 -update
func writeV1(t *testing.T) {
	if err := os.MkdirAll(filepath.Join(v1Dir, "expected/attachments"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(v1Dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	admin, _ := keys.GenerateSigningKey("admin")
	device, _ := keys.GenerateSigningKey("laptop-1")
	write("admin.pub", []byte(admin.Verifier()+"\n"))
	write("passphrase.txt", []byte("frozen test passphrase\n"))
	pass, _ := keys.NewPassphrase("frozen test passphrase")
	saved := keys.ScryptWorkFactor
	keys.ScryptWorkFactor = 10
	defer func() { keys.ScryptWorkFactor = saved }()
	c := Contents{
		Note:        []byte("# 면담 기록\n\n가명 박영수 씨는 2019년에 혜산을 떠났다.\nPak Yong-su (a pseudonym) left Hyesan in 2019.\n"),
		Answers:     []byte(`{"year_left": 2019, "sex": "m"}`),
		Attachments: []Attachment{bytesAttachment("jpg", testJPEG())},
	}
	for _, kind := range []keys.Kind{keys.Hybrid, keys.Classic} {
		org := map[keys.Kind]string{keys.Hybrid: "hybrid", keys.Classic: "classic"}[kind]
		r, _ := keys.NewRoster("Example NGO")
		for i, key := range []string{org + "-reviewer-1.key", org + "-reviewer-2.key"} {
			id, _ := keys.GenerateIdentity(kind)
			p := &pass
			if i == 0 {
				p = nil // one plain identity file, one protected
			}
			os.Remove(filepath.Join(v1Dir, key))
			if err := keys.WriteIdentityFile(filepath.Join(v1Dir, key), id, p); err != nil {
				t.Fatal(err)
			}
			r.Add(keys.Reviewer, "reviewer "+string(rune('1'+i)), id.Recipient())
		}
		v, _ := keys.ParseVerifier(device.Verifier())
		r.AddDevice("laptop-1", v)
		r.Version = 4
		signed, err := r.Sign(admin)
		if err != nil {
			t.Fatal(err)
		}
		write(org+"-roster.txt", signed)
		verified, err := keys.VerifyRoster(signed, verifier(t, admin), nil)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := Seal(&buf, c, Options{Roster: verified, Device: device, DeviceID: "laptop-1", Day: "2026-03-14", Language: "ko"}); err != nil {
			t.Fatal(err)
		}
		write(org+".age", buf.Bytes())
	}
	write("expected/note.md", c.Note)
	write("expected/answers.json", c.Answers)
	// The expected attachment is the image without its metadata.
	var stripped bytes.Buffer
	if _, err := imgmeta.Strip(&stripped, bytes.NewReader(testJPEG()), imgmeta.JPEG); err != nil {
		t.Fatal(err)
	}
	write("expected/attachments/01.jpg", stripped.Bytes())
}
