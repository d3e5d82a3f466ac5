package client

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"testimony/internal/auditlog"
)

// TestKeepCheckpointShared runs pushes that share a receipts directory the
// way two push runs at once do: each keeps the same checkpoints. Whichever
// writes a checkpoint second must count it as kept, not fail with
// "file already exists" (durable.ErrExists, which is not os.ErrExist).
func TestKeepCheckpointShared(t *testing.T) {
	dir := t.TempDir()
	const runs, rounds = 8, 300
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, runs*rounds)
	for range runs {
		wg.Go(func() {
			<-start
			for i := range rounds {
				cp := auditlog.Checkpoint{Size: int64(i + 1)}
				cp.Root[0] = byte(i)
				if err := keepCheckpoint(dir, cp, []byte("checkpoint\n")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a run sharing the receipts directory failed: %v", err)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, checkpointsDir, "*"))
	if len(kept) != rounds {
		t.Errorf("%d checkpoints kept, want %d", len(kept), rounds)
	}
	for _, f := range kept {
		if b, err := os.ReadFile(f); err != nil || string(b) != "checkpoint\n" {
			t.Errorf("%s: %q, %v", f, b, err)
		}
	}
}

// TestReceiptIDs lists a receipts directory of more names than one read
// of the directory returns: every <id>.json and nothing else, in the
// order of the names, each ID giving back its file's path.
func TestReceiptIDs(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := range 2500 {
		name := fmt.Sprintf("%032x.json", uint64(i)*0x9e3779b97f4a7c15)
		want = append(want, filepath.Join(dir, name))
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Not receipts: checkpoints, other names, an upper-case ID, a
	// temporary file of an interrupted write.
	os.Mkdir(filepath.Join(dir, checkpointsDir), 0o700)
	for _, name := range []string{"notes.json", "0123456789ABCDEF0123456789ABCDEF.json", "0123456789abcdef0123456789abcdef.json.tmp-1", "0123456789abcdef0123456789abcdef.age"} {
		os.WriteFile(filepath.Join(dir, name), nil, 0o600)
	}
	slices.Sort(want)
	ids, err := receiptIDs(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, id := range ids {
		got = append(got, id.path(dir))
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %d receipts, want %d in name order", len(got), len(want))
	}
	if ids, err := receiptIDs(filepath.Join(dir, "missing")); err != nil || len(ids) != 0 {
		t.Errorf("a missing directory: %v, %v; want nothing and no error", ids, err)
	}
}
