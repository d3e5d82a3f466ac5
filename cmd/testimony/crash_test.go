package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"testimony/internal/auditlog"
	"testimony/internal/envelope"
	"testimony/keys"
	"testimony/server"
)

// TestServeSurvivesKill9 kills a real `testimony serve` process with SIGKILL
// at random moments while clients upload concurrently, restarts it, and
// checks that every acknowledged submission is intact and listed, that
// nothing partial is visible, and that the list has no gaps.
func TestServeSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "testimony")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("failed to build testimony: %v\n%s", err, out)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("testimony %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}

	// An organisation: admin, one reviewer, one device.
	admin, _ := keys.GenerateSigningKey("admin")
	device, _ := keys.GenerateSigningKey("laptop-1")
	reviewer, _ := keys.GenerateIdentity(keys.Classic)
	r, _ := keys.NewRoster("Example NGO")
	r.Add(keys.Reviewer, "reviewer 1", reviewer.Recipient())
	dv, _ := keys.ParseVerifier(device.Verifier())
	r.AddDevice("laptop-1", dv)
	signed, _ := r.Sign(admin)
	av, _ := keys.ParseVerifier(admin.Verifier())
	roster, err := keys.VerifyRoster(signed, av, nil)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "roster.txt"), signed, 0o644)
	data := filepath.Join(dir, "srv")
	logPub := run("server", "init", "--data", data, "--admin-pub", admin.Verifier(), "--roster", filepath.Join(dir, "roster.txt"))
	logKey, err := keys.ParseVerifier(logPub)
	if err != nil {
		t.Fatalf("server init printed no log key: %v", err)
	}
	upCode := run("admin", "enroll", "--data", data, "--role", "interviewer", "--label", "laptop 1", "--device-id", "laptop-1")
	var upTok string // the laptop's, once it has enrolled
	revTok := run("admin", "token", "--data", data, "--role", "reviewer", "--label", "reviewer 1")

	type file struct {
		id     string
		body   []byte
		digest [32]byte
	}
	var files []file
	for i := range 1500 {
		var buf bytes.Buffer
		id := envelope.NewID()
		note := strings.Repeat(fmt.Sprintf("note %d ", i), 1+i%200)
		if i%10 == 0 { // some too large to be kept inline: the blob path
			note = strings.Repeat(note, 1+100_000/len(note))
		}
		if _, err := envelope.Seal(&buf, envelope.Contents{Note: []byte(note)}, envelope.Options{Roster: roster, Device: device, DeviceID: "laptop-1", ID: id}); err != nil {
			t.Fatal(err)
		}
		files = append(files, file{id, buf.Bytes(), sha256.Sum256(buf.Bytes())})
	}

	start := func() (*exec.Cmd, string) {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "serve", "--data", data, "--listen", addr, "--rate-per-address", "-1", "--rate-per-token", "-1")
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for range 200 {
			if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return cmd, "http://" + addr
				}
			}
			time.Sleep(25 * time.Millisecond)
		}
		cmd.Process.Kill()
		t.Fatal("the server did not come up")
		return nil, ""
	}
	client := &http.Client{Timeout: 10 * time.Second}
	put := func(base string, f file) bool {
		req, _ := http.NewRequest("PUT", base+"/api/v1/submissions/"+f.id, bytes.NewReader(f.body))
		req.Header.Set("Authorization", "Bearer "+upTok)
		req.Header.Set("Content-Digest", server.ContentDigest(f.digest))
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var rc server.Receipt
		if (resp.StatusCode == 201 || resp.StatusCode == 200) && json.NewDecoder(resp.Body).Decode(&rc) == nil && rc.ID == f.id && rc.SHA256 == fmt.Sprintf("%x", f.digest) {
			return true
		}
		return false
	}

	// The laptop enrolls with its own key, as the roster lists it.
	{
		cmd, base := start()
		body, _ := json.Marshal(server.EnrollRequest{Code: upCode, DevicePub: device.Verifier()})
		resp, err := client.Post(base+"/api/v1/enroll", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var er server.EnrollResponse
		json.NewDecoder(resp.Body).Decode(&er)
		resp.Body.Close()
		cmd.Process.Kill()
		cmd.Wait()
		if resp.StatusCode != 200 || er.Token == "" {
			t.Fatalf("enroll: %d", resp.StatusCode)
		}
		upTok = er.Token
	}

	var mu sync.Mutex
	acked := map[string]bool{}
	next := 0
	for round := range 5 {
		cmd, base := start()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for ctx.Err() == nil {
					mu.Lock()
					if next >= len(files) {
						mu.Unlock()
						return
					}
					f := files[next]
					next++
					mu.Unlock()
					if put(base, f) {
						mu.Lock()
						acked[f.id] = true
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(time.Duration(50+rand.IntN(200)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
		cancel()
		wg.Wait()
		t.Logf("round %d: %d acknowledged so far, %d attempted", round, len(acked), next)
	}
	if len(acked) == 0 {
		t.Fatal("no upload was acknowledged; the test proves nothing")
	}
	if len(acked) == next {
		t.Logf("every attempted upload was acknowledged: no kill landed mid-upload this time")
	}

	cmd, base := start()
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	get := func(path string) (int, []byte) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+revTok)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	var list struct{ Submissions []server.Listed }
	for after := int64(0); ; {
		var page struct {
			Submissions []server.Listed
			Next        int64
		}
		_, body := get(fmt.Sprintf("/api/v1/submissions?after=%d", after))
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Submissions) == 0 {
			break
		}
		list.Submissions = append(list.Submissions, page.Submissions...)
		after = page.Next
	}
	listed := map[string]bool{}
	byID := map[string]file{}
	for _, f := range files {
		byID[f.id] = f
	}
	for i, s := range list.Submissions {
		if s.Seq != int64(i+1) {
			t.Errorf("listing has a gap: entry %d has seq %d", i, s.Seq)
		}
		listed[s.ID] = true
		st, got := get("/api/v1/submissions/" + s.ID)
		if st != 200 || sha256.Sum256(got) != byID[s.ID].digest {
			t.Errorf("listed %s is not intact: status %d, %d bytes", s.ID, st, len(got))
		}
	}
	for id := range acked {
		if !listed[id] {
			t.Errorf("acknowledged %s is not listed after the crashes", id)
		}
	}
	// The log holds exactly the listed submissions, in order: each leaf
	// was committed with its submission, across every kill.
	_, cpText := get("/api/v1/log/checkpoint")
	cp, err := auditlog.Open(cpText, logKey.Note())
	if err != nil {
		t.Fatalf("checkpoint after the crashes: %v", err)
	}
	if cp.Size != int64(len(list.Submissions)) {
		t.Errorf("the log has %d leaves, the listing %d submissions", cp.Size, len(list.Submissions))
	}
	for i, s := range list.Submissions {
		if s.Leaf != int64(i) {
			t.Errorf("submission %d has leaf %d", i, s.Leaf)
			continue
		}
		if i%50 != 0 && i != len(list.Submissions)-1 {
			continue // a sample keeps the test fast
		}
		var p server.InclusionProof
		_, body := get(fmt.Sprintf("/api/v1/log/inclusion?index=%d&size=%d", i, cp.Size))
		json.Unmarshal(body, &p)
		leaf, err := s.Receipt.Leaf()
		if err == nil {
			err = auditlog.CheckInclusion(cp, s.Leaf, leaf, p.Proof)
		}
		if err != nil {
			t.Errorf("submission %d is not in the log as listed: %v", i, err)
		}
	}
	// Nothing partial is left in the blob directory once the server has
	// restarted, and no blob that is not listed is served.
	entries, _ := os.ReadDir(filepath.Join(data, "blobs"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("a partial upload survived the restart: %s", e.Name())
		}
	}
	for _, f := range files {
		if !listed[f.id] {
			if st, _ := get("/api/v1/submissions/" + f.id); st != 404 {
				t.Errorf("unlisted %s is served (%d)", f.id, st)
			}
		}
	}
	t.Logf("%d acknowledged, %d listed, %d attempted across 5 kills", len(acked), len(listed), next)
}
