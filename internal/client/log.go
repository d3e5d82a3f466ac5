package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"testimony/internal/auditlog"
	"testimony/internal/durable"
	"testimony/server"
)

// checkpoint fetches the server's current checkpoint and checks its
// signature.
func (c *Client) checkpoint(ctx context.Context, key note.Verifier) (auditlog.Checkpoint, []byte, error) {
	// One byte more than a checkpoint may have, so that auditlog.Open
	// refuses an oversized one as malformed.
	signed, err := c.get(ctx, "/log/checkpoint", auditlog.MaxCheckpointSize+1, "the checkpoint")
	if err != nil {
		return auditlog.Checkpoint{}, nil, err
	}
	cp, err := auditlog.Open(signed, key)
	if err != nil {
		return auditlog.Checkpoint{}, nil, fmt.Errorf("the server's log checkpoint: %w", err)
	}
	return cp, signed, nil
}

func (c *Client) inclusion(ctx context.Context, index, size int64) ([][]byte, error) {
	var p server.InclusionProof
	if err := c.GetJSON(ctx, fmt.Sprintf("/log/inclusion?index=%d&size=%d", index, size), &p); err != nil {
		return nil, err
	}
	return p.Proof, nil
}

func (c *Client) consistency(ctx context.Context, from, to int64) ([][]byte, error) {
	var p server.ConsistencyProof
	if err := c.GetJSON(ctx, fmt.Sprintf("/log/consistency?from=%d&to=%d", from, to), &p); err != nil {
		return nil, err
	}
	return p.Proof, nil
}

// checkpointsDir is where a receipts directory keeps every checkpoint its
// owner has seen, as evidence: one file per tree, named by size and root.
const checkpointsDir = "checkpoints"

// keepCheckpoint stores a signed checkpoint in the receipts directory dir,
// unless it is there already. Several pushes or pulls may share dir: a
// checkpoint another one kept meanwhile is the same tree (its name is its
// size and root) and counts as kept.
func keepCheckpoint(dir string, cp auditlog.Checkpoint, signed []byte) error {
	d := filepath.Join(dir, checkpointsDir)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return fmt.Errorf("failed to keep the checkpoint: %w", err)
	}
	name := filepath.Join(d, fmt.Sprintf("%d-%s", cp.Size, hex.EncodeToString(cp.Root[:8])))
	if _, err := os.Stat(name); err == nil {
		return nil
	}
	if err := durable.WriteNew(name, signed, 0o600); err != nil && !errors.Is(err, durable.ErrExists) && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("failed to keep the checkpoint: %w", err)
	}
	return nil
}

// keptCheckpoint is a checkpoint from the receipts directory.
type keptCheckpoint struct {
	cp   auditlog.Checkpoint
	from string // the file or receipt it came from
}

// keptCheckpoints returns the distinct checkpoints kept in dir and those
// of the receipts (given as distinct checkpoints with the receipt each came
// from first), by size. Files that do not verify are returned as problems.
func keptCheckpoints(dir string, fromReceipts []keptCheckpoint, key note.Verifier) ([]keptCheckpoint, []string) {
	var kept []keptCheckpoint
	var problems []string
	seen := map[auditlog.Checkpoint]bool{}
	add := func(cp auditlog.Checkpoint, from string) {
		if !seen[cp] {
			seen[cp] = true
			kept = append(kept, keptCheckpoint{cp, from})
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, checkpointsDir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			var cp auditlog.Checkpoint
			if cp, err = auditlog.Open(b, key); err == nil {
				add(cp, f)
				continue
			}
		}
		problems = append(problems, fmt.Sprintf("kept checkpoint %s cannot be used: %v", f, err))
	}
	for _, k := range fromReceipts {
		add(k.cp, k.from)
	}
	slices.SortFunc(kept, func(a, b keptCheckpoint) int { return int(a.cp.Size - b.cp.Size) })
	return kept, problems
}

// keptReceipt is a receipt from the receipts directory.
type keptReceipt struct {
	path string
	rc   server.Receipt
	cp   *auditlog.Checkpoint // the checkpoint it proves against, if it verifies
	err  error                // why it does not verify
}

// receiptID is the submission ID of a receipt <id>.json, as 16 bytes:
// Verify lists every receipt of a directory, and an ID kept as its hex
// name with the directory's path would cost ten times as much.
type receiptID [16]byte

// path returns the receipt's file in dir.
func (id receiptID) path(dir string) string {
	return filepath.Join(dir, hex.EncodeToString(id[:])+".json")
}

// receiptIDs lists the <id>.json receipts in dir, in the order of their
// names. It reads the directory a batch of names at a time, so that
// listing 50,000 receipts holds 800 KB, not the names themselves.
func receiptIDs(dir string) ([]receiptID, error) {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // no receipts yet, as for a glob
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ids []receiptID
	for {
		names, err := f.Readdirnames(1024)
		for _, name := range names {
			h, ok := strings.CutSuffix(name, ".json")
			if !ok || !idPattern.MatchString(h) {
				continue
			}
			var id receiptID
			hex.Decode(id[:], []byte(h))
			ids = append(ids, id)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	// Lower-case hex names sort as their bytes do.
	slices.SortFunc(ids, func(a, b receiptID) int { return bytes.Compare(a[:], b[:]) })
	return ids, nil
}

// readReceipt reads the receipt at path and checks its own proof.
func readReceipt(path string, key note.Verifier) keptReceipt {
	kr := keptReceipt{path: path}
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &kr.rc)
	}
	if err == nil && kr.rc.ID+".json" != filepath.Base(path) {
		err = fmt.Errorf("it is the receipt of %s", kr.rc.ID)
	}
	if err == nil {
		var cp auditlog.Checkpoint
		if cp, err = kr.rc.Verify(key); err == nil {
			kr.cp = &cp
		}
	}
	kr.err = err
	return kr
}

// writeReceipt keeps a receipt in dir as <id>.json.
func writeReceipt(dir string, rc *server.Receipt) error {
	b, _ := json.MarshalIndent(rc, "", "  ")
	return durable.Replace(filepath.Join(dir, rc.ID+".json"), append(b, '\n'), 0o600)
}
