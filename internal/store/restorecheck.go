package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"testimony/internal/auditlog"
)

// RestoreCheck checks a snapshot's records on their way into Restore,
// everything that needs no stored row: one field set per record,
// Snapshot's order of sections, keys ascending and Seqs rising within a
// section, leaves numbered from 0 without a gap and parsing as leaves,
// every submission's and lookup's leaf one of those, after the previous
// row's, and each leaf recorded by exactly one row (Done), and the Check*
// rules for each row. Every implementation's Restore calls Record for each
// record before it writes it, and Done after the last; what needs stored
// rows (that a leaf records its row, that a lookup's submission and a used
// code's token exist) each checks itself. The zero value is ready.
type RestoreCheck struct {
	section  int
	lastKey  []byte
	lastSeq  int64
	lastLeaf int64 // the previous row's leaf in this section
	leaves   int64 // leaves seen
	rowLeafs int64 // submissions and lookups seen: each has a leaf
}

// The sections of a snapshot, in order.
const (
	secNone = iota
	secConfig
	secToken
	secEnrollment
	secLeaf
	secSubmission
	secAnnotation
	secLookup
	secForm
)

var sectionNames = [...]string{"", "config", "token", "enrollment", "leaf", "submission", "annotation", "lookup", "form"}

// Leaves returns the number of leaves seen so far.
func (c *RestoreCheck) Leaves() int64 { return c.leaves }

// Record checks rec after the records before it.
func (c *RestoreCheck) Record(rec Record) error {
	set := 0
	for _, p := range []bool{rec.Config != nil, rec.Token != nil, rec.Enrollment != nil, rec.Leaf != nil, rec.Submission != nil, rec.Annotation != nil, rec.Lookup != nil, rec.Form != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("a record has %d fields set, not exactly one", set)
	}
	switch {
	case rec.Config != nil:
		if err := c.enter(secConfig); err != nil {
			return err
		}
		if rec.Config.AdminPub == "" {
			return errors.New("the config record has no admin key")
		}
	case rec.Token != nil:
		t := rec.Token.Token
		if err := c.enter(secToken); err != nil {
			return err
		}
		if err := CheckToken(t); err != nil {
			return err
		}
		if !t.Role.Valid() {
			return fmt.Errorf("token %s: invalid role %q", t.ID, t.Role)
		}
		return c.ascending("token", []byte(t.ID))
	case rec.Enrollment != nil:
		e := rec.Enrollment
		if err := c.enter(secEnrollment); err != nil {
			return err
		}
		if !e.Enrollment.Role.Valid() {
			return fmt.Errorf("enrollment code %x: invalid role %q", e.CodeHash[:4], e.Enrollment.Role)
		}
		if e.TokenID != "" && !ValidHex(e.TokenID, 16) {
			return fmt.Errorf("enrollment code %x: invalid token ID %q", e.CodeHash[:4], e.TokenID)
		}
		return c.ascending("enrollment code", e.CodeHash[:])
	case rec.Leaf != nil:
		l := rec.Leaf
		if err := c.enter(secLeaf); err != nil {
			return err
		}
		if l.Index != c.leaves {
			return fmt.Errorf("leaf %d where leaf %d comes next: a gap or a leaf out of order", l.Index, c.leaves)
		}
		if len(l.Data) > auditlog.MaxLeafSize {
			return fmt.Errorf("leaf %d is larger than %d bytes", l.Index, auditlog.MaxLeafSize)
		}
		if _, err := auditlog.ParseLeaf(l.Data); err != nil {
			return fmt.Errorf("leaf %d: %w", l.Index, err)
		}
		c.leaves++
	case rec.Submission != nil:
		sub := rec.Submission
		if err := c.enter(secSubmission); err != nil {
			return err
		}
		if err := CheckSubmission(*sub); err != nil {
			return err
		}
		if !sub.HasReid && (sub.ReidDigest != [32]byte{} || sub.ReidSize != 0) {
			return fmt.Errorf("submission %s has re-identification digests but no record", sub.ID)
		}
		if err := c.seq("submission", sub.Seq); err != nil {
			return err
		}
		return c.rowLeaf("submission "+sub.ID, sub.Leaf)
	case rec.Annotation != nil:
		if err := c.enter(secAnnotation); err != nil {
			return err
		}
		if err := CheckAnnotation(*rec.Annotation); err != nil {
			return err
		}
		return c.seq("annotation", rec.Annotation.Seq)
	case rec.Form != nil:
		f := rec.Form
		if err := c.enter(secForm); err != nil {
			return err
		}
		if err := CheckForm(*f); err != nil {
			return err
		}
		key := binary.BigEndian.AppendUint64(append([]byte(f.ID), 0), f.Version)
		return c.ascending("form", key)
	default:
		l := rec.Lookup
		if err := c.enter(secLookup); err != nil {
			return err
		}
		if err := CheckLookup(*l); err != nil {
			return err
		}
		if err := c.seq("lookup", l.Seq); err != nil {
			return err
		}
		return c.rowLeaf("lookup "+l.ID, l.Leaf)
	}
	return nil
}

// Done checks the snapshot as a whole, after its last record.
func (c *RestoreCheck) Done() error {
	if c.section == secNone {
		return errors.New("the snapshot is empty: it has no config record")
	}
	if c.rowLeafs != c.leaves {
		return fmt.Errorf("the log has %d leaves but %d submissions and lookups: every leaf records exactly one", c.leaves, c.rowLeafs)
	}
	return nil
}

// enter moves to section sec, checking the order of sections.
func (c *RestoreCheck) enter(sec int) error {
	switch {
	case c.section == secNone && sec != secConfig:
		return fmt.Errorf("a snapshot starts with its config record, not a %s", sectionNames[sec])
	case sec < c.section:
		return fmt.Errorf("%s record after %s records: out of order", sectionNames[sec], sectionNames[c.section])
	case sec == secConfig && c.section == secConfig:
		return errors.New("a second config record")
	}
	if sec != c.section {
		c.section, c.lastKey, c.lastSeq, c.lastLeaf = sec, nil, 0, -1
	}
	return nil
}

// ascending checks that key comes after the previous record's in its
// section.
func (c *RestoreCheck) ascending(what string, key []byte) error {
	if c.lastKey != nil && bytes.Compare(key, c.lastKey) <= 0 {
		return fmt.Errorf("%s %x is not after %x: out of order or repeated", what, key, c.lastKey)
	}
	c.lastKey = key
	return nil
}

func (c *RestoreCheck) seq(what string, seq int64) error {
	if seq <= c.lastSeq {
		return fmt.Errorf("%s Seq %d is not above %d: out of order or repeated", what, seq, c.lastSeq)
	}
	c.lastSeq = seq
	return nil
}

// rowLeaf checks a submission's or lookup's leaf index: a leaf seen, after
// the previous row's. (Leaves follow Seq; that the leaf records the row is
// the implementation's check.)
func (c *RestoreCheck) rowLeaf(what string, index int64) error {
	if index < 0 || index >= c.leaves {
		return fmt.Errorf("%s points at leaf %d, which the snapshot does not have (it has %d)", what, index, c.leaves)
	}
	if index <= c.lastLeaf {
		return fmt.Errorf("%s has leaf %d, not after leaf %d of the one before it: leaves follow Seq", what, index, c.lastLeaf)
	}
	c.lastLeaf = index
	c.rowLeafs++
	return nil
}
