package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"testimony/internal/auditlog"
	"testimony/internal/client"
	"testimony/internal/envelope"
	"testimony/internal/store"
	"testimony/keys"
	"testimony/server"
)

// TestServeTwoProcessesOneStore runs two real `testimony serve` processes
// on one PostgreSQL database and one S3 bucket, and four laptops pushing
// to both at once with the real client. It checks that they build one log
// (every checkpoint either process signed is consistent with the final
// tree, and two of the same size are the same), that nothing is lost or
// counted twice, that the same upload sent to both processes at once is
// one submission with one leaf, that a roster published through one
// process is what the other serves and enforces, and that a kill -9 of one
// process in the middle of a large upload leaves the other serving,
// nothing acknowledged lost, no visible partial object, and a restarted
// process that takes the upload again. At the end `testimony verify` with
// every receipt kept passes against both processes.
func TestServeTwoProcessesOneStore(t *testing.T) {
	if testing.Short() {
		t.Skip("two-process test skipped with -short")
	}
	pg, s3ep := scaleServers(t)
	db := testDatabase(t, pg)
	bucket := testBucket(t, s3ep)
	bin := buildTestimony(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("testimony %s: %v\n%s", args[0], err, stderr.Bytes())
		}
		return strings.TrimSpace(string(out))
	}

	// An organisation: admin, one reviewer, four laptops.
	const laptops = 4
	admin, _ := keys.GenerateSigningKey("admin")
	reviewer, _ := keys.GenerateIdentity(keys.Classic)
	r, _ := keys.NewRoster("Example NGO")
	r.Add(keys.Reviewer, "reviewer 1", reviewer.Recipient())
	devices := make([]*keys.SigningKey, laptops)
	for i := range devices {
		devices[i], _ = keys.GenerateSigningKey(fmt.Sprintf("laptop-%d", i+1))
		v, _ := keys.ParseVerifier(devices[i].Verifier())
		r.AddDevice(fmt.Sprintf("laptop-%d", i+1), v)
		if err := keys.WriteSigningKeyFile(filepath.Join(dir, fmt.Sprintf("laptop-%d.key", i+1)), devices[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	signed, _ := r.Sign(admin)
	rosterPath, adminPub := filepath.Join(dir, "roster.txt"), filepath.Join(dir, "admin.pub")
	os.WriteFile(rosterPath, signed, 0o644)
	os.WriteFile(adminPub, []byte(admin.Verifier()+"\n"), 0o644)

	// One store, one log key file both processes use.
	storage := []string{"--store", db, "--blobs", "s3://" + bucket + "/testimony/?endpoint=" + s3ep + "&part-size=5MiB", "--log-key", filepath.Join(dir, "log.key")}
	logPub := run(append([]string{"server", "init", "--admin-pub", adminPub, "--roster", rosterPath}, storage...)...)
	logVerifier, err := keys.ParseVerifier(logPub)
	if err != nil {
		t.Fatalf("server init printed no log key: %v", err)
	}
	logKey := logVerifier.Note()
	// A second init on the same store makes no second key.
	if out, err := exec.Command(bin, append([]string{"server", "init", "--admin-pub", adminPub, "--roster", rosterPath}, storage...)...).CombinedOutput(); err == nil || !strings.Contains(string(out), "already initialized") {
		t.Errorf("a second server init on the store: %v\n%s", err, out)
	}
	adminTok := filepath.Join(dir, "admin.token")
	os.WriteFile(adminTok, []byte(run(append([]string{"admin", "token", "--role", "admin", "--label", "admin"}, storage[:4]...)...)), 0o600)
	reviewerTok := run(append([]string{"admin", "token", "--role", "reviewer", "--label", "reviewer 1"}, storage[:4]...)...)

	a := startServe(t, bin, storage...)
	b := startServe(t, bin, storage...)
	procs := func() []*serveProc { return []*serveProc{a, b} }

	// The admin publishes the roster naming the log key through A; B
	// serves it and clients accept B's receipts.
	r, _ = keys.VerifyRoster(signed, mustVerifier(t, admin.Verifier()), nil)
	r.SetLog(logVerifier)
	r.Version++
	signed, _ = r.Sign(admin)
	os.WriteFile(rosterPath, signed, 0o644)
	run("roster", "publish", "--server", a.base, "--token-file", adminTok, "--roster", rosterPath)
	roster, err := keys.VerifyRoster(signed, mustVerifier(t, admin.Verifier()), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "process B to serve the roster published through A", func() bool {
		got, err := scaleGet(b.base+"/api/v1/roster", reviewerTok)
		return err == nil && bytes.Equal(got, signed)
	})

	// Each laptop enrolls, half through A and half through B.
	tokens := make([]string, laptops)
	for i := range tokens {
		p := procs()[i%2]
		out := filepath.Join(dir, fmt.Sprintf("laptop-%d.token", i+1))
		code := run(append([]string{"admin", "enroll", "--role", "interviewer", "--label", fmt.Sprintf("laptop %d", i+1), "--device-id", fmt.Sprintf("laptop-%d", i+1)}, storage[:4]...)...)
		run("enroll", "--server", p.base, "--code", code, "--device-key", filepath.Join(dir, fmt.Sprintf("laptop-%d.key", i+1)), "--out", out)
		b, _ := os.ReadFile(out)
		tokens[i] = strings.TrimSpace(string(b))
	}

	// Each laptop's outbox: 4 KiB notes kept inline in PostgreSQL, and
	// every tenth note over 64 KiB, which goes to S3.
	type sealedFile struct {
		laptop int
		id     string
		path   string
		digest [32]byte
		inS3   bool // too large to be kept in the metadata store
	}
	seal := func(laptop int, size int, outbox string) sealedFile {
		t.Helper()
		id := envelope.NewID()
		unit := []byte(fmt.Sprintf("laptop %d note %s. ", laptop, id))
		text := bytes.Repeat(unit, size/len(unit)+1)[:size]
		contents := envelope.Contents{Note: text}
		if size > 1<<20 { // a recording, not a note
			contents = envelope.Contents{Note: unit, Attachments: []envelope.Attachment{{Ext: "m4a", Size: int64(size),
				Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(text)), nil }}}}
		}
		var buf bytes.Buffer
		if _, err := envelope.Seal(&buf, contents, envelope.Options{Roster: roster, Device: devices[laptop], DeviceID: fmt.Sprintf("laptop-%d", laptop+1), ID: id}); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(outbox, 0o700)
		path := filepath.Join(outbox, id+".age")
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return sealedFile{laptop, id, path, sha256.Sum256(buf.Bytes()), buf.Len() > store.MaxInlineBody}
	}
	var files []sealedFile
	for i := range laptops {
		for j := range 60 {
			size := 4 << 10
			if j%10 == 9 {
				size = 200 << 10
			}
			files = append(files, seal(i, size, filepath.Join(dir, fmt.Sprintf("outbox-%d", i))))
		}
	}
	receipts := func(laptop int, dup bool) string {
		if dup {
			return filepath.Join(dir, fmt.Sprintf("receipts-%d-dup", laptop))
		}
		return filepath.Join(dir, fmt.Sprintf("receipts-%d", laptop))
	}
	clientOf := func(p *serveProc, laptop int) *client.Client {
		c, err := client.New(p.base, tokens[laptop], func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	var mu sync.Mutex
	acked := map[string]int64{} // id → leaf index
	ack := func(f sealedFile, rc *server.Receipt) {
		mu.Lock()
		defer mu.Unlock()
		if leaf, ok := acked[f.id]; ok && leaf != rc.Log.Index {
			t.Errorf("%s was acknowledged twice with different leaves: %d and %d", f.id, leaf, rc.Log.Index)
		}
		acked[f.id] = rc.Log.Index
	}

	// Phase 1: every laptop pushes its outbox, each file to A or B at
	// random; every fifth file goes to both at once, as a client that
	// retries through the other process would.
	var wg sync.WaitGroup
	for i := range laptops {
		wg.Go(func() {
			for _, f := range files {
				if f.laptop != i {
					continue
				}
				targets := []*serveProc{procs()[rand.IntN(2)]}
				if rand.IntN(5) == 0 {
					targets = procs()
				}
				var inner sync.WaitGroup
				for k, p := range targets {
					inner.Go(func() {
						rc, err := clientOf(p, i).Push(ctx, f.path, logKey, receipts(i, k == 1))
						if err != nil {
							t.Errorf("push %s to %s: %v", f.id, p.base, err)
							return
						}
						ack(f, rc)
					})
				}
				inner.Wait()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Phase 2: a large upload is in flight to B when B is killed, while
	// the laptops keep pushing to A.
	large := seal(0, 24<<20, filepath.Join(dir, "outbox-large"))
	body, _ := os.ReadFile(large.path)
	pr, pw := io.Pipe()
	req, _ := http.NewRequestWithContext(ctx, "PUT", b.base+"/api/v1/submissions/"+large.id, pr)
	req.Header.Set("Authorization", "Bearer "+tokens[0])
	req.Header.Set("Content-Digest", server.ContentDigest(large.digest))
	req.ContentLength = int64(len(body))
	inFlight := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("the cut upload was answered %s", resp.Status)
		}
		inFlight <- err
	}()
	// More than two parts (5 MiB each) reach B before the kill.
	if _, err := pw.Write(body[:12<<20]); err != nil {
		t.Fatalf("the large upload did not start: %v", err)
	}
	var more []sealedFile
	for i := range laptops {
		for range 20 {
			more = append(more, seal(i, 4<<10, filepath.Join(dir, fmt.Sprintf("outbox-%d", i))))
		}
	}
	pushCtx, stopPushing := context.WithCancel(ctx)
	var pushed sync.WaitGroup
	for i := range laptops {
		pushed.Go(func() {
			for _, f := range more {
				if f.laptop != i || pushCtx.Err() != nil {
					continue
				}
				rc, err := clientOf(a, i).Push(pushCtx, f.path, logKey, receipts(i, false))
				if err != nil {
					t.Errorf("push %s to A while B was killed: %v", f.id, err)
					continue
				}
				ack(f, rc)
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	b.kill()
	// The client's side of the cut upload ends too (net/http waits for
	// the body's writer before it returns).
	pw.CloseWithError(errors.New("the server was killed"))
	if err := <-inFlight; err == nil {
		t.Fatal("the large upload to the killed process finished")
	}
	pushed.Wait()
	stopPushing()
	// Nothing of the cut upload is visible through A, in S3 or the log.
	if st, _ := scaleGetStatus(a.base+"/api/v1/submissions/"+large.id, reviewerTok); st != http.StatusNotFound {
		t.Errorf("the cut upload is served by A: status %d", st)
	}
	s3c := s3Admin(t, s3ep)
	if _, err := s3c.StatObject(ctx, bucket, "testimony/"+large.id, minio.StatObjectOptions{}); err == nil {
		t.Errorf("the cut upload is a visible object in the bucket")
	}
	// It was cut in the middle: its parts are an unfinished multipart
	// upload, which no listing or GET shows.
	unfinished := 0
	for u := range s3c.ListIncompleteUploads(ctx, bucket, "testimony/"+large.id, false) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		unfinished++
	}
	if unfinished == 0 {
		t.Errorf("no unfinished upload of the cut file: the kill did not land mid-upload, and the test shows less than it says")
	}

	// B restarts on the same store and takes the upload again.
	b = startServe(t, bin, storage...)
	rc, err := clientOf(b, 0).Push(ctx, large.path, logKey, receipts(0, false))
	if err != nil {
		t.Fatalf("the large upload again, to the restarted process: %v", err)
	}
	ack(large, rc)
	files = append(append(files, more...), large)

	// One log: every checkpoint either process signed is consistent with
	// the final tree, and two of one size have one root.
	cpText, err := scaleGet(a.base+"/api/v1/log/checkpoint", reviewerTok)
	if err != nil {
		t.Fatal(err)
	}
	final, err := auditlog.Open(cpText, logKey)
	if err != nil {
		t.Fatal(err)
	}
	checkpoints := map[int64]auditlog.Checkpoint{}
	for i := range laptops {
		for _, dup := range []bool{false, true} {
			entries, _ := os.ReadDir(filepath.Join(receipts(i, dup), "checkpoints"))
			for _, e := range entries {
				text, err := os.ReadFile(filepath.Join(receipts(i, dup), "checkpoints", e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				cp, err := auditlog.Open(text, logKey)
				if err != nil {
					t.Fatalf("kept checkpoint %s: %v", e.Name(), err)
				}
				if other, ok := checkpoints[cp.Size]; ok && other.Root != cp.Root {
					t.Errorf("two checkpoints of size %d with different roots: a fork", cp.Size)
				}
				checkpoints[cp.Size] = cp
			}
		}
	}
	if len(checkpoints) < 10 {
		t.Errorf("only %d distinct checkpoints were kept; the test checks too little", len(checkpoints))
	}
	for size, cp := range checkpoints {
		for _, p := range []*serveProc{a, b} {
			var proof server.ConsistencyProof
			if err := scaleGetJSON(fmt.Sprintf("%s/api/v1/log/consistency?from=%d&to=%d", p.base, size, final.Size), reviewerTok, &proof); err != nil {
				t.Fatal(err)
			}
			if err := auditlog.CheckConsistency(cp, final, proof.Proof); err != nil {
				t.Errorf("the checkpoint of size %d is not consistent with the final one of size %d (proof from %s): %v", size, final.Size, p.base, err)
			}
		}
	}

	// Nothing lost, nothing twice: the listing holds every file once, in
	// Seq order without gaps, each at the leaf its receipt names.
	listed := listSubmissions(t, a.base, reviewerTok)
	if int64(len(listed)) != final.Size {
		t.Errorf("the log has %d leaves, the listing %d submissions", final.Size, len(listed))
	}
	seen := map[string]bool{}
	for i, s := range listed {
		if s.Seq != int64(i+1) || s.Leaf != int64(i) {
			t.Errorf("entry %d has seq %d and leaf %d", i, s.Seq, s.Leaf)
		}
		if seen[s.ID] {
			t.Errorf("%s is listed twice", s.ID)
		}
		seen[s.ID] = true
		if leaf, ok := acked[s.ID]; !ok {
			t.Errorf("%s is listed but was never acknowledged", s.ID)
		} else if leaf != s.Leaf {
			t.Errorf("%s is listed at leaf %d, acknowledged at %d", s.ID, s.Leaf, leaf)
		}
	}
	for _, f := range files {
		if _, ok := acked[f.id]; !ok {
			t.Errorf("%s was never acknowledged", f.id)
		}
		if !seen[f.id] {
			t.Errorf("acknowledged %s is not listed", f.id)
		}
	}
	// Each file comes back whole from either process.
	for k, f := range files {
		if k%7 != 0 && f.id != large.id {
			continue // a sample keeps the test fast; the large one always
		}
		got, err := scaleGet(procs()[k%2].base+"/api/v1/submissions/"+f.id, reviewerTok)
		if err != nil || sha256.Sum256(got) != f.digest {
			t.Errorf("%s is not served intact: %v", f.id, err)
		}
	}
	// Only whole blobs are objects in the bucket: each is a listed file,
	// with its digest.
	byID := map[string]sealedFile{}
	for _, f := range files {
		byID[f.id] = f
	}
	objects := 0
	for o := range s3c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "testimony/", Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		objects++
		f, ok := byID[strings.TrimPrefix(o.Key, "testimony/")]
		if !ok {
			t.Errorf("object %s is no submission", o.Key)
			continue
		}
		obj, err := s3c.GetObject(ctx, bucket, o.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		_, err = io.Copy(h, obj)
		obj.Close()
		if err != nil || [32]byte(h.Sum(nil)) != f.digest {
			t.Errorf("object %s is not the file it is named for: %v", o.Key, err)
		}
	}
	want := 0
	for _, f := range files {
		if f.inS3 {
			want++
		}
	}
	if objects != want {
		t.Errorf("%d objects in the bucket, want %d (every file over %d bytes)", objects, want, store.MaxInlineBody)
	}

	// testimony verify, as each laptop runs it, with every receipt and
	// checkpoint it kept, against both processes.
	for i := range laptops {
		for _, dup := range []bool{false, true} {
			if _, err := os.Stat(receipts(i, dup)); err != nil {
				continue
			}
			for _, p := range []*serveProc{a, b} {
				out := run("verify", "--server", p.base, "--token-file", filepath.Join(dir, fmt.Sprintf("laptop-%d.token", i+1)), "--roster", rosterPath, "--admin-pub", adminPub, "--receipts", receipts(i, dup))
				if !strings.HasPrefix(out, "OK: ") {
					t.Errorf("verify laptop %d against %s: %s", i+1, p.base, out)
				}
			}
		}
	}
	t.Logf("%d submissions, %d distinct checkpoints, %d objects; the cut upload was taken again after the restart", len(listed), len(checkpoints), objects)
}

func mustVerifier(t testing.TB, s string) keys.Verifier {
	t.Helper()
	v, err := keys.ParseVerifier(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitFor polls cond every 50 ms until it holds or limit passes.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited %v for %s", limit, what)
}

var scaleHTTP = &http.Client{Timeout: 30 * time.Second}

// scaleGetStatus GETs url with token and returns the status and body.
func scaleGetStatus(url, token string) (int, []byte) {
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := scaleHTTP.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// scaleGet GETs url with token and fails unless the answer is 200.
func scaleGet(url, token string) ([]byte, error) {
	st, b := scaleGetStatus(url, token)
	if st != http.StatusOK {
		return nil, fmt.Errorf("GET: status %d", st)
	}
	return b, nil
}

func scaleGetJSON(url, token string, v any) error {
	b, err := scaleGet(url, token)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// listSubmissions returns the whole listing, page by page.
func listSubmissions(t testing.TB, base, token string) []server.Listed {
	t.Helper()
	var all []server.Listed
	for after := int64(0); ; {
		var page struct {
			Submissions []server.Listed
			Next        int64
		}
		if err := scaleGetJSON(fmt.Sprintf("%s/api/v1/submissions?after=%d", base, after), token, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Submissions) == 0 {
			return all
		}
		all = append(all, page.Submissions...)
		after = page.Next
	}
}

// TestMigrateSQLiteToPostgres follows docs/operations.md from a server on
// the embedded default to PostgreSQL and S3: backup, restore into an empty
// database and bucket named by a config file, serve from the config. The
// laptop's receipts and checkpoints verify against the moved server, its
// token still works, and the log goes on where it stopped.
func TestMigrateSQLiteToPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("migration test skipped with -short")
	}
	pg, s3ep := scaleServers(t)
	db := testDatabase(t, pg)
	bucket := testBucket(t, s3ep)
	bin := buildTestimony(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("testimony %s: %v\n%s", args[0], err, stderr.Bytes())
		}
		return strings.TrimSpace(string(out))
	}
	admin, _ := keys.GenerateSigningKey("admin")
	reviewer, _ := keys.GenerateIdentity(keys.Classic)
	device, _ := keys.GenerateSigningKey("laptop-1")
	keys.WriteSigningKeyFile(filepath.Join(dir, "laptop-1.key"), device, nil)
	r, _ := keys.NewRoster("Example NGO")
	r.Add(keys.Reviewer, "reviewer 1", reviewer.Recipient())
	r.AddDevice("laptop-1", mustVerifier(t, device.Verifier()))
	signed, _ := r.Sign(admin)
	rosterPath, adminPub := filepath.Join(dir, "roster.txt"), filepath.Join(dir, "admin.pub")
	os.WriteFile(rosterPath, signed, 0o644)
	os.WriteFile(adminPub, []byte(admin.Verifier()+"\n"), 0o644)

	// The old server, on SQLite.
	data := filepath.Join(dir, "data")
	logVerifier := mustVerifier(t, run("server", "init", "--data", data, "--admin-pub", adminPub, "--roster", rosterPath))
	os.WriteFile(filepath.Join(dir, "admin.token"), []byte(run("admin", "token", "--data", data, "--role", "admin", "--label", "admin")), 0o600)
	code := run("admin", "enroll", "--data", data, "--role", "interviewer", "--label", "laptop 1", "--device-id", "laptop-1")
	old := startServe(t, bin, "--data", data)
	r.SetLog(logVerifier)
	r.Version++
	signed, _ = r.Sign(admin)
	os.WriteFile(rosterPath, signed, 0o644)
	run("roster", "publish", "--server", old.base, "--token-file", filepath.Join(dir, "admin.token"), "--roster", rosterPath)
	tokenFile := filepath.Join(dir, "laptop-1.token")
	run("enroll", "--server", old.base, "--code", code, "--device-key", filepath.Join(dir, "laptop-1.key"), "--out", tokenFile)
	roster, _ := keys.VerifyRoster(signed, mustVerifier(t, admin.Verifier()), nil)
	tok, _ := os.ReadFile(tokenFile)
	push := func(base string, size int) *server.Receipt {
		t.Helper()
		id := envelope.NewID()
		var buf bytes.Buffer
		if _, err := envelope.Seal(&buf, envelope.Contents{Note: bytes.Repeat([]byte("note "), size/5)}, envelope.Options{Roster: roster, Device: device, DeviceID: "laptop-1", ID: id}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "outbox", id+".age")
		os.MkdirAll(filepath.Dir(path), 0o700)
		os.WriteFile(path, buf.Bytes(), 0o600)
		c, err := client.New(base, strings.TrimSpace(string(tok)), func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := c.Push(ctx, path, logVerifier.Note(), filepath.Join(dir, "receipts"))
		if err != nil {
			t.Fatalf("push to %s: %v", base, err)
		}
		return rc
	}
	for i := range 12 {
		push(old.base, 4<<10+i%4*(100<<10)) // some over 64 KiB: blobs
	}
	old.kill()

	// Backup, and restore into the empty database and bucket.
	run("backup", "--data", data, "--out", filepath.Join(dir, "backup"))
	keyCopy := filepath.Join(dir, "etc", "log.key")
	os.MkdirAll(filepath.Dir(keyCopy), 0o700)
	key, _ := os.ReadFile(filepath.Join(data, "log.key"))
	os.WriteFile(keyCopy, key, 0o600)
	config := filepath.Join(dir, "etc", "storage.json")
	cfg, _ := json.Marshal(Backend{Store: db, Blobs: "s3://" + bucket + "/?endpoint=" + s3ep, LogKey: keyCopy})
	os.WriteFile(config, cfg, 0o600)
	run("restore", "--from", filepath.Join(dir, "backup"), "--config", config, "--log-key", keyCopy, "--admin-pub", adminPub)

	moved := startServe(t, bin, "--config", config)
	out := run("verify", "--server", moved.base, "--token-file", tokenFile, "--roster", rosterPath, "--admin-pub", adminPub, "--receipts", filepath.Join(dir, "receipts"))
	if !strings.HasPrefix(out, "OK: 12 receipt(s)") {
		t.Errorf("verify against the moved server: %s", out)
	}
	if rc := push(moved.base, 4<<10); rc.Log.Index != 12 {
		t.Errorf("the first push after the move is leaf %d, want 12", rc.Log.Index)
	}
	out = run("verify", "--server", moved.base, "--token-file", tokenFile, "--roster", rosterPath, "--admin-pub", adminPub, "--receipts", filepath.Join(dir, "receipts"))
	if !strings.HasPrefix(out, "OK: 13 receipt(s)") {
		t.Errorf("verify after pushing to the moved server: %s", out)
	}
	objects := 0
	for o := range s3Admin(t, s3ep).ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		objects++
	}
	if objects != 9 { // 3 of every 4 pushed to the old server were over 64 KiB
		t.Errorf("%d objects in the bucket after the move, want 9", objects)
	}
}
