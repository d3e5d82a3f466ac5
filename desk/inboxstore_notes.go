package desk

import (
	"encoding/json"
	"fmt"
	"strconv"

	"testimony/keys"
)

// Annotations in the inbox store.
//
// Opening an annotation costs an age decryption (a post-quantum key
// decapsulation) and a signature check; an archive with tens of thousands of
// annotations would pay that at every unlock. The store keeps, per
// annotation file, what opening it gave — the submission it belongs to and
// its view (text, tags, day, author, or why it was refused) — sealed like
// the testimonies' rows, with the file's size and time, and the roster it
// was checked with (organisation and version). A row is used only while all
// three are the same; a new roster (a reviewer removed, say) or a changed
// file opens the annotation again.

// storedNote is an annotation as the store keeps it.
type storedNote struct {
	Submission string         `json:"submission"`
	Roster     string         `json:"roster"`
	View       annotationView `json:"view"`
	size       int64
	mtime      int64
}

// rosterStamp names the roster an annotation was checked with.
func rosterStamp(r *keys.Roster) string {
	if r == nil {
		return ""
	}
	return r.Org + "\x00" + strconv.FormatUint(r.Version, 10)
}

// notes returns the annotations the store holds, by annotation ID; a row
// that does not open is left out (the annotation is opened again).
func (s *inboxStore) notes() (map[string]*storedNote, error) {
	rows, err := s.db.Query(`SELECT id, size, mtime, view FROM annotation`)
	if err != nil {
		return nil, fmt.Errorf("failed to read the inbox store: %w", err)
	}
	defer rows.Close()
	out := map[string]*storedNote{}
	for rows.Next() {
		var id string
		var size, mtime int64
		var sealed []byte
		if err := rows.Scan(&id, &size, &mtime, &sealed); err != nil {
			return nil, fmt.Errorf("failed to read the inbox store: %w", err)
		}
		plain, err := s.open("annotation", id, sealed)
		if err != nil {
			continue
		}
		var n storedNote
		if json.Unmarshal(plain, &n) != nil || n.View.ID != id {
			continue
		}
		n.size, n.mtime = size, mtime
		out[id] = &n
	}
	return out, rows.Err()
}

// putNotes stores annotations, by ID, in one transaction.
func (s *inboxStore) putNotes(notes map[string]*storedNote) error {
	if len(notes) == 0 {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("failed to store the annotations: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT OR REPLACE INTO annotation (id, size, mtime, view) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("failed to store the annotations: %w", err)
	}
	defer st.Close()
	for id, n := range notes {
		b, err := json.Marshal(n)
		if err != nil {
			return err
		}
		if _, err := st.Exec(id, n.size, n.mtime, s.seal("annotation", id, b)); err != nil {
			return fmt.Errorf("failed to store the annotations: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("failed to store the annotations: %w", err)
	}
	return nil
}
