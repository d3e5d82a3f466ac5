package keys_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"testimony/keys"
)

var update = flag.Bool("update", false, "rewrite the frozen files in testdata/v2/roster (never for a released format)")

const (
	v1Dir = "../testdata/v1"
	v2Dir = "../testdata/v2/roster"
)

func readFrozen(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func frozenUnlock(t testing.TB) keys.Unlock {
	pass := strings.TrimSpace(string(readFrozen(t, v1Dir, "passphrase.txt")))
	return keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) { return keys.ExistingPassphrase(pass) }}
}

// frozenIdentities are the identity files of testdata/v1.
var frozenIdentities = []string{"hybrid-reviewer-1.key", "hybrid-reviewer-2.key", "classic-reviewer-1.key", "classic-reviewer-2.key"}

// TestReviewerSignerFrozen: the reviewer signing key derived from each
// frozen identity of testdata/v1 is the one recorded in
// testdata/v2/roster/reviewer-signers.txt. If this fails, the derivation changed
// and every reviewer's signing key in every roster with it.
func TestReviewerSignerFrozen(t *testing.T) {
	if *update {
		writeV2(t)
	}
	want := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(readFrozen(t, v2Dir, "reviewer-signers.txt")))
	for sc.Scan() {
		file, v, ok := strings.Cut(sc.Text(), " ")
		if ok {
			want[file] = v
		}
	}
	if len(want) != len(frozenIdentities) {
		t.Fatalf("reviewer-signers.txt lists %d keys, want %d", len(want), len(frozenIdentities))
	}
	for _, file := range frozenIdentities {
		id, err := keys.LoadIdentity(filepath.Join(v1Dir, file), frozenUnlock(t))
		if err != nil {
			t.Fatal(err)
		}
		k, err := id.ReviewerSigner()
		if err != nil {
			t.Fatal(err)
		}
		if k.Verifier() != want[file] {
			t.Errorf("%s: signer %s, want %s", file, k.Verifier(), want[file])
		}
		if k.Name() != keys.ReviewerSignerName(id.Recipient()) || !strings.HasPrefix(k.Name(), "reviewer-"+id.Recipient().Fingerprint()[:16]) {
			t.Errorf("%s: signer named %q", file, k.Name())
		}
	}
}

// rosterJSON is the expected parse of a frozen roster.
type rosterJSON struct {
	Format     int          `json:"format"`
	Org        string       `json:"org"`
	Version    uint64       `json:"version"`
	Log        string       `json:"log"`
	Reviewers  []memberJSON `json:"reviewers"`
	Custodians []memberJSON `json:"custodians"`
	Devices    []string     `json:"devices"`
}

type memberJSON struct {
	Label     string `json:"label"`
	Recipient string `json:"recipient"`
	Signer    string `json:"signer,omitempty"`
}

func jsonOf(r *keys.Roster) rosterJSON {
	j := rosterJSON{Format: int(r.Format), Org: r.Org, Version: r.Version, Log: r.Log.String()}
	for _, m := range r.Reviewers {
		j.Reviewers = append(j.Reviewers, memberJSON{m.Label, m.Recipient.String(), m.Signer.String()})
	}
	for _, m := range r.Custodians {
		j.Custodians = append(j.Custodians, memberJSON{m.Label, m.Recipient.String(), m.Signer.String()})
	}
	for _, d := range r.Devices {
		j.Devices = append(j.Devices, d.ID+" "+d.Key.String())
	}
	return j
}

// TestCompatRosters: the frozen rosters of testdata/v1 and testdata/v2
// verify, parse to what was recorded, and give back their signed text byte
// for byte (a roster that did not would lose its signature when re-signed
// or compared).
func TestCompatRosters(t *testing.T) {
	for _, tc := range []struct {
		dir, name string
		format    keys.RosterFormat
	}{
		{v1Dir, "hybrid-roster.txt", keys.RosterV1},
		{v1Dir, "classic-roster.txt", keys.RosterV1},
		{v2Dir, "roster.txt", keys.RosterV2},
	} {
		t.Run(filepath.Base(tc.dir)+"/"+tc.name, func(t *testing.T) {
			signed := readFrozen(t, tc.dir, tc.name)
			admin, err := keys.ParseVerifier(string(readFrozen(t, tc.dir, "admin.pub")))
			if err != nil {
				t.Fatal(err)
			}
			r, err := keys.VerifyRoster(signed, admin, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Format != tc.format {
				t.Errorf("Format = %d, want %d", r.Format, tc.format)
			}
			n, err := note.Open(signed, note.VerifierList(admin.Note()))
			if err != nil {
				t.Fatal(err)
			}
			if r.Text() != n.Text {
				t.Errorf("Text() differs from the signed text:\n%s\nwant\n%s", r.Text(), n.Text)
			}
			if tc.format == keys.RosterV1 {
				// Upgrading keeps every entry and lists no signer yet.
				if err := r.Upgrade(); err != nil {
					t.Fatal(err)
				}
				want := strings.Replace(n.Text, keys.RosterHeaderV1, keys.RosterHeaderV2, 1)
				for _, m := range r.Reviewers {
					want = strings.Replace(want, "reviewer "+m.Recipient.String()+" ", "reviewer "+m.Recipient.String()+" - ", 1)
				}
				if r.Text() != want {
					t.Errorf("upgraded text:\n%s\nwant\n%s", r.Text(), want)
				}
				if err := r.Upgrade(); err != keys.ErrRosterUpgraded {
					t.Errorf("a second upgrade: %v, want %v", err, keys.ErrRosterUpgraded)
				}
				return
			}
			var want rosterJSON
			if err := json.Unmarshal(readFrozen(t, tc.dir, "roster.json"), &want); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(jsonOf(r))
			wantB, _ := json.Marshal(want)
			if !bytes.Equal(got, wantB) {
				t.Errorf("parsed roster:\n%s\nwant\n%s", got, wantB)
			}
		})
	}
}

// writeV2 makes the frozen files of testdata/v2/roster that the keys tests read.
// Run only when the directory is created:
// go test ./keys -run TestReviewerSignerFrozen -update
func writeV2(t *testing.T) {
	if _, err := os.Stat(filepath.Join(v2Dir, "roster.txt")); err == nil {
		t.Fatal("testdata/v2/roster exists: a released format is never rewritten")
	}
	if err := os.MkdirAll(v2Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(v2Dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var signers strings.Builder
	ids := map[string]*keys.Identity{}
	for _, file := range frozenIdentities {
		id, err := keys.LoadIdentity(filepath.Join(v1Dir, file), frozenUnlock(t))
		if err != nil {
			t.Fatal(err)
		}
		ids[file] = id
		k, err := id.ReviewerSigner()
		if err != nil {
			t.Fatal(err)
		}
		signers.WriteString(file + " " + k.Verifier() + "\n")
	}
	write("reviewer-signers.txt", []byte(signers.String()))

	admin := mustSigningKey(t, "admin")
	write("admin.pub", []byte(admin.Verifier()+"\n"))
	v1, err := keys.ReadUnverifiedRoster(readFrozen(t, v1Dir, "hybrid-roster.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := keys.NewRoster("Example NGO")
	r.Version = 5
	signer, _ := ids["hybrid-reviewer-1.key"].ReviewerSigner()
	for _, err := range []error{
		r.AddReviewer("reviewer 1", ids["hybrid-reviewer-1.key"].Recipient(), mustVerifier(t, signer)),
		r.AddReviewer("reviewer 2", ids["hybrid-reviewer-2.key"].Recipient(), keys.Verifier{}),
		r.Add(keys.Custodian, "custodian 1", mustIdentity(t, keys.Hybrid).Recipient()),
		r.AddDevice("laptop-1", v1.Devices[0].Key),
		r.SetLog(mustVerifier(t, mustSigningKey(t, "testimony-log-frozen"))),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	write("roster.txt", mustSign(t, r, admin))
	j, _ := json.MarshalIndent(jsonOf(r), "", "  ")
	write("roster.json", append(j, '\n'))
}
