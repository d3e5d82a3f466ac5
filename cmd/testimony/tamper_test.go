package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/tlog"

	"testimony/keys"
)

// tamperOrg is an organisation with a real server (the serve command, in
// this process, over a real SQLite file and blob directory on loopback),
// and a laptop that has pushed three submissions: a note kept inline in
// the database, a note with a 100 KiB attachment kept as a blob, and a
// note with a re-identification record.
type tamperOrg struct {
	t        *testing.T
	dir      string
	url      string
	stop     func()
	ids      []string // in push order, which is log order
	snapshot string   // a copy of the database after the first push
}

func (o *tamperOrg) path(name string) string { return filepath.Join(o.dir, name) }

// cli runs a testimony command in this process and returns its stdout,
// stderr and exit code.
func (o *tamperOrg) cli(args ...string) (string, string, int) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), exitCode(err, &stderr)
}

func (o *tamperOrg) must(args ...string) string {
	o.t.Helper()
	out, errOut, code := o.cli(args...)
	if code != 0 {
		o.t.Fatalf("testimony %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return strings.TrimSpace(out)
}

// serve starts the server on a free loopback port.
func (o *tamperOrg) serve() {
	o.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", o.path("srv"), "--listen", "127.0.0.1:0"}, nil, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		o.t.Fatalf("serve did not start: %v", <-done)
	}
	go io.Copy(io.Discard, pr)
	o.url = strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	o.stop = func() {
		cancel()
		if err := <-done; err != nil {
			o.t.Errorf("serve: %v", err)
		}
		o.stop = func() {}
	}
}

func (o *tamperOrg) restart(change func()) {
	o.stop()
	change()
	o.serve()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// setUp makes the organisation, starts the server and pushes.
func (o *tamperOrg) setUp() {
	t := o.t
	p := o.path
	nopass := "--insecure-no-passphrase"
	os.WriteFile(p("admin.pub"), []byte(o.must("keygen", "--signing", "--name", "admin", "--out", p("admin.key"), nopass)), 0o644)
	os.WriteFile(p("reviewer.pub"), []byte(o.must("keygen", "--out", p("reviewer.key"), nopass)), 0o644)
	os.WriteFile(p("custodian.pub"), []byte(o.must("keygen", "--out", p("custodian.key"), nopass)), 0o644)
	os.WriteFile(p("laptop.pub"), []byte(o.must("keygen", "--signing", "--name", "laptop-1", "--out", p("laptop.key"), nopass)), 0o644)
	fingerprint, err := keyFingerprint(p("laptop.pub")) // as the laptop printed it
	if err != nil {
		t.Fatal(err)
	}
	roster := p("roster.txt")
	admin := []string{"--roster", roster, "--admin-key", p("admin.key")}
	o.must("roster", "init", "--org", "Example NGO", "--admin-key", p("admin.key"), "--out", roster)
	o.must(append([]string{"roster", "add-reviewer", "--label", "reviewer 1", "--recipient", p("reviewer.pub")}, admin...)...)
	o.must(append([]string{"roster", "add-custodian", "--label", "custodian 1", "--recipient", p("custodian.pub")}, admin...)...)
	o.must(append([]string{"roster", "add-device", "--id", "laptop-1", "--public-key", p("laptop.pub"), "--fingerprint", fingerprint}, admin...)...)
	logPub := o.must("server", "init", "--data", p("srv"), "--admin-pub", p("admin.pub"), "--roster", roster)
	o.must(append([]string{"roster", "set-log-key", "--key", logPub}, admin...)...)
	token := func(role, file string) {
		os.WriteFile(p(file), []byte(o.must("admin", "token", "--data", p("srv"), "--role", role, "--label", role)), 0o600)
	}
	token("admin", "admin.token")
	token("reviewer", "reviewer.token")
	token("custodian", "custodian.token")
	o.must("admin", "enroll", "--data", p("srv"), "--role", "interviewer", "--label", "laptop 1", "--device-id", "laptop-1") // enrollment is tested elsewhere
	o.serve()
	t.Cleanup(func() { o.stop() }) // the server running at the end
	o.must("roster", "publish", "--server", o.url, "--token-file", p("admin.token"), "--roster", roster)
	// The laptop's token is bound to its device, as enrollment makes it.
	code := o.must("admin", "enroll", "--data", p("srv"), "--role", "interviewer", "--label", "laptop 1", "--device-id", "laptop-1")
	o.must("enroll", "--server", o.url, "--code", code, "--device-key", p("laptop.key"), "--out", p("laptop.token"))

	os.WriteFile(p("note.md"), []byte("면담 기록 (pseudonyms only)\n"), 0o644)
	big := make([]byte, 100<<10)
	rand.Read(big)
	os.WriteFile(p("recording.bin"), big, 0o644)
	seal := func(extra ...string) string {
		out := p(fmt.Sprintf("outbox%d", len(o.ids)))
		os.Mkdir(out, 0o700)
		id := o.must(append([]string{"seal", "--roster", roster, "--admin-pub", p("admin.pub"), "--device-key", p("laptop.key"),
			"--device-id", "laptop-1", "--note", p("note.md"), "--out", out + "/"}, extra...)...)
		o.ids = append(o.ids, id)
		return filepath.Join(out, id+".age")
	}
	push := func(file string) {
		o.must("push", "--server", o.url, "--token-file", p("laptop.token"), "--roster", roster, "--admin-pub", p("admin.pub"), "--receipts", p("receipts"), file)
	}
	push(seal()) // inline
	// A consistent copy of the database as it is now, for the restore.
	o.snapshot = p("meta-after-first.db")
	o.sql("VACUUM INTO '" + o.snapshot + "'")
	push(seal("--attach", p("recording.bin"))) // a blob
	withReid := seal()
	rec, _ := keys.ParseRecipient(strings.TrimSpace(string(must(os.ReadFile(p("custodian.pub"))))))
	var buf bytes.Buffer
	w := must(age.Encrypt(&buf, rec.Age()))
	io.WriteString(w, `{"p1": "a real name"}`)
	w.Close()
	os.WriteFile(strings.TrimSuffix(withReid, ".age")+".reid.age", buf.Bytes(), 0o600)
	push(withReid)
	// The reviewer and the custodian pull, which keeps receipts too.
	o.must("pull", "--server", o.url, "--token-file", p("reviewer.token"), "--roster", roster, "--admin-pub", p("admin.pub"), "--out", p("inbox"))
	o.must("pull", "--server", o.url, "--token-file", p("custodian.token"), "--roster", roster, "--admin-pub", p("admin.pub"), "--out", p("records"))
	// All is well: every role's verify passes.
	for token, receipts := range map[string]string{"laptop.token": "receipts", "reviewer.token": "inbox/receipts", "custodian.token": "records/receipts"} {
		if out := o.verify(token, p(receipts), 0); !strings.Contains(out, "OK: ") {
			t.Fatalf("%s's verify before tampering: %s", token, out)
		}
	}
}

// verify runs verify with a token and receipts directory, checks the exit
// code, and returns stdout.
func (o *tamperOrg) verify(token, receipts string, wantCode int) string {
	o.t.Helper()
	out, errOut, code := o.cli("verify", "--server", o.url, "--token-file", o.path(token), "--roster", o.path("roster.txt"),
		"--admin-pub", o.path("admin.pub"), "--receipts", receipts)
	if code != wantCode {
		o.t.Fatalf("verify exited %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, out, errOut)
	}
	return out
}

// sql changes the server's database directly, as someone with its disk can.
func (o *tamperOrg) sql(query string, args ...any) {
	o.t.Helper()
	db := must(sql.Open("sqlite", o.path("srv/meta.db")))
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		o.t.Fatalf("%s: %v", query, err)
	}
}

// rebuildLog replaces the whole log with one built from leaves, as an
// attacker who rewrites history would, and points the submissions at it.
func (o *tamperOrg) rebuildLog(leaves [][]byte, ids []string) {
	o.t.Helper()
	db := must(sql.Open("sqlite", o.path("srv/meta.db")))
	defer db.Close()
	tx := must(db.Begin())
	exec := func(q string, args ...any) {
		if _, err := tx.Exec(q, args...); err != nil {
			o.t.Fatalf("%s: %v", q, err)
		}
	}
	exec("DELETE FROM log_hashes")
	exec("DELETE FROM log_leaves")
	if ids != nil {
		exec("UPDATE submissions SET leaf = NULL")
	}
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i, leaf := range leaves {
		hs := must(tlog.StoredHashes(int64(i), leaf, r))
		hashes = append(hashes, hs...)
		exec("INSERT INTO log_leaves (idx, data) VALUES (?, ?)", i, leaf)
		if i < len(ids) {
			exec("UPDATE submissions SET leaf = ? WHERE id = ?", i, ids[i])
		}
	}
	for i, h := range hashes {
		exec("INSERT INTO log_hashes (idx, hash) VALUES (?, ?)", i, h[:])
	}
	if err := tx.Commit(); err != nil {
		o.t.Fatal(err)
	}
}

func (o *tamperOrg) leaf(i int) []byte {
	db := must(sql.Open("sqlite", o.path("srv/meta.db")))
	defer db.Close()
	var b []byte
	if err := db.QueryRow("SELECT data FROM log_leaves WHERE idx = ?", i).Scan(&b); err != nil {
		o.t.Fatal(err)
	}
	return b
}

// TestVerifyDetectsTampering: after someone with full access to the
// server's disk deletes, changes or rolls back anything, verify fails with
// status 9 and names what was touched. Each case starts from a server that
// passed verify for every role.
func TestVerifyDetectsTampering(t *testing.T) {
	if testing.Short() {
		t.Skip("tampering scenarios skipped with -short")
	}
	type finding struct {
		token, receipts string // whose verify; receipts relative to the org dir
		want            []string
	}
	for _, tc := range []struct {
		name   string
		tamper func(o *tamperOrg)
		// Findings per verifier: regular expressions for PROBLEM lines,
		// in which {A}, {B} and {C} stand for the IDs of the inline
		// note, the note with a blob and the note with a record.
		findings []finding
	}{
		{
			name:   "row deleted",
			tamper: func(o *tamperOrg) { o.sql("DELETE FROM submissions WHERE id = ?", o.ids[0]) },
			findings: []finding{
				{"laptop.token", "receipts", []string{`submission {A} \(log entry 0, .*\): the sealed file is gone`}},
				{"reviewer.token", "inbox/receipts", []string{`submission {A} .*: the sealed file is gone`}},
			},
		},
		{
			name:   "blob deleted",
			tamper: func(o *tamperOrg) { os.Remove(o.path("srv/blobs/" + o.ids[1])) },
			findings: []finding{
				{"laptop.token", "receipts", []string{`submission {B} \(log entry 1, .*\): the sealed file is gone`}},
				{"reviewer.token", "inbox/receipts", []string{`submission {B} .*: the sealed file is gone`}},
			},
		},
		{
			name: "byte flipped in a blob",
			tamper: func(o *tamperOrg) {
				f := o.path("srv/blobs/" + o.ids[1])
				b := must(os.ReadFile(f))
				b[len(b)/2] ^= 1
				os.WriteFile(f, b, 0o600)
			},
			findings: []finding{
				{"reviewer.token", "inbox/receipts", []string{`submission {B} \(log entry 1, .*\): the sealed file was changed: the server returns a file with SHA-256 [0-9a-f]{64}, the receipt says`}},
			},
		},
		{
			name: "re-identification record replaced",
			tamper: func(o *tamperOrg) {
				f := o.path("srv/blobs/" + o.ids[2] + ".reid")
				rec, _ := keys.ParseRecipient(strings.TrimSpace(string(must(os.ReadFile(o.path("custodian.pub"))))))
				var buf bytes.Buffer
				w := must(age.Encrypt(&buf, rec.Age()))
				io.WriteString(w, `{"p1": "someone else"}`)
				w.Close()
				os.WriteFile(f, buf.Bytes(), 0o600)
			},
			findings: []finding{
				{"custodian.token", "records/receipts", []string{`submission {C} \(log entry 2, .*\): the re-identification record was changed`}},
				{"laptop.token", "receipts", []string{`submission {C} .*: the re-identification record was changed`}},
			},
		},
		{
			// A fresh, valid sealed file to the same recipients, signed by
			// the same laptop, in place of the stored one: it opens, and
			// only the receipt shows the swap.
			name: "blob replaced with another valid sealed file",
			tamper: func(o *tamperOrg) {
				os.WriteFile(o.path("other.md"), []byte("a different story\n"), 0o644)
				out := o.path("forged")
				os.Mkdir(out, 0o700)
				o.must("seal", "--roster", o.path("roster.txt"), "--admin-pub", o.path("admin.pub"), "--device-key", o.path("laptop.key"),
					"--device-id", "laptop-1", "--note", o.path("other.md"), "--attach", o.path("recording.bin"), "--out", out+"/")
				files := must(filepath.Glob(out + "/*.age"))
				os.WriteFile(o.path("srv/blobs/"+o.ids[1]), must(os.ReadFile(files[0])), 0o600)
			},
			findings: []finding{
				{"reviewer.token", "inbox/receipts", []string{`submission {B} \(log entry 1, .*\): the sealed file was changed`}},
				{"laptop.token", "receipts", []string{`submission {B} .*: the sealed file was changed`}},
			},
		},
		{
			name: "log truncated",
			tamper: func(o *tamperOrg) {
				o.restart(func() {
					o.sql("DELETE FROM log_leaves WHERE idx >= 1")
					o.sql("DELETE FROM log_hashes WHERE idx >= ?", tlog.StoredHashIndex(0, 1))
				})
			},
			findings: []finding{
				{"laptop.token", "receipts", []string{
					`the log was rolled back: it now has 1 entry, but a checkpoint seen before .* had 3`,
					`submission {B} \(log entry 1, .*\): no longer in the log, which now has 1 entry`,
					`submission {C} \(log entry 2, .*\): no longer in the log`,
				}},
				{"reviewer.token", "inbox/receipts", []string{`the log was rolled back`, `submission {B} .*: no longer in the log`, `submission {C} .*: no longer in the log`}},
			},
		},
		{
			// History rewritten: the same three submissions, in another
			// order, so that the log is as long as before.
			name: "log rebuilt with another history",
			tamper: func(o *tamperOrg) {
				o.restart(func() {
					leaves := [][]byte{o.leaf(1), o.leaf(0), o.leaf(2)}
					o.rebuildLog(leaves, []string{o.ids[1], o.ids[0], o.ids[2]})
				})
			},
			findings: []finding{
				{"laptop.token", "receipts", []string{
					`the log forked: the server's log of 3 entries does not extend the log of 1 entry seen before`,
					`submission {A} \(log entry 0, .*\): the log no longer holds it as receipted`,
					`submission {B} \(log entry 1, .*\): the log no longer holds it as receipted`,
				}},
			},
		},
		{
			// One submission dropped from the history and another leaf put
			// in its place, keeping the size.
			name: "log entry replaced",
			tamper: func(o *tamperOrg) {
				o.restart(func() {
					leaf := o.leaf(1) // ends with "day YYYY-MM-DD\n"
					forged := append(leaf[:len(leaf)-len("2026-11-22\n"):len(leaf)-len("2026-11-22\n")], "2001-01-01\n"...)
					o.rebuildLog([][]byte{o.leaf(0), forged, o.leaf(2)}, nil)
				})
			},
			findings: []finding{
				{"reviewer.token", "inbox/receipts", []string{
					`the log forked: the server's log of 3 entries does not extend the log of 3 entries seen before`,
					`submission {B} \(log entry 1, .*\): the log no longer holds it as receipted`,
				}},
			},
		},
		{
			name: "older database restored",
			tamper: func(o *tamperOrg) {
				o.restart(func() {
					for _, f := range []string{"meta.db-wal", "meta.db-shm"} {
						os.Remove(o.path("srv/" + f))
					}
					if err := os.Rename(o.snapshot, o.path("srv/meta.db")); err != nil {
						o.t.Fatal(err)
					}
				})
			},
			findings: []finding{
				{"laptop.token", "receipts", []string{
					`the log was rolled back: it now has 1 entry`,
					`submission {B} \(log entry 1, .*\): no longer in the log`,
					`submission {B} \(log entry 1, .*\): the sealed file is gone`,
					`submission {C} \(log entry 2, .*\): the sealed file is gone`,
					`submission {C} \(log entry 2, .*\): the re-identification record is gone`,
				}},
				{"reviewer.token", "inbox/receipts", []string{`the log was rolled back`, `submission {B} .*: the sealed file is gone`, `submission {C} .*: the sealed file is gone`}},
			},
		},
		{
			// The log key swapped for one of the attacker's: its
			// checkpoints are refused, because the roster names the key.
			name: "log key replaced",
			tamper: func(o *tamperOrg) {
				o.restart(func() {
					os.Remove(o.path("srv/log.key"))
					o.must("keygen", "--signing", "--name", "testimony-log-0000000000000000", "--out", o.path("srv/log.key"), "--insecure-no-passphrase")
				})
			},
			findings: []finding{
				{"laptop.token", "receipts", []string{`the server's log checkpoint: checkpoint is not signed by the log key`}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &tamperOrg{t: t, dir: t.TempDir()}
			o.setUp()
			tc.tamper(o)
			for _, f := range tc.findings {
				out := o.verify(f.token, o.path(f.receipts), exitVerify)
				ids := strings.NewReplacer("{A}", o.ids[0], "{B}", o.ids[1], "{C}", o.ids[2])
				for _, w := range f.want {
					re := regexp.MustCompile(`(?m)^PROBLEM: ` + ids.Replace(w))
					if !re.MatchString(out) {
						t.Errorf("%s's verify does not report %q:\n%s", f.token, re, out)
					}
				}
				// Untouched submissions are not reported.
				for i, id := range o.ids {
					if !strings.Contains(strings.Join(f.want, "\n"), "{"+string(rune('A'+i))+"}") && strings.Contains(out, id) {
						t.Errorf("%s's verify reports the untouched submission %d:\n%s", f.token, i+1, out)
					}
				}
			}
		})
	}
}

// TestPushRefusesUnprovedReceipts: a server whose checkpoints the roster's
// log key did not sign gets its uploads counted as not done, and no
// receipt is kept.
func TestPushRefusesUnprovedReceipts(t *testing.T) {
	o := &tamperOrg{t: t, dir: t.TempDir()}
	o.setUp()
	o.restart(func() {
		os.Remove(o.path("srv/log.key"))
		o.must("keygen", "--signing", "--name", "testimony-log-0000000000000000", "--out", o.path("srv/log.key"), "--insecure-no-passphrase")
	})
	os.Mkdir(o.path("late"), 0o700)
	id := o.must("seal", "--roster", o.path("roster.txt"), "--admin-pub", o.path("admin.pub"), "--device-key", o.path("laptop.key"),
		"--device-id", "laptop-1", "--note", o.path("note.md"), "--out", o.path("late")+"/")
	_, errOut, code := o.cli("push", "--server", o.url, "--token-file", o.path("laptop.token"), "--roster", o.path("roster.txt"),
		"--admin-pub", o.path("admin.pub"), "--receipts", o.path("receipts"), o.path("late/"+id+".age"))
	if code != exitError || !strings.Contains(errOut, "does not prove that its log holds it") || !strings.Contains(errOut, "not signed by the log key") {
		t.Errorf("push to a server with another log key: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(o.path("receipts/" + id + ".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a receipt was kept for an unproved upload: %v", err)
	}
}
