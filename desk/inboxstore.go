package desk

// The reviewer's encrypted inbox store.
//
// A reviewer's inbox holds every sealed file pulled (inbox/<id>.age). Opening
// all of them at every unlock costs time and memory in proportion to the
// archive, so each file is opened and verified once, when it is pulled (or
// found on disk the first time), and what the inbox list, the search and the
// survey statistics need is kept in inbox/index.db, sealed:
//
//   - inbox/index.key is an age file encrypted to the reviewer's own
//     recipient. Its plaintext is a label, a random 32-byte store key and
//     an ed25519 signature over both by the reviewer's signing key (derived
//     from the identity, see keys.Identity.ReviewerSigner). Anyone can
//     encrypt to a public recipient; only the identity's holder can sign, so
//     a key file someone else wrote is refused (and the store rebuilt), and
//     with it any row sealed under a key they chose.
//   - inbox/index.db is a SQLite database. Each testimony is one row: its
//     submission ID and the sealed file's size and modification time in
//     clear (the file name and the file itself show them anyway), and three
//     sealed columns: meta (the manifest's form, day, language, subject
//     pseudonym, device, format and re-identification digest; the outcome
//     of opening it; the log and re-identification checks), search (the
//     folded text the search runs over) and answers (answers.json as
//     sealed, for the survey statistics).
//   - Each annotation is one row too, sealed the same way, with what opening
//     it gave and the roster it was checked with (see inboxstore_notes.go).
//   - A sealed column is XChaCha20-Poly1305 under the store key, with a
//     random 24-byte nonce, and the column name and submission ID as
//     associated data, so that a value moved to another row or column does
//     not open. Plaintexts are padded to a PADMÉ length (as sealed files
//     are), so a value's length says little about the text.
//
// Unlocking costs one age decryption of index.key and opening the database,
// then one pass over the meta column (a few hundred bytes a testimony) for
// the list. The search text is read into memory in the background after
// unlock; a search made before it is ready waits for it. A testimony's
// full content is opened from its sealed file, with full authentication,
// when its page is shown; attachments are decrypted to temporary files
// sealed under a key that exists only in memory while the desk is unlocked,
// and served from there (see attachmentCache).
//
// What a seized laptop shows: the submission IDs, the sealed files' sizes and
// times, how many testimonies there are, and the padded lengths of the
// sealed values — no text, no day, no form, no pseudonym, no answer. There
// is no index of words: a keyed index (an HMAC of each word) would make
// search faster without holding the text in memory, but it shows which
// testimonies share a word and how often each word occurs, which a state
// adversary with public knowledge of a community's vocabulary can turn into
// content. The search text is therefore decrypted into the desk's memory
// while it is unlocked, as the testimony itself used to be; the desk's
// memory is not protected against someone who controls the unlocked
// machine (docs/security.md).
//
// The store is a cache of the sealed files: a row whose file changed (size
// or time) is opened again; a missing, unreadable or foreign index.key, or a
// database that does not open with the key, is removed and rebuilt from the
// files in the background. Badges in the list are those of the opening at
// import; the testimony page opens the file again and shows what it finds
// with the current roster.

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
	_ "modernc.org/sqlite"

	"testimony/internal/durable"
	"testimony/internal/envelope"
	"testimony/keys"
)

const (
	storeDBName  = "index.db"
	storeKeyName = "index.key"
	// storeKeyLabel starts the plaintext of index.key.
	storeKeyLabel = "testimony desk inbox store key v1\n"
	// storeFormat is the schema version kept in the database.
	storeFormat = "1"
)

// errStoreKey is returned when index.key cannot be used with this identity.
var errStoreKey = errors.New("the inbox store key cannot be used")

// inboxStore is the reviewer's encrypted store. It is safe for concurrent
// use (database/sql serializes what SQLite needs serialized).
type inboxStore struct {
	db   *sql.DB
	aead cipher.AEAD
}

// openInboxStore opens (or creates) the store in dir for id. A key file or
// database that cannot be used is removed and an empty store created:
// rebuilt reports that.
func openInboxStore(dir string, id *keys.Identity) (s *inboxStore, rebuilt bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("failed to create %s: %w", dir, err)
	}
	key, err := loadStoreKey(filepath.Join(dir, storeKeyName), id)
	if err == nil {
		s, err = openStoreDB(filepath.Join(dir, storeDBName), key)
	}
	clear(key)
	if err == nil {
		return s, false, nil
	}
	// Start again from the sealed files.
	for _, name := range []string{storeKeyName, storeDBName, storeDBName + "-wal", storeDBName + "-shm"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, false, fmt.Errorf("failed to remove the old inbox store: %w", err)
		}
	}
	key, err = newStoreKey(filepath.Join(dir, storeKeyName), id)
	if err != nil {
		return nil, false, err
	}
	defer clear(key)
	s, err = openStoreDB(filepath.Join(dir, storeDBName), key)
	if err != nil {
		return nil, false, err
	}
	return s, true, nil
}

// storeKeyMessage is what the reviewer's signing key signs in index.key.
func storeKeyMessage(key []byte) []byte {
	return append([]byte(storeKeyLabel), key...)
}

// newStoreKey draws a store key and writes it to path, sealed to id.
func newStoreKey(path string, id *keys.Identity) ([]byte, error) {
	signer, err := id.ReviewerSigner()
	if err != nil {
		return nil, err
	}
	key := make([]byte, chacha20poly1305.KeySize)
	rand.Read(key)
	msg := storeKeyMessage(key)
	sig, err := signer.Sign(msg)
	if err != nil {
		return nil, fmt.Errorf("failed to sign the inbox store key: %w", err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, id.Recipient().Age())
	if err != nil {
		return nil, fmt.Errorf("failed to seal the inbox store key: %w", err)
	}
	w.Write(msg)
	w.Write(sig)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("failed to seal the inbox store key: %w", err)
	}
	clear(msg)
	if err := durable.WriteNew(path, buf.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("failed to keep the inbox store key: %w", err)
	}
	return key, nil
}

// loadStoreKey reads the store key from path: an age file for id holding
// the label, the key and the reviewer signing key's signature of both.
func loadStoreKey(path string, id *keys.Identity) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errStoreKey, err)
	}
	r, err := age.Decrypt(bytes.NewReader(b), id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errStoreKey, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, 1024))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errStoreKey, err)
	}
	defer clear(plain)
	return parseStoreKey(plain, id)
}

// parseStoreKey checks the plaintext of index.key and returns its key.
func parseStoreKey(plain []byte, id *keys.Identity) ([]byte, error) {
	n := len(storeKeyLabel) + chacha20poly1305.KeySize
	if len(plain) <= n || !bytes.HasPrefix(plain, []byte(storeKeyLabel)) {
		return nil, fmt.Errorf("%w: not an inbox store key", errStoreKey)
	}
	signer, err := id.ReviewerSigner()
	if err != nil {
		return nil, err
	}
	v, err := keys.ParseVerifier(signer.Verifier())
	if err != nil {
		return nil, err
	}
	if !v.Note().Verify(plain[:n], plain[n:]) {
		return nil, fmt.Errorf("%w: not signed by this reviewer", errStoreKey)
	}
	return bytes.Clone(plain[len(storeKeyLabel):n]), nil
}

func openStoreDB(path string, key []byte) (*inboxStore, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	q := url.Values{"_pragma": {"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "temp_store(MEMORY)"}}
	db, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("failed to open the inbox store: %w", err)
	}
	s := &inboxStore{db: db, aead: aead}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// init creates the schema, or checks that the database is one of this
// format sealed under this key.
func (s *inboxStore) init() error {
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `
		CREATE TABLE IF NOT EXISTS store (k TEXT PRIMARY KEY, v BLOB NOT NULL);
		CREATE TABLE IF NOT EXISTS testimony (
			id      TEXT PRIMARY KEY,
			size    INTEGER NOT NULL,
			mtime   INTEGER NOT NULL,
			meta    BLOB NOT NULL,
			search  BLOB NOT NULL,
			answers BLOB
		);
		CREATE TABLE IF NOT EXISTS annotation (
			id    TEXT PRIMARY KEY,
			size  INTEGER NOT NULL,
			mtime INTEGER NOT NULL,
			view  BLOB NOT NULL
		);`); err != nil {
		return fmt.Errorf("failed to open the inbox store: %w", err)
	}
	var check []byte
	err := s.db.QueryRowContext(ctx, `SELECT v FROM store WHERE k = 'check'`).Scan(&check)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = s.db.ExecContext(ctx, `INSERT INTO store (k, v) VALUES ('check', ?)`, s.seal("check", "", []byte(storeFormat)))
		return err
	}
	if err != nil {
		return fmt.Errorf("failed to open the inbox store: %w", err)
	}
	if got, err := s.open("check", "", check); err != nil || string(got) != storeFormat {
		return errors.New("the inbox store was sealed under another key or format")
	}
	return nil
}

// close closes the database.
func (s *inboxStore) close() error { return s.db.Close() }

// seal seals plain for the column col of the row id.
func (s *inboxStore) seal(col, id string, plain []byte) []byte {
	n := envelope.Padme(uint64(len(plain) + 4))
	buf := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+int(n)+chacha20poly1305.Overhead)
	rand.Read(buf)
	padded := make([]byte, n)
	binary.BigEndian.PutUint32(padded, uint32(len(plain)))
	copy(padded[4:], plain)
	out := s.aead.Seal(buf, buf, padded, storeAD(col, id))
	clear(padded)
	return out
}

// open opens a value sealed by seal for the same column and row.
func (s *inboxStore) open(col, id string, sealed []byte) ([]byte, error) {
	plain, _, err := s.openInto(nil, col, id, sealed)
	return plain, err
}

// openInto is open, decrypting into buf's storage when it is large enough
// (reading 100,000 rows then makes no garbage per row). full is the
// storage used, to pass as buf next time.
func (s *inboxStore) openInto(buf []byte, col, id string, sealed []byte) (plain, full []byte, err error) {
	if len(sealed) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead+4 {
		return nil, buf, errors.New("a sealed value in the inbox store is too short")
	}
	nonce, ct := sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:]
	full, err = s.aead.Open(buf[:0], nonce, ct, storeAD(col, id))
	if err != nil {
		return nil, buf, errors.New("a sealed value in the inbox store does not authenticate")
	}
	n := binary.BigEndian.Uint32(full)
	if uint64(n) > uint64(len(full)-4) {
		return nil, full, errors.New("a sealed value in the inbox store has a bad length")
	}
	return full[4 : 4+n], full, nil
}

func storeAD(col, id string) []byte {
	return []byte("testimony desk inbox v1\x00" + col + "\x00" + id)
}

// storedItem is a testimony as import found it.
type storedItem struct {
	t       *testimony // ID, M (the list's fields only), checks
	size    int64
	mtime   int64
	search  string // folded
	answers []byte // answers.json, or nil
}

// put stores items, replacing rows of the same IDs, in one transaction.
func (s *inboxStore) put(items []storedItem) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("failed to store the opened testimony: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT OR REPLACE INTO testimony (id, size, mtime, meta, search, answers) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("failed to store the opened testimony: %w", err)
	}
	defer st.Close()
	for _, it := range items {
		id := it.t.ID
		var answers []byte
		if it.answers != nil {
			answers = s.seal("answers", id, it.answers)
		}
		if _, err := st.Exec(id, it.size, it.mtime, s.seal("meta", id, encodeMeta(it.t)), s.seal("search", id, []byte(it.search)), answers); err != nil {
			return fmt.Errorf("failed to store the opened testimony: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("failed to store the opened testimony: %w", err)
	}
	return nil
}

// fileStamp is what the store recorded of a sealed file.
type fileStamp struct{ size, mtime int64 }

// stamps returns the size and time of every file in the store, by ID.
func (s *inboxStore) stamps() (map[string]fileStamp, error) {
	rows, err := s.db.Query(`SELECT id, size, mtime FROM testimony`)
	if err != nil {
		return nil, fmt.Errorf("failed to read the inbox store: %w", err)
	}
	defer rows.Close()
	out := map[string]fileStamp{}
	for rows.Next() {
		var id string
		var f fileStamp
		if err := rows.Scan(&id, &f.size, &f.mtime); err != nil {
			return nil, fmt.Errorf("failed to read the inbox store: %w", err)
		}
		out[id] = f
	}
	return out, rows.Err()
}

// list calls fn with every testimony's list entry. A row that does not
// open is returned as a testimony with Err set.
func (s *inboxStore) list(fn func(*testimony)) error {
	rows, err := s.db.Query(`SELECT id, meta FROM testimony`)
	if err != nil {
		return fmt.Errorf("failed to read the inbox store: %w", err)
	}
	defer rows.Close()
	var id string
	var sealed sql.RawBytes
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(&id, &sealed); err != nil {
			return fmt.Errorf("failed to read the inbox store: %w", err)
		}
		plain, full, err := s.openInto(buf, "meta", id, sealed)
		buf = full
		var t *testimony
		if err == nil {
			t, err = decodeMeta(id, plain)
		}
		if err != nil {
			t = &testimony{ID: id, Err: err.Error()}
		}
		fn(t)
	}
	return rows.Err()
}

// searchTexts calls fn with every testimony's folded search text.
func (s *inboxStore) searchTexts(ctx context.Context, fn func(id, text string) bool) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, search FROM testimony`)
	if err != nil {
		return fmt.Errorf("failed to read the inbox store: %w", err)
	}
	defer rows.Close()
	var id string
	var sealed sql.RawBytes
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(&id, &sealed); err != nil {
			return fmt.Errorf("failed to read the inbox store: %w", err)
		}
		plain, full, err := s.openInto(buf, "search", id, sealed)
		buf = full
		if err != nil {
			continue // the list shows the row's problem
		}
		if !fn(id, string(plain)) {
			return nil
		}
	}
	return rows.Err()
}

// answers returns answers.json of the testimonies ids, by ID; those
// without one, or whose value does not open, are left out.
func (s *inboxStore) answers(ids []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	st, err := s.db.Prepare(`SELECT answers FROM testimony WHERE id = ?`)
	if err != nil {
		return nil, fmt.Errorf("failed to read the inbox store: %w", err)
	}
	defer st.Close()
	for _, id := range ids {
		var sealed []byte
		if err := st.QueryRow(id).Scan(&sealed); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("failed to read the inbox store: %w", err)
		}
		if sealed == nil {
			continue
		}
		if plain, err := s.open("answers", id, sealed); err == nil {
			out[id] = plain
		}
	}
	return out, nil
}

// metaVersion starts an encoded meta value.
const metaVersion = 1

const (
	metaOpened = 1 << iota // the file opened and verified: M is set
	metaLogged
)

// encodeMeta encodes the list fields of t: a version byte, a flags byte and
// length-prefixed (uvarint) strings in a fixed order. It is faster to read
// back than JSON, which matters at 100,000 testimonies per unlock.
func encodeMeta(t *testimony) []byte {
	var flags byte
	var m envelope.Manifest
	if t.M != nil {
		flags |= metaOpened
		m = *t.M
	}
	if t.Logged {
		flags |= metaLogged
	}
	b := []byte{metaVersion, flags}
	for _, s := range []string{m.Format, m.Form, m.Day, m.Language, m.Subject, m.Device, m.Reid, t.Err, t.CopyOf, t.ReidProblem} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// decodeMeta decodes what encodeMeta encoded for the testimony id.
func decodeMeta(id string, b []byte) (*testimony, error) {
	bad := errors.New("a list entry in the inbox store is malformed")
	if len(b) < 2 || b[0] != metaVersion {
		return nil, bad
	}
	flags := b[1]
	// One string for all fields: one allocation per testimony, not ten.
	all := string(b[2:])
	b = b[2:]
	var f [10]string
	at := 0
	for i := range f {
		n, k := binary.Uvarint(b[at:])
		if k <= 0 || k != len(binary.AppendUvarint(nil, n)) || n > uint64(len(b)-at-k) {
			return nil, bad
		}
		at += k
		f[i] = all[at : at+int(n)]
		at += int(n)
	}
	if at != len(b) || flags&^(metaOpened|metaLogged) != 0 {
		return nil, bad
	}
	t := &testimony{ID: id, Logged: flags&metaLogged != 0, Err: f[7], CopyOf: f[8], ReidProblem: f[9]}
	if flags&metaOpened != 0 {
		t.M = &envelope.Manifest{ID: id, Format: f[0], Form: f[1], Day: f[2], Language: f[3], Subject: f[4], Device: f[5], Reid: f[6]}
	} else if t.Err == "" || f[0]+f[1]+f[2]+f[3]+f[4]+f[5]+f[6] != "" {
		return nil, bad // a file that did not open has an error and no manifest
	}
	return t, nil
}

// searchText is what the search runs over for a testimony: its note, its
// answers, its subject's pseudonym and its device, folded.
func searchText(note string, answers []answer, m *envelope.Manifest) string {
	var all strings.Builder
	all.WriteString(note)
	for _, a := range answers {
		all.WriteString("\n" + a.Value)
	}
	all.WriteString("\n" + m.Subject + "\n" + m.Device)
	return fold(all.String())
}
