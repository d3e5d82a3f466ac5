package desk

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"testimony/internal/durable"
	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/internal/pseudonym"
	"testimony/server"
)

// registry holds a custodian's decrypted re-identification records, in
// memory only.
type registry struct {
	mu      sync.RWMutex
	bundles map[string]*intake.Bundle // by submission ID
	// refused holds, by submission ID, why a record was refused: not
	// signed by an enrolled device for that submission, or damaged.
	refused map[string]string
	closed  bool // set when the desk locks
}

func newRegistry() *registry {
	return &registry{bundles: map[string]*intake.Bundle{}, refused: map[string]string{}}
}

func (g *registry) forget() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bundles, g.refused, g.closed = nil, nil, true
}

// loadRecords opens every pulled re-identification record not yet open. A
// record is taken only if it is bound to the submission it is filed under
// (signed for it by an enrolled device) or, in the old unsigned format,
// kept apart as unverified; any other is refused and never searched.
func (d *Desk) loadRecords(u *unlocked) error {
	files, err := filepath.Glob(d.path("reid", "*.reid.age"))
	if err != nil {
		return err
	}
	d.mu.Lock()
	roster := d.roster
	d.mu.Unlock()
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".reid.age")
		u.records.mu.RLock()
		_, done := u.records.bundles[id]
		_, refused := u.records.refused[id]
		done = done || refused
		u.records.mu.RUnlock()
		if done || !draftID.MatchString(id) {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		bd, err := intake.OpenReid(b, u.identity, roster, id)
		u.records.mu.Lock()
		if u.records.closed { // locked meanwhile
			u.records.mu.Unlock()
			return nil
		}
		if err != nil {
			u.records.refused[id] = err.Error()
		} else {
			u.records.bundles[id] = bd
		}
		u.records.mu.Unlock()
	}
	return nil
}

// lookupRecord is what this desk keeps of a lookup it made: no reason, no
// name, only where the log holds it.
type lookupRecord struct {
	ID         string `json:"id"`
	Submission string `json:"submission"`
	Day        string `json:"day"`
	Index      int64  `json:"index"`
}

type custodianView struct {
	Records int
	// Unsigned counts the records in the old format, which nothing binds
	// to their submission.
	Unsigned int
	// Refused lists the records that were refused, and why.
	Refused   []refusedRecord
	Pseudonym string
	Reason    string
	Matches   []match
	Lookups   []lookupRecord
	NoMatch   bool
}

// refusedRecord is a re-identification record the desk would not take.
type refusedRecord struct{ Submission, Why string }

type match struct {
	Submission string
	// Signed is true when the record was signed for this submission by
	// the enrolled device Device; false for an old, unsigned record.
	Signed bool
	Device string
	Kind   string // person or place
	Entry  pseudonym.ReidEntry
	Logged lookupRecord
}

func (d *Desk) custodianData(u *unlocked) *custodianView {
	v := &custodianView{}
	u.records.mu.RLock()
	v.Records = len(u.records.bundles)
	for _, bd := range u.records.bundles {
		if !bd.Signed {
			v.Unsigned++
		}
	}
	for id, why := range u.records.refused {
		v.Refused = append(v.Refused, refusedRecord{id, why})
	}
	u.records.mu.RUnlock()
	sort.Slice(v.Refused, func(i, j int) bool { return v.Refused[i].Submission < v.Refused[j].Submission })
	files, _ := filepath.Glob(d.path("lookups", "*.json"))
	for _, f := range files {
		var l lookupRecord
		if b, err := os.ReadFile(f); err == nil && json.Unmarshal(b, &l) == nil {
			v.Lookups = append(v.Lookups, l)
		}
	}
	sort.Slice(v.Lookups, func(i, j int) bool { return v.Lookups[i].Index > v.Lookups[j].Index })
	return v
}

func (d *Desk) custodianHome(w http.ResponseWriter, r *http.Request, u *unlocked) {
	v := d.custodianData(u)
	// A lookup's answer comes with the redirect after it (see result.go):
	// it lives in the desk's memory, never in the address, and is
	// forgotten when the desk locks.
	if res, ok := resultData[*lookupResult](d, r); ok {
		v.Pseudonym, v.Reason, v.Matches, v.NoMatch = res.Pseudonym, res.Reason, res.Matches, res.NoMatch
	}
	d.render(w, r, http.StatusOK, "custodian", "Re-identification", v)
}

// lookupResult is what a lookup typed and found.
type lookupResult struct {
	Pseudonym, Reason string
	Matches           []match
	NoMatch           bool
}

// lookupReason is the plaintext of a lookup's reason, sealed to the
// custodians and recorded by the server.
type lookupReason struct {
	Format string `json:"format"`
	// ID is the lookup ID the reason is filed under on the server.
	ID         string `json:"id"`
	Submission string `json:"submission"`
	Pseudonym  string `json:"pseudonym"`
	Reason     string `json:"reason"`
	Day        string `json:"day"`
}

// lookupFormat 2 names the lookup ID inside the sealed reason, so that a
// reason cannot be re-filed under another lookup (format 1 did not).
const lookupFormat = "testimony-lookup-v2"

// lookupPost finds whom a pseudonym stands for. It records the lookup, with
// the reason sealed to the custodians, in the server's log first, and
// shows the answer only once the server's receipt proves the log holds
// the record: every re-identification leaves a trace.
func (d *Desk) lookupPost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	res := &lookupResult{Pseudonym: strings.TrimSpace(r.FormValue("pseudonym")), Reason: strings.TrimSpace(r.FormValue("reason"))}
	if res.Pseudonym == "" {
		d.refused(w, r, "/#pseudonym", res, "Type the pseudonym to look up.", nil)
		return
	}
	if utf8.RuneCountInString(res.Reason) < 10 || len(res.Reason) > 4096 {
		d.refused(w, r, "/#reason", res, "State the reason for this lookup in a sentence (at least 10 characters). It is sealed to the custodians and recorded.", nil)
		return
	}
	want := fold(res.Pseudonym)
	var found []match
	u.records.mu.RLock()
	for id, bd := range u.records.bundles {
		for _, part := range bd.Parts {
			for kind, entries := range map[string][]pseudonym.ReidEntry{"person": part.People, "place": part.Places} {
				for _, e := range entries {
					if fold(e.Pseudonym) == want || (e.Romanized != "" && fold(e.Romanized) == want) {
						if !slices.ContainsFunc(found, func(m match) bool { return m.Submission == id && m.Entry.Entity == e.Entity }) {
							found = append(found, match{Submission: id, Signed: bd.Signed, Device: bd.Device, Kind: kind, Entry: e})
						}
					}
				}
			}
		}
	}
	u.records.mu.RUnlock()
	if len(found) == 0 {
		res.NoMatch = true
		d.done(w, r, "/#result", &result{ok: true, data: res}) // the page says so
		return
	}
	logged := map[string]lookupRecord{}
	for i, m := range found {
		rec, ok := logged[m.Submission]
		if !ok {
			var err error
			rec, err = d.recordLookup(r, u, m.Submission, res.Pseudonym, res.Reason)
			if err != nil {
				d.refused(w, r, "/", res, "The lookup could not be recorded in the server's log, so nothing is shown. Try again when the server can be reached.", err)
				return
			}
			logged[m.Submission] = rec
		}
		found[i].Logged = rec
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Submission < found[j].Submission })
	res.Matches = found
	d.cfg.Log.Info("re-identified a pseudonym; the lookup is in the server's log")
	d.ok(w, r, "/#result", res, "The lookup is recorded in the server's log; here is the answer.")
}

// recordLookup seals the reason to the custodians, has the server append
// the lookup to its log, and checks the receipt.
func (d *Desk) recordLookup(r *http.Request, u *unlocked, submission, pseudo, reason string) (lookupRecord, error) {
	d.mu.Lock()
	roster := d.roster
	d.mu.Unlock()
	id := envelope.NewID()
	plain := lookupReason{Format: lookupFormat, ID: id, Submission: submission, Pseudonym: pseudo, Reason: reason, Day: d.cfg.Now().UTC().Format(time.DateOnly)}
	b, _ := json.Marshal(plain)
	var sealed bytes.Buffer
	if err := intake.SealTo(&sealed, roster.Custodians, b); err != nil {
		return lookupRecord{}, err
	}
	hdr := http.Header{}
	hdr.Set("Testimony-Submission", submission)
	ans, err := u.client.Put(r.Context(), "/lookups/"+id, sealed.Bytes(), hdr, http.StatusCreated, http.StatusOK)
	if err != nil {
		return lookupRecord{}, err
	}
	var rc server.LookupReceipt
	if err := json.Unmarshal(ans, &rc); err != nil {
		return lookupRecord{}, errors.New("the server's answer is not a lookup receipt")
	}
	if rc.ID != id || rc.Submission != submission || rc.Log == nil {
		return lookupRecord{}, errors.New("the server's receipt is for another lookup")
	}
	if _, err := rc.Verify(u.logKey); err != nil {
		return lookupRecord{}, err
	}
	rec := lookupRecord{ID: id, Submission: submission, Day: rc.Day, Index: rc.Log.Index}
	if err := os.MkdirAll(d.path("lookups"), 0o700); err != nil {
		return rec, err
	}
	rb, _ := json.MarshalIndent(rc, "", "  ")
	if err := durable.WriteNew(d.path("lookups", id+".receipt"), rb, 0o600); err != nil {
		return rec, err
	}
	lb, _ := json.Marshal(rec)
	return rec, durable.WriteNew(d.path("lookups", id+".json"), lb, 0o600)
}
