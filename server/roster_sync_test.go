package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"testimony/internal/blob/disk"
	"testimony/internal/store"
	"testimony/server"
)

// TestRosterAcrossServers runs a second server on the first one's store, as
// a second process on one database is. A roster published through the
// second is what the first serves at once, and what it enforces within a
// second: the device the new roster removes can no longer push to either.
func TestRosterAcrossServers(t *testing.T) {
	o := newOrg(t)
	blobs := must(disk.Open(filepath.Join(o.dir, "blobs")))
	t.Cleanup(func() { blobs.Close() })
	other := must(server.New(context.Background(), server.Config{Store: o.store, Blobs: blobs, LogKey: o.logKey}))
	ts := httptest.NewServer(other.Handler())
	t.Cleanup(ts.Close)

	// Both take the laptop's pushes under the first roster.
	id, body := o.seal(t, nil, "before")
	if st, b := o.put(t, id, body); st != http.StatusCreated {
		t.Fatalf("push before: %d %s", st, b)
	}
	// The admin removes the laptop, through the other server.
	next := *o.roster
	next.Devices = slices.Clone(next.Devices)
	next.Version++
	if err := next.RemoveDevice("laptop-1"); err != nil {
		t.Fatal(err)
	}
	newer := must(next.Sign(o.admin))
	req, _ := http.NewRequest("PUT", ts.URL+"/api/v1/roster", bytes.NewReader(newer))
	req.Header.Set("Authorization", "Bearer "+o.tokens[store.Admin])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("publishing through the other server: %s", resp.Status)
	}
	// The first refuses the removed laptop within a second...
	deadline := time.Now().Add(3 * time.Second)
	for {
		id, body := o.seal(t, nil, "after")
		st, b := o.put(t, id, body)
		if st == http.StatusForbidden {
			break
		}
		if st != http.StatusCreated || time.Now().After(deadline) {
			t.Fatalf("a push from the removed laptop, after the roster was published elsewhere: %d %s", st, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// ...and serves the new roster.
	if st, b := o.do(t, "GET", "/api/v1/roster", store.Reviewer, nil, nil); st != http.StatusOK || !bytes.Equal(b, newer) {
		t.Errorf("the first server serves another roster: %d", st)
	}
}
