package envelope

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"testimony/keys"
)

// entry is a tar entry of a hand-made archive.
type entry struct {
	name string
	data []byte
}

// entries returns the tar entries of a sealed file's plaintext.
func entries(t testing.TB, plain []byte) []entry {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(plain))
	var es []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return es
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, entry{h.Name, b})
	}
}

// reseal builds a tar of es padded with pad (nil: zeros to the PADMÉ length)
// and encrypts it to the roster's reviewers, as someone holding the file key
// could.
func reseal(t testing.TB, o *org, es []entry, pad func(n int) []byte) []byte {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, e := range es {
		if err := tw.WriteHeader(tarHeader(e.name, int64(len(e.data)))); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	n := tb.Len()
	if pad == nil {
		tb.Write(make([]byte, Padme(uint64(n))-uint64(n)))
	} else {
		tb.Write(pad(n))
	}
	var out bytes.Buffer
	var rs []age.Recipient
	for _, id := range o.reviewers {
		rs = append(rs, id.Recipient().Age())
	}
	w, err := age.Encrypt(&out, rs...)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(tb.Bytes())
	w.Close()
	return out.Bytes()
}

func modify(es []entry, name string, f func([]byte) []byte) []entry {
	out := make([]entry, 0, len(es))
	for _, e := range es {
		if e.name == name {
			e.data = f(bytes.Clone(e.data))
		}
		out = append(out, e)
	}
	return out
}

func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0x01
	return b
}

func TestOpenErrors(t *testing.T) {
	o := newOrg(t, keys.Hybrid)
	c := sampleContents()
	sealed, _ := seal(t, c, o.options())
	sealed = sealed[:len(sealed):len(sealed)] // appends and cuts must not see spare capacity
	hdr, err := age.ExtractHeader(bytes.NewReader(sealed))
	if err != nil {
		t.Fatal(err)
	}
	plain := plaintext(t, sealed, o.reviewers[0])
	es := entries(t, plain)

	// Another device, enrolled under the same ID in a roster of the same
	// version: its signature must not pass for laptop-1's.
	otherDevice, _ := keys.GenerateSigningKey("laptop-1")
	swapped := &keys.Roster{Org: o.roster.Org, Version: o.roster.Version, Reviewers: o.roster.Reviewers}
	swapped.AddDevice("laptop-1", verifier(t, otherDevice))
	swappedRoster, _ := o.sign(t, swapped)

	noDevice := &keys.Roster{Org: o.roster.Org, Version: o.roster.Version + 1, Reviewers: o.roster.Reviewers}
	noDeviceRoster, _ := o.sign(t, noDevice)

	older := *o.roster
	older.Version = 2
	olderRoster, _ := o.sign(t, &older)

	// Same version and org, but a third reviewer: a fork of the roster.
	forked := *o.roster
	forked.Reviewers = append(forked.Reviewers[:2:2], keys.Member{Label: "reviewer 3", Recipient: o.outsider.Recipient()})
	forkedRoster, _ := o.sign(t, &forked)

	otherOrg := *o.roster
	otherOrg.Org = "Another NGO"
	otherOrgRoster, _ := o.sign(t, &otherOrg)

	for _, tc := range []struct {
		name   string
		file   []byte
		id     age.Identity
		roster *keys.Roster
		want   error
		msg    string // a part of the error text the person sees
	}{
		{name: "wrong identity", file: sealed, id: o.outsider, want: ErrWrongIdentity, msg: "mlkem768x25519"},
		{name: "empty", file: nil, want: ErrTruncated, msg: "empty"},
		{name: "not age", file: []byte("hello, this is not an age file at all\n"), want: ErrNotSealed},
		{name: "armored", file: []byte("-----BEGIN AGE ENCRYPTED FILE-----\n"), want: ErrNotSealed},
		{name: "flipped byte in another recipient's stanza", file: flip(sealed, len(hdr)/2+100), want: ErrTampered},
		{name: "flipped byte in the header MAC", file: flip(sealed, len(hdr)-5), want: ErrTampered},
		{name: "flipped byte in the nonce", file: flip(sealed, len(hdr)+3), want: ErrTampered},
		{name: "flipped byte in the first chunk", file: flip(sealed, len(hdr)+100), want: ErrTampered},
		{name: "flipped byte in the middle", file: flip(sealed, len(sealed)/2), want: ErrTampered},
		{name: "flipped last byte", file: flip(sealed, len(sealed)-1), want: ErrTampered},
		{name: "cut inside the header", file: sealed[:len(hdr)/2], want: ErrTruncated},
		{name: "cut after the header", file: sealed[:len(hdr)], want: ErrTruncated},
		{name: "cut after the nonce", file: sealed[:len(hdr)+16], want: ErrTruncated},
		{name: "cut by one byte", file: sealed[:len(sealed)-1], want: ErrTruncated},
		{name: "cut in the middle", file: sealed[:len(sealed)/2], want: ErrTruncated},
		{name: "cut at a chunk boundary", file: sealed[:len(hdr)+16+2*(64<<10+16)], want: ErrTruncated},
		{name: "cut after the first chunk", file: sealed[:len(hdr)+16+64<<10+16], want: ErrTruncated},
		{name: "byte appended", file: append(bytes.Clone(sealed), 0), want: ErrTruncated},
		{name: "chunk appended", file: append(bytes.Clone(sealed), make([]byte, 64<<10+16)...), want: ErrTruncated},
		{name: "device not enrolled", file: sealed, roster: noDeviceRoster, want: ErrUnknownDevice, msg: `"laptop-1"`},
		{name: "signed by another key", file: sealed, roster: swappedRoster, want: ErrBadSignature},
		{name: "roster older than the file", file: sealed, roster: olderRoster, want: ErrRosterOutdated},
		{name: "forked roster", file: sealed, roster: forkedRoster, want: ErrRosterMismatch},
		{name: "other organisation", file: sealed, roster: otherOrgRoster, want: ErrRosterMismatch},
		{name: "note changed by a key holder", want: ErrTampered, msg: "manifest",
			file: reseal(t, o, modify(es, NoteName, func(b []byte) []byte { return bytes.Replace(b, []byte("2019"), []byte("2018"), 1) }), nil)},
		{name: "manifest changed by a key holder", want: ErrBadSignature,
			file: reseal(t, o, modify(es, ManifestName, func(b []byte) []byte { return bytes.Replace(b, []byte("2026-03-14"), []byte("2026-03-15"), 1) }), nil)},
		{name: "signature removed", want: ErrBadSignature, msg: "not signed", file: reseal(t, o, es[:len(es)-1], nil)},
		{name: "attachment removed", want: ErrTampered,
			file: reseal(t, o, append(es[:2:2], es[3:]...), nil)},
		{name: "entry added", want: ErrTampered,
			file: reseal(t, o, append([]entry{{"attachments/99.sh", []byte("#!/bin/sh\n")}}, es...), nil)},
		{name: "path traversal entry", want: ErrNotSealed,
			file: reseal(t, o, append([]entry{{"../../.bashrc", []byte("x")}}, es...), nil)},
		{name: "entry after the signature", want: ErrNotSealed,
			file: reseal(t, o, append(es[:len(es):len(es)], entry{"extra.txt", nil}), nil)},
		{name: "non-zero padding", want: ErrNotSealed, msg: "non-zero",
			file: reseal(t, o, es, func(n int) []byte { p := make([]byte, Padme(uint64(n))-uint64(n)); p[len(p)-1] = 1; return p })},
		{name: "padding too short", want: ErrTruncated,
			file: reseal(t, o, es, func(n int) []byte { return make([]byte, Padme(uint64(n))-uint64(n)-1) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, r := tc.id, tc.roster
			if id == nil {
				id = o.reviewers[0]
			}
			if r == nil {
				r = o.roster
			}
			m, _, err := open(tc.file, id, r)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Open: %q does not say %q", err, tc.msg)
			}
			_ = m // a Memory sink may hold unauthenticated data; Open's error says not to use it
		})
	}
}

// TestOpenDirReleasesNothing checks that a failed open leaves neither the
// output directory nor a staging directory behind.
func TestOpenDirReleasesNothing(t *testing.T) {
	o := newOrg(t, keys.Hybrid)
	sealed, _ := seal(t, sampleContents(), o.options())
	dir := t.TempDir()
	for name, file := range map[string][]byte{
		"flipped":   flip(sealed, len(sealed)-40),
		"truncated": sealed[:len(sealed)-(64<<10)],
	} {
		out := filepath.Join(dir, name)
		d, err := NewDir(out)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(bytes.NewReader(file), int64(len(file)), d, OpenOptions{Identity: o.reviewers[0], Roster: o.roster, ID: testID})
		if err == nil {
			t.Fatalf("%s: Open succeeded", name)
		}
		d.Abort()
	}
	left, _ := os.ReadDir(dir)
	for _, e := range left {
		t.Errorf("left behind: %s", e.Name())
	}

	out := filepath.Join(dir, "good")
	d, err := NewDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bytes.NewReader(sealed), int64(len(sealed)), d, OpenOptions{Identity: o.reviewers[0], Roster: o.roster, ID: testID}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("output directory exists before Commit")
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	note, err := os.ReadFile(filepath.Join(out, "note.md"))
	if err != nil || !bytes.Equal(note, sampleContents().Note) {
		t.Fatalf("note.md = %q, %v", note, err)
	}
	if fi, _ := os.Stat(filepath.Join(out, "note.md")); fi.Mode().Perm() != 0o600 {
		t.Errorf("note.md mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := NewDir(out); err == nil {
		t.Error("NewDir accepted a non-empty directory")
	}
}

func TestSealRefuses(t *testing.T) {
	o := newOrg(t, keys.Classic)
	empty, _ := keys.NewRoster("Example NGO")
	empty.AddDevice("laptop-1", verifier(t, o.device))
	emptyRoster, _ := o.sign(t, empty)
	stranger, _ := keys.GenerateSigningKey("laptop-1")
	for _, tc := range []struct {
		name   string
		change func(*Options, *Contents)
		want   error
		msg    string
	}{
		{"no reviewers", func(op *Options, _ *Contents) { op.Roster = emptyRoster }, keys.ErrRosterInvalid, "no reviewers"},
		{"device not enrolled", func(op *Options, _ *Contents) { op.DeviceID = "laptop-2" }, ErrUnknownDevice, "add-device"},
		{"device key not the enrolled one", func(op *Options, _ *Contents) { op.Device = stranger }, ErrUnknownDevice, "another key"},
		{"note not UTF-8", func(_ *Options, c *Contents) { c.Note = []byte{0xff, 0xfe} }, nil, "UTF-8"},
		{"answers not JSON", func(_ *Options, c *Contents) { c.Answers = []byte("{") }, nil, "JSON"},
		{"bad day", func(op *Options, _ *Contents) { op.Day = "2026-02-30" }, nil, "YYYY-MM-DD"},
		{"bad language", func(op *Options, _ *Contents) { op.Language = "Korean" }, nil, "language"},
		{"bad form", func(op *Options, _ *Contents) { op.Form = "../x" }, nil, "form"},
		{"subject with a newline", func(op *Options, _ *Contents) { op.Subject = "a\nb" }, nil, "subject"},
		{"attachment changes size", func(_ *Options, c *Contents) { c.Attachments[1].Size++ }, nil, "changed while"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op, c := o.options(), sampleContents()
			tc.change(&op, &c)
			var buf bytes.Buffer
			_, err := Seal(&buf, c, op)
			if err == nil {
				t.Fatal("Seal succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Seal: %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Seal: %q does not say %q", err, tc.msg)
			}
			if tc.name != "attachment changes size" && buf.Len() != 0 {
				t.Errorf("Seal wrote %d bytes before refusing", buf.Len())
			}
		})
	}
}
