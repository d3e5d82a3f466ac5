package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"testimony/internal/auditlog"
	"testimony/server"
)

// ErrNoReceipts is returned by [Client.Verify] for a receipts directory that
// holds neither receipts nor checkpoints: there is nothing to check.
var ErrNoReceipts = errors.New("no receipts or checkpoints to check: give the directory that push or pull kept them in")

// Report is the outcome of Verify.
type Report struct {
	// Receipts is the number of receipts checked against the log;
	// Checkpoints the number of distinct checkpoints seen before that
	// the log was checked to extend.
	Receipts, Checkpoints int
	Checkpoint            *auditlog.Checkpoint // the server's current checkpoint, if it could be had
	Problems              []string             // one plain sentence each, naming the submission; empty when all is well
}

// Verify checks that the server still holds everything it gave the
// receipts in receiptsDir for: each receipt's entry is still in the log, the
// log still extends every checkpoint kept in receiptsDir/checkpoints (it was
// not rolled back or forked), and the file the server returns now has the
// SHA-256 the receipt names. Reviewers check sealed files, custodians
// re-identification records, an interviewer's device both. It keeps the
// server's current checkpoint in receiptsDir, as evidence.
//
// A non-nil error means verification could not run (network, unreadable
// receipts dir, [ErrNoReceipts]); problems found go in Report.Problems.
func (c *Client) Verify(ctx context.Context, receiptsDir string, logKey note.Verifier) (Report, error) {
	// Receipts are read twice, one at a time, never all held: first for
	// the distinct checkpoints they prove against, then to check each.
	ids, err := receiptIDs(receiptsDir)
	if err != nil {
		return Report{}, fmt.Errorf("failed to list the receipts in %s: %w", receiptsDir, err)
	}
	var fromReceipts []keptCheckpoint
	seen := map[auditlog.Checkpoint]bool{}
	for _, id := range ids {
		f := id.path(receiptsDir)
		if kr := readReceipt(f, logKey); kr.cp != nil && !seen[*kr.cp] {
			seen[*kr.cp] = true
			fromReceipts = append(fromReceipts, keptCheckpoint{*kr.cp, f})
		}
	}
	kept, problems := keptCheckpoints(receiptsDir, fromReceipts, logKey)
	if len(ids) == 0 && len(kept) == 0 {
		return Report{}, fmt.Errorf("%s: %w", receiptsDir, ErrNoReceipts)
	}
	who, err := c.WhoAmI(ctx)
	if err != nil {
		return Report{}, err
	}
	role := who.Role
	if role == "interviewer" && who.Device == "" {
		c.warn("this token is bound to no device, so the server does not let it fetch files: only the log is checked; a token from 'testimony enroll --device-key' can check the files too")
		role = "interviewer without device"
	}
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}

	cur, signed, err := c.checkpoint(ctx, logKey)
	if err != nil {
		// A checkpoint the roster's log key did not sign is itself a
		// finding, not a failure to verify.
		if !errors.Is(err, auditlog.ErrSignature) && !errors.Is(err, auditlog.ErrMalformed) {
			return Report{}, err
		}
		report("%v", err)
		return Report{Problems: problems}, nil
	}

	// The log must extend every tree this client has seen.
	for _, k := range kept {
		var proof [][]byte
		if k.cp.Size > 0 && k.cp.Size < cur.Size {
			if proof, err = c.consistency(ctx, k.cp.Size, cur.Size); err != nil {
				return Report{}, err
			}
		}
		switch err := auditlog.CheckConsistency(k.cp, cur, proof); {
		case errors.Is(err, auditlog.ErrRollback):
			report("the log was rolled back: it now has %s, but a checkpoint seen before (%s) had %d", entries(cur.Size), k.from, k.cp.Size)
		case errors.Is(err, auditlog.ErrFork):
			report("the log forked: the server's log of %s does not extend the log of %s seen before (%s): its history was rewritten", entries(cur.Size), entries(k.cp.Size), k.from)
		case err != nil:
			report("checkpoint %s: %v", k.from, err)
		}
	}
	// Two different trees of one size among the kept checkpoints are a
	// fork whatever the server says now.
	for i := 1; i < len(kept); i++ {
		if kept[i].cp.Size == kept[i-1].cp.Size {
			report("the log forked: two different checkpoints of %s were seen (%s and %s)", entries(kept[i].cp.Size), kept[i-1].from, kept[i].from)
		}
	}

	// Each receipt is checked against the log, and its files fetched,
	// with verifyInFlight receipts at a time. Only the receipts with
	// problems are remembered, so that memory does not grow with their
	// number; the problems are reported in the receipts' order.
	var (
		mu       sync.Mutex
		found    = map[int][]string{}
		checked  int
		firstErr error
	)
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, verifyInFlight)
	var wg sync.WaitGroup
	for i, id := range ids {
		select {
		case sem <- struct{}{}:
		case <-vctx.Done():
		}
		if vctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			msgs, ok, err := c.verifyReceipt(vctx, readReceipt(id.path(receiptsDir), logKey), role, cur)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
				cancel()
				return
			case ok:
				checked++
			}
			if len(msgs) > 0 {
				found[i] = msgs
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return Report{}, firstErr
	}
	for _, i := range slices.Sorted(maps.Keys(found)) {
		problems = append(problems, found[i]...)
	}
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	// Keep what the server showed: a checkpoint that contradicts an
	// earlier one is signed evidence.
	if err := keepCheckpoint(receiptsDir, cur, signed); err != nil {
		return Report{}, local(err)
	}
	return Report{Receipts: checked, Checkpoints: len(kept), Checkpoint: &cur, Problems: problems}, nil
}

// verifyInFlight is how many receipts Verify checks at once.
const verifyInFlight = 8

// verifyReceipt checks one receipt against the current checkpoint cur and
// fetches its files. It returns the problems found, whether the receipt
// could be checked at all, and an error only when the check could not run.
func (c *Client) verifyReceipt(ctx context.Context, kr keptReceipt, role string, cur auditlog.Checkpoint) ([]string, bool, error) {
	if kr.err != nil {
		return []string{fmt.Sprintf("receipt %s cannot be checked: %v", kr.path, kr.err)}, false, nil
	}
	var problems []string
	rc := kr.rc
	name := fmt.Sprintf("submission %s (log entry %d, accepted %s)", rc.ID, rc.Log.Index, rc.Day)
	if rc.Log.Index >= cur.Size {
		problems = append(problems, fmt.Sprintf("%s: no longer in the log, which now has %s", name, entries(cur.Size)))
	} else {
		leaf, _ := rc.Leaf()
		proof, err := c.inclusion(ctx, rc.Log.Index, cur.Size)
		if err != nil {
			return nil, true, err
		}
		if err := auditlog.CheckInclusion(cur, rc.Log.Index, leaf, proof); err != nil {
			problems = append(problems, fmt.Sprintf("%s: the log no longer holds it as receipted: its entry was changed or removed", name))
		}
	}
	for _, f := range filesToCheck(role, rc) {
		msg, err := c.checkFile(ctx, f.route, f.sha256)
		if err != nil {
			return nil, true, err
		}
		if msg != "" {
			problems = append(problems, fmt.Sprintf("%s: %s %s", name, f.what, msg))
		}
	}
	return problems, true, nil
}

type fileCheck struct {
	what, route, sha256 string
}

// filesToCheck returns the files of rc that a token with role may fetch.
func filesToCheck(role string, rc server.Receipt) []fileCheck {
	sealed := fileCheck{"the sealed file", "/submissions/" + rc.ID, rc.SHA256}
	var reid []fileCheck
	if rc.Reid != nil {
		reid = []fileCheck{{"the re-identification record", "/submissions/" + rc.ID + "/reid", rc.Reid.SHA256}}
	}
	switch role {
	case "reviewer":
		return []fileCheck{sealed}
	case "custodian":
		return reid
	case "interviewer":
		return append([]fileCheck{sealed}, reid...)
	}
	return nil
}

// checkFile downloads a file and compares its SHA-256 with want. It returns
// a description of what is wrong, or "" if nothing is; an error only when
// the check could not be made.
func (c *Client) checkFile(ctx context.Context, route, want string) (string, error) {
	var msg string
	err := c.withRetries(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(route), nil)
		if err != nil {
			return err
		}
		resp, err := c.send(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound:
			msg = "is gone: the server no longer has it"
			return nil
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
			return &retryable{error: &StatusError{Status: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}, after: retryAfter(resp)}
		case resp.StatusCode != http.StatusOK:
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			return fmt.Errorf("the server refused to return %s (%d): %s", route, resp.StatusCode, strings.TrimSpace(string(b)))
		}
		h := sha256.New()
		if _, err := io.Copy(h, resp.Body); err != nil {
			return &retryable{error: fmt.Errorf("download interrupted: %w", err)}
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			msg = fmt.Sprintf("was changed: the server returns a file with SHA-256 %s, the receipt says %s", got, want)
		}
		return nil
	})
	if err != nil {
		// Refused for the rate of requests: nothing is known of the file,
		// and the check could not be made.
		var se *StatusError
		if errors.As(err, &se) && se.Status == http.StatusTooManyRequests {
			return "", fmt.Errorf("the server's rate limit stopped the check (%w): run verify again later, or ask the server's admin to raise its --rate-per-token", err)
		}
		// A server that cannot return a stored file after retries has
		// lost it as far as anyone can tell.
		var r *retryable
		if errors.As(err, &r) {
			return fmt.Sprintf("cannot be fetched: %v", err), nil
		}
		return "", err
	}
	return msg, nil
}

func entries(n int64) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}
