package main

import (
	"errors"
	"fmt"

	"testimony/internal/client"
)

// errVerify is the error of a verify that found problems: the server lost,
// changed or rewrote something it had accepted.
var errVerify = errors.New("verify found problems")

func runVerify(e *env, args []string) error {
	fs := e.flagSet("verify", clientHelp)
	srv := fs.String("server", "", "server `URL`")
	proxy := proxyFlag(fs)
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
	c, err := newClient(*srv, *proxy, *tokenFile, e)
	if err != nil {
		return err
	}
	rep, err := c.Verify(e.ctx, *receipts, logKey)
	if errors.Is(err, client.ErrNoReceipts) {
		return fmt.Errorf("%s holds no receipts or checkpoints: give the --receipts directory that push or pull wrote", *receipts)
	}
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(e.stdout, "PROBLEM: %s\n", p)
	}
	if len(rep.Problems) > 0 || rep.Checkpoint == nil {
		return fmt.Errorf("%w: %d; the server lost, changed or rewrote what it had accepted, or this client's receipts are damaged: keep the receipts directory as evidence and tell the admin and the reviewers", errVerify, len(rep.Problems))
	}
	fmt.Fprintf(e.stdout, "OK: %d receipt(s) checked against the log of %s; it extends all %d checkpoint(s) seen before\n", rep.Receipts, entries(rep.Checkpoint.Size), rep.Checkpoints)
	return nil
}

func entries(n int64) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}
