package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"testimony/internal/auditlog"
	"testimony/server"
)

// errVerify is the error of a verify that found problems: the server lost,
// changed or rewrote something it had accepted.
var errVerify = errors.New("verify found problems")

func runVerify(e *env, args []string) error {
	fs := e.flagSet("verify", clientHelp)
	srv := fs.String("server", "", "server `URL`")
	tokenFile := fs.String("token-file", "", "your token `FILE`")
	receipts := fs.String("receipts", "", "the `DIR` of receipts and checkpoints that push or pull kept")
	rosterPath := fs.String("roster", "", "the pinned roster `R`, which names the server's log key")
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` (or a file holding it)")
	if err := parseFlags(fs, args, "server", "token-file", "receipts", "roster", "admin-pub"); err != nil {
		return err
	}
	_, logKey, err := logRoster(*rosterPath, *adminPub)
	if err != nil {
		return err
	}
	c, err := newClient(*srv, *tokenFile, e)
	if err != nil {
		return err
	}
	rcs, err := readReceipts(*receipts, logKey)
	if err != nil {
		return err
	}
	kept, problems := keptCheckpoints(*receipts, rcs, logKey)
	if len(rcs) == 0 && len(kept) == 0 {
		return fmt.Errorf("%s holds no receipts or checkpoints: give the --receipts directory that push or pull wrote", *receipts)
	}
	var who struct{ Role, Device string }
	if err := c.getJSON(e.ctx, "/whoami", &who); err != nil {
		return err
	}
	if who.Role == "interviewer" && who.Device == "" {
		e.warn("this token is bound to no device, so the server does not let it fetch files: only the log is checked; a token from 'testimony enroll --device-key' can check the files too")
		who.Role = "interviewer without device"
	}
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}

	cur, signed, err := c.checkpoint(e.ctx, logKey)
	if err != nil {
		// A checkpoint the roster's log key did not sign is itself a
		// finding, not a failure to verify.
		if !errors.Is(err, auditlog.ErrSignature) && !errors.Is(err, auditlog.ErrMalformed) {
			return err
		}
		report("%v", err)
		return finishVerify(e, problems, 0, 0, nil)
	}

	// The log must extend every tree this client has seen.
	for _, k := range kept {
		var proof [][]byte
		if k.cp.Size > 0 && k.cp.Size < cur.Size {
			if proof, err = c.consistency(e.ctx, k.cp.Size, cur.Size); err != nil {
				return err
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

	checked := 0
	for _, kr := range rcs {
		if kr.err != nil {
			report("receipt %s cannot be checked: %v", kr.path, kr.err)
			continue
		}
		checked++
		rc := kr.rc
		name := fmt.Sprintf("submission %s (log entry %d, accepted %s)", rc.ID, rc.Log.Index, rc.Day)
		if rc.Log.Index >= cur.Size {
			report("%s: no longer in the log, which now has %s", name, entries(cur.Size))
		} else {
			leaf, _ := rc.Leaf()
			proof, err := c.inclusion(e.ctx, rc.Log.Index, cur.Size)
			if err != nil {
				return err
			}
			if err := auditlog.CheckInclusion(cur, rc.Log.Index, leaf, proof); err != nil {
				report("%s: the log no longer holds it as receipted: its entry was changed or removed", name)
			}
		}
		for _, f := range filesToCheck(who.Role, rc) {
			msg, err := c.checkFile(e.ctx, f.route, f.sha256)
			if err != nil {
				return err
			}
			if msg != "" {
				report("%s: %s %s", name, f.what, msg)
			}
		}
	}
	// Keep what the server showed: a checkpoint that contradicts an
	// earlier one is signed evidence.
	if err := keepCheckpoint(*receipts, cur, signed); err != nil {
		return err
	}
	return finishVerify(e, problems, checked, len(kept), &cur)
}

// finishVerify prints the outcome.
func finishVerify(e *env, problems []string, receipts, checkpoints int, cur *auditlog.Checkpoint) error {
	for _, p := range problems {
		fmt.Fprintf(e.stdout, "PROBLEM: %s\n", p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %d; the server lost, changed or rewrote what it had accepted, or this client's receipts are damaged: keep the receipts directory as evidence and tell the admin and the reviewers", errVerify, len(problems))
	}
	fmt.Fprintf(e.stdout, "OK: %d receipt(s) checked against the log of %s; it extends all %d checkpoint(s) seen before\n", receipts, entries(cur.Size), checkpoints)
	return nil
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
func (c *client) checkFile(ctx context.Context, route, want string) (string, error) {
	var msg string
	err := c.withRetries(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(route), nil)
		if err != nil {
			return err
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return &retryable{fmt.Errorf("failed to reach the server: %w", err)}
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound:
			msg = "is gone: the server no longer has it"
			return nil
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
			return &retryable{fmt.Errorf("server error %d", resp.StatusCode)}
		case resp.StatusCode != http.StatusOK:
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			return fmt.Errorf("the server refused to return %s (%d): %s", route, resp.StatusCode, strings.TrimSpace(string(b)))
		}
		h := sha256.New()
		if _, err := io.Copy(h, resp.Body); err != nil {
			return &retryable{fmt.Errorf("download interrupted: %w", err)}
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			msg = fmt.Sprintf("was changed: the server returns a file with SHA-256 %s, the receipt says %s", got, want)
		}
		return nil
	})
	if err != nil {
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
