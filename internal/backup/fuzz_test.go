package backup

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"testimony/internal/store"
)

// FuzzMeta: the meta.jsonl reader never panics, and every record it
// accepts writes back to a line that reads as the same record.
func FuzzMeta(f *testing.F) {
	o := newOrg(f)
	o.fill(f)
	out := filepath.Join(f.TempDir(), "b")
	if _, err := Write(context.Background(), out, Source{Store: o.st, Blobs: o.bl, LogKey: o.log}, nil); err != nil {
		f.Fatal(err)
	}
	meta, _ := os.ReadFile(filepath.Join(out, MetaFile))
	f.Add(meta)
	for _, line := range bytes.SplitAfter(meta, []byte("\n"))[1:] {
		f.Add(append([]byte(`{"format":"testimony-backup-v1"}`+"\n"), line...))
		f.Add(append([]byte(`{"format":"testimony-backup-v2"}`+"\n"), line...))
	}
	f.Add([]byte(`{"format":"testimony-backup-v1"}` + "\n" + `{"submission":{"seq":1,"id":"x","sha256":"` + string(bytes.Repeat([]byte("A"), 64)) + `","size":0,"device":"","day":"","leaf":0,"body":""}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for range 1000 {
			rec, ok, err := rd.Next()
			if !ok && err == nil {
				return
			}
			if err != nil {
				if _, line := err.(*LineError); !line {
					return
				}
				continue
			}
			line, err := marshalRecord(rec)
			if err != nil {
				t.Fatalf("an accepted record does not marshal: %v", err)
			}
			back, err := unmarshalRecord(line[:len(line)-1])
			if err != nil {
				t.Fatalf("%s does not read back: %v", line, err)
			}
			if !reflect.DeepEqual(back, rec) {
				t.Fatalf("%s read back as %+v, not %+v", line, back, rec)
			}
			_ = blobsOf(rec)
			_ = store.Record{}
		}
	})
}

// FuzzManifest: the manifest parser never panics, and a manifest it
// accepts marshals to one it reads back the same.
func FuzzManifest(f *testing.F) {
	o := newOrg(f)
	o.fill(f)
	out := filepath.Join(f.TempDir(), "b")
	if _, err := Write(context.Background(), out, Source{Store: o.st, Blobs: o.bl, LogKey: o.log}, nil); err != nil {
		f.Fatal(err)
	}
	m, _ := os.ReadFile(filepath.Join(out, ManifestFile))
	f.Add(m)
	f.Add([]byte(`{"format":"testimony-backup-v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseManifest(b)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("manifest does not round-trip: %v", err)
		}
	})
}
