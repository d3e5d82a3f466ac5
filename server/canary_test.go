package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"

	"testimony/internal/store"
)

// TestCanariesNeverReachTheServer pushes marker strings — a Hangul name, a
// Latin name, and their base64 and hex forms — through the whole flow
// (seal, upload with a re-identification record, list, fetch) and then
// searches every byte the server wrote, database and WAL included, and its
// log, for each marker in several encodings. Token secrets must not be
// there either: the server keeps only their hashes.
func TestCanariesNeverReachTheServer(t *testing.T) {
	o := newOrg(t)
	hangul, latin := "김석한카나리아", "KIM-SOK-HAN-CANARY"
	note := hangul + " " + latin + " " + base64.StdEncoding.EncodeToString([]byte(hangul)) + " " + hex.EncodeToString([]byte(latin)) + "\n"
	id, sealed := o.seal(t, nil, note)
	reid := sealTo(t, o.custodian, "p1 "+hangul+" "+latin+" → 박영수\n")
	rh := digestHeader(reid)
	if st, body := o.do(t, "PUT", "/api/v1/submissions/"+id+"/reid", store.Interviewer, reid, rh); st != 202 {
		t.Fatalf("PUT reid: %d %s", st, body)
	}
	h := digestHeader(sealed)
	h["Testimony-Reid-Digest"] = rh["Content-Digest"]
	if st, body := o.do(t, "PUT", "/api/v1/submissions/"+id, store.Interviewer, sealed, h); st != 201 {
		t.Fatalf("PUT: %d %s", st, body)
	}
	o.do(t, "GET", "/api/v1/submissions", store.Reviewer, nil, nil)
	o.do(t, "GET", "/api/v1/submissions/"+id, store.Reviewer, nil, nil)
	o.do(t, "GET", "/api/v1/submissions/"+id+"/reid", store.Custodian, nil, nil)
	o.httpServer.Close()
	o.checkNoCanaries(t, []byte(note), hangul, latin, "김석한", "CANARY")
}

// TestCanariesInLookupsAndAnnotations does the same for the reason a
// custodian gives for a lookup and for a reviewer's annotation: both reach
// the server only sealed, and neither is on its disk or in its log in any
// encoding, whatever the server did with them (store, log, list, serve).
func TestCanariesInLookupsAndAnnotations(t *testing.T) {
	o := newOrg(t)
	sub := o.pushN(t, 1)[0]
	hangul, latin := "리영철카나리아", "RI-YONG-CHOL-CANARY"
	reason := "re-identify " + hangul + " (" + latin + "): consent withdrawn " + base64.StdEncoding.EncodeToString([]byte(hangul)) + "\n"
	note := "tags: " + latin + "; " + hangul + " " + hex.EncodeToString([]byte(latin)) + "\n"
	lookupID, annID := newID(), newID()
	if st, body := o.putLookup(t, lookupID, sub.ID, sealFor(t, reason, 0, o.custodian)); st != 201 {
		t.Fatalf("PUT lookup: %d %s", st, body)
	}
	// A large annotation too, which goes to the blob store.
	big := note + strings.Repeat(note, (100<<10)/len(note))
	for id, text := range map[string]string{annID: note, newID(): big} {
		if st, body := o.putAnnotation(t, id, sealFor(t, text, 0, o.reviewers...)); st != 201 {
			t.Fatalf("PUT annotation: %d %s", st, body)
		}
	}
	o.do(t, "GET", "/api/v1/lookups", store.Custodian, nil, nil)
	o.do(t, "GET", "/api/v1/lookups/"+lookupID, store.Custodian, nil, nil)
	o.do(t, "GET", "/api/v1/annotations", store.Reviewer, nil, nil)
	o.do(t, "GET", "/api/v1/annotations/"+annID, store.Reviewer, nil, nil)
	o.do(t, "GET", "/api/v1/log/leaves/1", store.Reviewer, nil, nil)
	o.httpServer.Close()
	o.checkNoCanaries(t, []byte(reason+note), hangul, latin, "리영철", "CANARY", "consent withdrawn")
	// Nor are the record IDs in the request log.
	for _, id := range []string{lookupID, annID} {
		if strings.Contains(o.logs.String(), id) {
			t.Errorf("the request log contains the ID %s", id)
		}
	}
}

// checkNoCanaries searches every file under the org's directory (the
// database, its WAL, the blobs) and its request log for each canary, in
// UTF-8, UTF-16, base64 and hex, and for the org's token secrets. plain is
// text that holds the first canary, to prove that the search finds one.
func (o *org) checkNoCanaries(t *testing.T, plain []byte, canaries ...string) {
	t.Helper()
	var markers [][]byte
	utf16 := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder()
	for _, m := range canaries {
		u16, _ := utf16.String(m)
		markers = append(markers, []byte(m), []byte(u16),
			[]byte(base64.StdEncoding.EncodeToString([]byte(m))),
			[]byte(hex.EncodeToString([]byte(m))))
	}
	for _, tok := range o.tokens {
		markers = append(markers, []byte(tok), []byte(tok[len(tok)-43:]))
	}
	found := 0
	check := func(where string, b []byte) {
		for _, m := range markers {
			if bytes.Contains(b, m) {
				t.Errorf("%s contains %q", where, m)
			}
		}
		found++
	}
	check("the log", o.logs.Bytes())
	filepath.WalkDir(o.dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, err := os.ReadFile(path)
			if err == nil {
				check(path, b)
			}
		}
		return nil
	})
	if found < 4 {
		t.Fatalf("searched only %d places; the server's files were not found", found)
	}
	// The markers are found when they are there: the search itself works.
	if !bytes.Contains(plain, markers[0]) {
		t.Fatal("the search cannot find a marker in plain text")
	}
}
