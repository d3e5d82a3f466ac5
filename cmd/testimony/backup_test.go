package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestBackupRestoreRoundTrip: a backup of a running server verifies, is
// restored into a new data directory, and the restored server serves the
// same files, with every role's old receipts verifying against it.
func TestBackupRestoreRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("server round trip skipped with -short")
	}
	o := &tamperOrg{t: t, dir: t.TempDir()}
	o.setUp()
	p := o.path
	// The admin's offline copy of the log key, made after server init.
	key := must(os.ReadFile(p("srv/log.key")))
	os.WriteFile(p("log.key.offline"), key, 0o600)

	o.must("backup", "--data", p("srv"), "--out", p("backup"))
	out := o.must("backup", "verify", p("backup"), "--admin-pub", p("admin.pub"))
	if !strings.HasPrefix(out, "OK: ") || !strings.Contains(out, "3 submissions") {
		t.Fatalf("backup verify: %s", out)
	}
	for _, name := range []string{"backup.json", "meta.jsonl", "blobs"} {
		if _, err := os.Stat(filepath.Join(p("backup"), name)); err != nil {
			t.Errorf("the backup has no %s: %v", name, err)
		}
	}
	if b := must(os.ReadFile(p("backup/meta.jsonl"))); bytes.Contains(b, key) || bytes.Contains(b, []byte("PRIVATE+KEY")) {
		t.Error("the backup holds the log key")
	}

	// Refusals, each leaving the target as it was.
	os.Mkdir(p("full"), 0o700)
	os.WriteFile(p("full/x"), nil, 0o600)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"backup into a non-empty directory", []string{"backup", "--data", p("srv"), "--out", p("full")}, 1, "is not empty"},
		{"restore into a non-empty directory", []string{"restore", "--from", p("backup"), "--data", p("full"), "--log-key", p("log.key.offline"), "--admin-pub", p("admin.pub")}, 1, "is not empty"},
		{"restore with another log key", []string{"restore", "--from", p("backup"), "--data", p("new1"), "--log-key", p("laptop.key"), "--admin-pub", p("admin.pub")}, 1, "is not the log key the backup's roster names"},
		{"restore without the log key", []string{"restore", "--from", p("backup"), "--data", p("new1")}, 2, "missing --log-key"},
		{"restore checked against another admin key", []string{"restore", "--from", p("backup"), "--data", p("new1"), "--log-key", p("log.key.offline"), "--admin-pub", p("laptop.pub")}, 9, "not the one given"},
		{"verify of a directory that is not a backup", []string{"backup", "verify", p("full")}, 1, "is not a backup"},
	} {
		_, errOut, code := cliErr(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, %q; want exit %d saying %q", tc.name, code, errOut, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(p("new1")); err == nil {
		t.Error("a refused restore left the data directory")
	}
	if names, _ := os.ReadDir(p("full")); len(names) != 1 {
		t.Errorf("a refused backup changed the directory: %v", names)
	}

	// A tampered backup is not restored.
	os.CopyFS(p("tampered"), os.DirFS(p("backup")))
	blobs := must(os.ReadDir(p("tampered/blobs")))
	f := filepath.Join(p("tampered/blobs"), blobs[0].Name())
	b := must(os.ReadFile(f))
	b[len(b)/2] ^= 1
	os.WriteFile(f, b, 0o600)
	_, errOut, code := cliErr("restore", "--from", p("tampered"), "--data", p("new2"), "--log-key", p("log.key.offline"), "--admin-pub", p("admin.pub"))
	if code != exitVerify || !strings.Contains(errOut, blobs[0].Name()) {
		t.Errorf("restore of a backup with a flipped byte: exit %d, %s", code, errOut)
	}

	// The real restore, then the restored server in the old one's place.
	o.must("restore", "--from", p("backup"), "--data", p("restored"), "--log-key", p("log.key.offline"), "--admin-pub", p("admin.pub"))
	if fi, err := os.Stat(p("restored/log.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored log key: %v", err)
	}
	o.restart(func() {
		os.Rename(p("srv"), p("srv.lost"))
		os.Rename(p("restored"), p("srv"))
	})
	for token, receipts := range map[string]string{"laptop.token": "receipts", "reviewer.token": "inbox/receipts", "custodian.token": "records/receipts"} {
		if out := o.verify(token, p(receipts), 0); !strings.Contains(out, "OK: ") {
			t.Errorf("%s's verify against the restored server: %s", token, out)
		}
	}
	// The restored server serves the same files.
	o.must("pull", "--server", o.url, "--token-file", p("reviewer.token"), "--roster", p("roster.txt"), "--admin-pub", p("admin.pub"), "--out", p("inbox2"))
	for _, id := range o.ids {
		a := must(os.ReadFile(filepath.Join(p("inbox"), id+".age")))
		b := must(os.ReadFile(filepath.Join(p("inbox2"), id+".age")))
		if !bytes.Equal(a, b) {
			t.Errorf("the restored server serves another %s", id)
		}
	}
	// And takes new submissions after the old ones.
	os.Mkdir(p("outbox-new"), 0o700)
	id := o.must("seal", "--roster", p("roster.txt"), "--admin-pub", p("admin.pub"), "--device-key", p("laptop.key"),
		"--device-id", "laptop-1", "--note", p("note.md"), "--out", p("outbox-new")+"/")
	o.must("push", "--server", o.url, "--token-file", p("laptop.token"), "--roster", p("roster.txt"), "--admin-pub", p("admin.pub"), "--receipts", p("receipts"), filepath.Join(p("outbox-new"), id+".age"))
	if out := o.verify("laptop.token", p("receipts"), 0); !strings.Contains(out, "OK: ") {
		t.Errorf("verify after a push to the restored server: %s", out)
	}
}

// TestBackupDuringUploads: a backup taken while a laptop keeps pushing
// holds one consistent state: it verifies, and restores.
func TestBackupDuringUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("server round trip skipped with -short")
	}
	o := &tamperOrg{t: t, dir: t.TempDir()}
	o.setUp()
	p := o.path
	var files []string
	for i := range 12 {
		dir := p(fmt.Sprintf("more%d", i))
		os.Mkdir(dir, 0o700)
		args := []string{"seal", "--roster", p("roster.txt"), "--admin-pub", p("admin.pub"), "--device-key", p("laptop.key"),
			"--device-id", "laptop-1", "--note", p("note.md"), "--out", dir + "/"}
		if i%3 == 0 {
			args = append(args, "--attach", p("recording.bin")) // a blob, not inline
		}
		files = append(files, filepath.Join(dir, o.must(args...)+".age"))
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Go(func() {
		<-start
		for _, f := range files {
			if _, errOut, code := o.cli("push", "--server", o.url, "--token-file", p("laptop.token"), "--roster", p("roster.txt"),
				"--admin-pub", p("admin.pub"), "--receipts", p("receipts"), f); code != 0 {
				t.Errorf("push during the backup: %s", errOut)
			}
		}
	})
	var backups []string
	pushed := make(chan struct{})
	go func() { wg.Wait(); close(pushed) }()
	close(start)
	for i := 0; ; i++ {
		out := p(fmt.Sprintf("backup%d", i))
		o.must("backup", "--data", p("srv"), "--out", out)
		backups = append(backups, out)
		select {
		case <-pushed:
		default:
			continue
		}
		break
	}
	sizes := map[string]bool{}
	for _, b := range backups {
		out := o.must("backup", "verify", b, "--admin-pub", p("admin.pub"))
		sizes[out[strings.Index(out, "log size"):strings.Index(out, ", root")]] = true
	}
	t.Logf("%d backups caught the log at %d different sizes: %v", len(backups), len(sizes), sizes)
	if len(sizes) < 2 {
		t.Fatal("no backup was taken while pushes went on")
	}
	last := backups[len(backups)-1]
	o.must("restore", "--from", last, "--data", p("restored"), "--log-key", p("srv/log.key"), "--admin-pub", p("admin.pub"))
}

// cliErr runs a testimony command in this process and returns its stdout,
// its stderr with the error message, and its exit code.
func cliErr(args ...string) (string, string, int) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	code := exitCode(err, &stderr)
	return stdout.String(), stderr.String(), code
}
