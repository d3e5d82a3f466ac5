package client

import (
	"os"
	"path/filepath"
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
