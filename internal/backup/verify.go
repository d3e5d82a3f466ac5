package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"testimony/internal/auditlog"
	"testimony/internal/blob"
	"testimony/internal/store"
	"testimony/internal/survey"
	"testimony/keys"
)

// ErrInvalid is wrapped by the error [Verify] returns when it found
// problems with a backup.
var ErrInvalid = errors.New("the backup does not verify")

// maxProblems bounds the problems a report lists one by one.
const maxProblems = 100

// Options are what the caller of [Verify] trusts.
type Options struct {
	// AdminPub is the organisation's admin verifier key, from the
	// admin's own copy. If set, the backup's pinned admin key must be it.
	// Without it, a backup made up whole (its own admin key, roster and
	// log key) verifies.
	AdminPub string
}

// Report is what [Verify] found.
type Report struct {
	Manifest *Manifest
	// Found counts what the backup holds, as Verify counted it.
	Found Counts
	// Roster is the backup's roster, verified against the admin key.
	Roster *keys.Roster
	// Forms lists the published forms the backup holds, each verified
	// against the admin key for the roster's organisation, by ID and
	// version ("household@2026120601").
	Forms []string
	// AdminPub is the admin key the backup pins.
	AdminPub string
	// Problems lists what is wrong, each naming the file, line, record
	// or blob; Omitted counts those past the first maxProblems.
	Problems []string
	Omitted  int
}

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) >= maxProblems {
		r.Omitted++
		return
	}
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Err returns nil if the report found no problem, else an error wrapping
// ErrInvalid that lists them.
func (r *Report) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s):", len(r.Problems)+r.Omitted)
	for _, p := range r.Problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	if r.Omitted > 0 {
		fmt.Fprintf(&b, "\n  and %d more", r.Omitted)
	}
	return fmt.Errorf("%w: %s", ErrInvalid, b.String())
}

// hashingReader hashes and counts what is read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (r *hashingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	return n, err
}

// Verify checks the backup in dir without trusting it: the roster against
// the admin key (the backup's, and opts.AdminPub's if given); the
// checkpoint and the signed statement against the log key the roster
// names; the tree recomputed from the leaves against the checkpoint; every
// submission and lookup against the leaf it points at, and every leaf
// against exactly one of them; every inline body and every blob, present
// in blobs/, against its record's digest and size, and no other file
// there; every published form against the admin key and the roster's
// organisation, as a desk checks it; and meta.jsonl against the digest the statement signs. It reads
// every byte once, holding memory for a few records at a time. It returns
// the report and, if it found any problem, an error wrapping ErrInvalid
// that lists them; other errors mean the backup could not be read at all.
func Verify(ctx context.Context, dir string, opts Options, progress Progress) (*Report, error) {
	rep := &Report{}
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return rep, fmt.Errorf("%s is not a backup: %w", dir, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		rep.problem("%s: %v", ManifestFile, err)
		return rep, rep.Err()
	}
	rep.Manifest = m
	v := &verifier{ctx: ctx, dir: dir, rep: rep, opts: opts, progress: progress, m: m}
	if err := v.run(); err != nil {
		return rep, err
	}
	return rep, rep.Err()
}

type verifier struct {
	ctx      context.Context
	dir      string
	rep      *Report
	opts     Options
	progress Progress
	m        *Manifest

	blobs    *os.Root
	admin    keys.Verifier // the pinned admin key, once checkConfig parsed it
	tree     treeBuilder
	metaInfo FileInfo
	// Where each section starts in meta.jsonl (-1: it has none).
	leafOff, subOff, lookupOff int64
	lookupSubs                 map[string][]string // submission ID → lookups naming it
}

func (v *verifier) run() error {
	bdir := filepath.Join(v.dir, BlobDir)
	if root, err := os.OpenRoot(bdir); err == nil {
		defer root.Close()
		v.blobs = root
	} else {
		v.rep.problem("%s/ is missing: %v", BlobDir, err)
	}
	if err := v.passRecords(); err != nil {
		return err
	}
	if err := v.passLeaves(); err != nil {
		return err
	}
	v.checkBlobDir(bdir)
	v.checkSignatures()
	return nil
}

// passRecords reads meta.jsonl once: every record on its own, the order,
// the tree, the blobs.
func (v *verifier) passRecords() error {
	f, err := os.Open(filepath.Join(v.dir, MetaFile))
	if err != nil {
		v.rep.problem("%s: %v", MetaFile, err)
		return nil
	}
	defer f.Close()
	hr := &hashingReader{r: f, h: sha256.New()}
	rd, err := NewReader(hr)
	if err != nil {
		v.rep.problem("%v", err)
		return nil
	}
	if rd.Format() != v.m.Format {
		v.rep.problem("%s is format %q but %s is %q", ManifestFile, v.m.Format, MetaFile, rd.Format())
	}
	v.leafOff, v.subOff, v.lookupOff = -1, -1, -1
	v.lookupSubs = make(map[string][]string)
	tokens := make(map[string]bool) // few: one per person or laptop
	found := &v.rep.Found
	section, lastSeq := -1, int64(0)
	var lastKey string
	var blobsDone, blobBytes int64
	for {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		off := rd.Offset()
		rec, ok, err := rd.Next()
		var le *LineError
		if errors.As(err, &le) {
			v.rep.problem("%v", err)
			continue
		}
		if err != nil {
			v.rep.problem("%v", err)
			break
		}
		if !ok {
			break
		}
		at := fmt.Sprintf("%s line %d", MetaFile, rd.Line())
		kind := kindOf(rec)
		if kind < section || (kind == 0 && section == 0) {
			v.rep.problem("%s: %s record out of order", at, kindNames[kind])
		}
		if section == -1 && kind != 0 {
			v.rep.problem("%s: the first record is not the config record", at)
		}
		if kind != section {
			section, lastSeq, lastKey = kind, 0, ""
			switch kind {
			case 3:
				v.leafOff = off
			case 4:
				v.subOff = off
			case 6:
				v.lookupOff = off
			}
		}
		seq := func(what string, s int64) {
			if s <= lastSeq {
				v.rep.problem("%s: %s Seq %d is not above %d", at, what, s, lastSeq)
			}
			lastSeq = s
		}
		key := func(what, k string) {
			if k <= lastKey {
				v.rep.problem("%s: %s out of order or repeated", at, what)
			}
			lastKey = k
		}
		switch {
		case rec.Config != nil:
			v.checkConfig(at, rec.Config)
		case rec.Token != nil:
			t := rec.Token.Token
			found.Tokens++
			key("token "+t.ID, t.ID)
			if !isHex(t.ID, 16) || !t.Role.Valid() || !isDay(t.Created) {
				v.rep.problem("%s: token %q has an invalid ID, role or day", at, t.ID)
			}
			tokens[t.ID] = true
		case rec.Enrollment != nil:
			e := rec.Enrollment
			found.Enrollments++
			key("enrollment code", string(e.CodeHash[:]))
			if !e.Enrollment.Role.Valid() {
				v.rep.problem("%s: enrollment code with invalid role %q", at, e.Enrollment.Role)
			}
			if e.TokenID != "" && !tokens[e.TokenID] {
				v.rep.problem("%s: enrollment code made token %q, which the backup does not have", at, e.TokenID)
			}
		case rec.Leaf != nil:
			if rec.Leaf.Index != found.Leaves {
				v.rep.problem("%s: leaf %d where leaf %d comes next: a leaf is missing or out of order", at, rec.Leaf.Index, found.Leaves)
			}
			if _, err := auditlog.ParseLeaf(rec.Leaf.Data); err != nil {
				v.rep.problem("%s: leaf %d: %v", at, rec.Leaf.Index, err)
			}
			v.tree.add(rec.Leaf.Data)
			found.Leaves++
		case rec.Submission != nil:
			s := rec.Submission
			found.Submissions++
			seq("submission", s.Seq)
			if !isHex(s.ID, 32) || !isDay(s.Day) || s.Size < 0 || s.ReidSize < 0 {
				v.rep.problem("%s: submission %q has an invalid ID, day or size", at, s.ID)
			}
			if s.Body != nil {
				v.checkInline(at, "submission "+s.ID, s.Body, s.Digest, s.Size)
			}
		case rec.Annotation != nil:
			a := rec.Annotation
			found.Annotations++
			seq("annotation", a.Seq)
			if !isHex(a.ID, 32) || !isDay(a.Day) || a.Size < 0 {
				v.rep.problem("%s: annotation %q has an invalid ID, day or size", at, a.ID)
			}
			if a.Body != nil {
				v.checkInline(at, "annotation "+a.ID, a.Body, a.Digest, a.Size)
			}
		case rec.Lookup != nil:
			l := rec.Lookup
			found.Lookups++
			seq("lookup", l.Seq)
			if !isHex(l.ID, 32) || !isHex(l.Submission, 32) || !isHex(l.Custodian, 16) || !isDay(l.Day) {
				v.rep.problem("%s: lookup %q has an invalid ID, submission, custodian or day", at, l.ID)
			}
			v.checkInline(at, "lookup "+l.ID, l.Body, l.Digest, l.Size)
			v.lookupSubs[l.Submission] = append(v.lookupSubs[l.Submission], l.ID)
		case rec.Form != nil:
			f := rec.Form
			found.Forms++
			key("form "+f.ID, string(binary.BigEndian.AppendUint64(append([]byte(f.ID), 0), f.Version)))
			v.checkForm(at, f)
		}
		for _, ref := range blobsOf(rec) {
			v.checkBlob(at, ref)
			found.Blobs++
			found.BlobBytes += ref.size
			blobsDone++
			blobBytes += ref.size
			v.progress.report("verify", blobsDone, v.m.Counts.Blobs, blobBytes)
		}
	}
	if section == -1 {
		v.rep.problem("%s has no records", MetaFile)
	}
	// Read to the end, so that the digest covers the whole file.
	if _, err := io.Copy(io.Discard, hr); err != nil {
		return err
	}
	v.metaInfo = FileInfo{SHA256: fmt.Sprintf("%x", hr.h.Sum(nil)), Size: hr.n}
	return nil
}

func (v *verifier) checkConfig(at string, c *store.ConfigRecord) {
	v.rep.AdminPub = c.AdminPub
	admin, err := keys.ParseVerifier(c.AdminPub)
	if err != nil {
		v.rep.problem("%s: the pinned admin key: %v", at, err)
		return
	}
	if v.opts.AdminPub != "" {
		want, err := keys.ParseVerifier(v.opts.AdminPub)
		if err != nil {
			v.rep.problem("the admin key given: %v", err)
			return
		}
		if want.String() != admin.String() {
			v.rep.problem("%s: the backup pins admin key %q, not the one given (%q): it is not this organisation's backup, or it was forged", at, admin.Note().Name(), want.Note().Name())
			return
		}
	}
	r, err := keys.VerifyRoster(c.Roster, admin, nil)
	if err != nil {
		v.rep.problem("%s: the roster: %v", at, err)
		return
	}
	v.admin = admin
	if r.Version != c.RosterVersion {
		v.rep.problem("%s: the roster is version %d, the record says %d", at, r.Version, c.RosterVersion)
	}
	if r.Log.IsZero() {
		v.rep.problem("%s: the roster names no log key, so nothing can check the backup's checkpoint", at)
		return
	}
	v.rep.Roster = r
}

// checkForm checks a published form as a desk would: signed by the pinned
// admin key for the roster's organisation, and the form its record names.
func (v *verifier) checkForm(at string, f *store.Form) {
	name := fmt.Sprintf("form %s version %d", f.ID, f.Version)
	if err := store.CheckForm(*f); err != nil {
		v.rep.problem("%s: %s: %v", at, name, err)
		return
	}
	if v.rep.Roster == nil {
		v.rep.problem("%s: %s: without a verified roster, the form cannot be checked", at, name)
		return
	}
	p, err := survey.Verify(f.Body, v.admin, v.rep.Roster.Org)
	if err != nil {
		v.rep.problem("%s: %s: %v", at, name, err)
		return
	}
	if p.Form.ID != f.ID || p.Form.Version != strconv.FormatUint(f.Version, 10) || p.Digest != hexOf(f.Digest) {
		v.rep.problem("%s: %s: the signed form is %s version %s with digest %s, not what its record says", at, name, p.Form.ID, p.Form.Version, p.Digest)
		return
	}
	v.rep.Forms = append(v.rep.Forms, f.ID+"@"+p.Form.Version)
}

func (v *verifier) checkInline(at, what string, body []byte, digest [32]byte, size int64) {
	if int64(len(body)) != size || sha256.Sum256(body) != digest {
		v.rep.problem("%s: %s: the inline body does not match its digest and size", at, what)
	}
}

func (v *verifier) checkBlob(at string, ref blobRef) {
	name := BlobDir + "/" + ref.key
	if !blob.ValidKey(ref.key) {
		v.rep.problem("%s: blob key %q is not a valid key", at, ref.key)
		return
	}
	if v.blobs == nil {
		return
	}
	f, err := v.blobs.Open(ref.key)
	if err != nil {
		v.rep.problem("%s: missing (%s refers to it)", name, at)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		v.rep.problem("%s: not a regular file", name)
		return
	}
	if fi.Size() != ref.size {
		v.rep.problem("%s: %d bytes; its record (%s) says %d", name, fi.Size(), at, ref.size)
		return
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		v.rep.problem("%s: %v", name, err)
		return
	}
	if [32]byte(h.Sum(nil)) != ref.digest {
		v.rep.problem("%s: its SHA-256 is not the one its record (%s) gives: the file was changed or damaged", name, at)
	}
}

// checkBlobDir checks that blobs/ holds nothing but the blobs the records
// refer to: each was found, so it is enough that the counts agree.
func (v *verifier) checkBlobDir(bdir string) {
	d, err := os.Open(bdir)
	if err != nil {
		return
	}
	defer d.Close()
	var n int64
	for {
		names, err := d.ReadDir(1024)
		n += int64(len(names))
		if err != nil {
			break
		}
	}
	if n != v.rep.Found.Blobs {
		v.rep.problem("%s/ holds %d files, but the records refer to %d blobs", BlobDir, n, v.rep.Found.Blobs)
	}
}

// section reads one section of meta.jsonl from its offset, one record
// ahead.
type section struct {
	rd   *Reader
	kind int
	next *store.Record
	done bool
}

func openSection(f *os.File, off int64, kind int) (*section, error) {
	s := &section{kind: kind, done: off < 0}
	if s.done {
		return s, nil
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	s.rd = &Reader{br: newBufReader(f)}
	return s, nil
}

// peek returns the section's next record, or nil at its end.
func (s *section) peek() *store.Record {
	if s.next != nil || s.done {
		return s.next
	}
	for {
		rec, ok, err := s.rd.Next()
		if err != nil {
			var le *LineError
			if errors.As(err, &le) {
				continue // reported by the first pass
			}
			s.done = true
			return nil
		}
		if !ok || kindOf(rec) != s.kind {
			s.done = true
			return nil
		}
		s.next = &rec
		return s.next
	}
}

func (s *section) take() { s.next = nil }

// passLeaves walks the leaves and, beside them, the submissions and the
// lookups, each in its own order: since every submission's leaf follows
// its Seq, and every lookup's its own, each leaf must be the next
// submission's or the next lookup's. This checks every row against its
// leaf and every leaf against exactly one row in constant memory.
func (v *verifier) passLeaves() error {
	if v.leafOff < 0 && v.subOff < 0 && v.lookupOff < 0 {
		return nil
	}
	var secs [3]*section
	for i, s := range []struct {
		off  int64
		kind int
	}{{v.leafOff, 3}, {v.subOff, 4}, {v.lookupOff, 6}} {
		f, err := os.Open(filepath.Join(v.dir, MetaFile))
		if err != nil {
			return err
		}
		defer f.Close()
		if secs[i], err = openSection(f, s.off, s.kind); err != nil {
			return err
		}
	}
	leaves, subs, looks := secs[0], secs[1], secs[2]
	for idx := int64(0); ; idx++ {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		lr := leaves.peek()
		if lr == nil {
			break
		}
		leaves.take()
		data := lr.Leaf.Data
		parsed, err := auditlog.ParseLeaf(data)
		if err != nil {
			continue // reported by the first pass
		}
		switch parsed.(type) {
		case *auditlog.Submission:
			v.matchRow(subs, "submission", lr.Leaf.Index, data, func(r *store.Record) (string, int64, []byte) {
				s := r.Submission
				delete(v.lookupSubs, s.ID)
				l := auditlog.Submission{ID: s.ID, SHA256: s.Digest, Device: s.Device, Day: s.Day}
				if s.HasReid {
					d := s.ReidDigest
					l.Reid = &d
				}
				b, _ := l.MarshalLeaf()
				return s.ID, s.Leaf, b
			})
		case *auditlog.Lookup:
			v.matchRow(looks, "lookup", lr.Leaf.Index, data, func(r *store.Record) (string, int64, []byte) {
				l := r.Lookup
				b, _ := auditlog.Lookup{ID: l.ID, SHA256: l.Digest, Submission: l.Submission, Custodian: l.Custodian, Day: l.Day}.MarshalLeaf()
				return l.ID, l.Leaf, b
			})
		}
	}
	for _, s := range []*section{subs, looks} {
		for r := s.peek(); r != nil; r = s.peek() {
			s.take()
			id, leaf := rowOf(r)
			v.rep.problem("%s %s points at leaf %d, which the backup's log does not have", kindNames[s.kind], id, leaf)
		}
	}
	for sub, ids := range v.lookupSubs {
		v.rep.problem("lookups %s name submission %s, which the backup does not have", strings.Join(ids, ", "), sub)
	}
	return nil
}

func rowOf(r *store.Record) (string, int64) {
	if r.Submission != nil {
		return r.Submission.ID, r.Submission.Leaf
	}
	return r.Lookup.ID, r.Lookup.Leaf
}

// matchRow checks that the next row of s records the leaf at index.
func (v *verifier) matchRow(s *section, what string, index int64, leaf []byte, row func(*store.Record) (id string, leafIndex int64, leaf []byte)) {
	for {
		r := s.peek()
		if r == nil {
			v.rep.problem("leaf %d records a %s that the backup does not have", index, what)
			return
		}
		id, at, want := row(r)
		switch {
		case at > index:
			// The row belongs to a later leaf: this leaf has none.
			v.rep.problem("leaf %d records a %s that the backup does not have (the next one, %s, is at leaf %d)", index, what, id, at)
			return
		case at < index:
			s.take()
			v.rep.problem("%s %s points at leaf %d, which records something else or is out of Seq order", what, id, at)
			continue
		}
		s.take()
		if !bytes.Equal(want, leaf) {
			v.rep.problem("%s %s is not what its leaf %d records: the record was changed", what, id, index)
		}
		return
	}
}

// checkSignatures checks the checkpoint and the statement with the
// roster's log key, and both against what the records give.
func (v *verifier) checkSignatures() {
	m, rep := v.m, v.rep
	found := rep.Found
	if m.Counts != found {
		rep.problem("%s: the counts %+v are not what the backup holds, %+v", ManifestFile, m.Counts, found)
	}
	root := v.tree.root()
	if m.Log.Size != found.Leaves || m.Log.Root != rootString(root) {
		rep.problem("%s: the log is given as size %d, root %s; its leaves make size %d, root %s", ManifestFile, m.Log.Size, m.Log.Root, found.Leaves, rootString(root))
	}
	if rep.Roster == nil {
		rep.problem("without a verified roster, neither the checkpoint nor the statement can be checked")
		return
	}
	logKey := rep.Roster.Log.Note()
	cp, err := auditlog.Open([]byte(m.Log.Checkpoint), logKey)
	if err != nil {
		rep.problem("%s: the checkpoint: %v", ManifestFile, err)
	} else if cp.Size != found.Leaves || cp.Root != root {
		rep.problem("%s: the checkpoint signed by the log key is for size %d, root %s; the backup's leaves make size %d, root %s", ManifestFile, cp.Size, rootString(cp.Root), found.Leaves, rootString(root))
	}
	n, err := note.Open([]byte(m.Statement), note.VerifierList(logKey))
	if err != nil {
		rep.problem("%s: the statement is not signed by the roster's log key %q: %v", ManifestFile, logKey.Name(), err)
		return
	}
	if want := statementText(logKey.Name(), found.Leaves, root, v.metaInfo); n.Text != want {
		rep.problem("%s: the signed statement does not describe this backup (%s changed, or the log differs):\n    signed: %q\n    found:  %q", ManifestFile, MetaFile, n.Text, want)
	}
}

// The kinds of record, in a snapshot's order.
var kindNames = [...]string{"config", "token", "enrollment", "leaf", "submission", "annotation", "lookup", "form"}

func kindOf(r store.Record) int {
	switch {
	case r.Config != nil:
		return 0
	case r.Token != nil:
		return 1
	case r.Enrollment != nil:
		return 2
	case r.Leaf != nil:
		return 3
	case r.Submission != nil:
		return 4
	case r.Annotation != nil:
		return 5
	case r.Lookup != nil:
		return 6
	}
	return 7
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func isDay(s string) bool {
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Format(time.DateOnly) == s
}
