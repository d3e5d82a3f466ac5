package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"testimony/internal/durable"
	"testimony/server"
)

// Progress is reported during Pull.
type Progress struct {
	ID          string // submission being downloaded
	Bytes, Size int64  // of the current file
	Files       int    // files taken so far in this pull
}

// PullResult is what a Pull took.
type PullResult struct {
	New     []string // IDs downloaded now
	Already int      // files already there
}

// pullInFlight is how many files Pull downloads at once.
const pullInFlight = 4

// cursorFile holds, in a pull directory, the list position Pull has taken
// everything up to.
const cursorFile = ".pull-cursor"

var idPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Pull downloads what is new into dir: <id>.age for reviewer tokens,
// <id>.reid.age for custodian tokens; other tokens may not pull. Before it
// takes a file it checks, with a checkpoint signed by logKey, that the log
// holds the submission as listed, and it checks the file's SHA-256 and size
// as it downloads. A file appears under its name only once complete and
// checked; partial downloads of an interrupted pull are removed. It keeps a
// receipt for each file and every checkpoint it used in receiptsDir, and
// its place in dir, so that the next Pull picks up where this one stopped.
//
// Several files (pullInFlight) download at once; each is streamed to disk,
// so memory does not grow with their number or size.
//
// progress may be nil; it is called when a download starts (Bytes 0), as
// its bytes arrive (often: a caller that draws throttles), and when the
// file is taken, from the downloading goroutines but never two calls at
// once. On an error, the result holds what was taken before it.
func (c *Client) Pull(ctx context.Context, dir, receiptsDir string, logKey note.Verifier, progress func(Progress)) (PullResult, error) {
	var res PullResult
	if progress == nil {
		progress = func(Progress) {}
	}
	for _, d := range []string{dir, receiptsDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return res, local(fmt.Errorf("failed to create %s: %w", d, err))
		}
	}
	// Partial downloads of an interrupted pull are never visible; their
	// temporary files are removed here.
	olds, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, f := range olds {
		os.Remove(f)
	}
	who, err := c.WhoAmI(ctx)
	if err != nil {
		return res, err
	}
	suffix, route := ".age", ""
	switch who.Role {
	case "reviewer":
	case "custodian":
		suffix, route = ".reid.age", "/reid"
	default:
		return res, fmt.Errorf("this token is for a %s; only reviewers and custodians pull", who.Role)
	}
	cursorPath := filepath.Join(dir, cursorFile)
	cursor := int64(0)
	if b, err := os.ReadFile(cursorPath); err == nil {
		cursor, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	cp, signed, err := c.checkpoint(ctx, logKey)
	if err != nil {
		return res, err
	}
	if err := keepCheckpoint(receiptsDir, cp, signed); err != nil {
		return res, local(err)
	}
	for {
		var page struct {
			Submissions []server.Listed
			Next        int64
		}
		if err := c.GetJSON(ctx, "/submissions?after="+strconv.FormatInt(cursor, 10), &page); err != nil {
			return res, err
		}
		if len(page.Submissions) == 0 {
			break
		}
		// The submissions of a page are taken pullInFlight at a time; the
		// cursor moves past the page only once all of it was taken.
		pctx, cancel := context.WithCancel(ctx)
		sem := make(chan struct{}, pullInFlight)
		var wg sync.WaitGroup
		var mu sync.Mutex // res, firstErr, progress
		var firstErr error
		taken := make([]bool, len(page.Submissions))
		got := len(res.New)
		fail := func(err error) {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
			cancel()
		}
		for i, s := range page.Submissions {
			ref := &server.FileRef{SHA256: s.SHA256, Size: s.Size}
			if route != "" {
				if s.Reid == nil {
					continue
				}
				ref = s.Reid
			}
			if !idPattern.MatchString(s.ID) {
				fail(errors.New("the server listed an invalid submission ID"))
				break
			}
			dst := filepath.Join(dir, s.ID+suffix)
			if d, _, err := fileDigest(dst); err == nil && hex.EncodeToString(d[:]) == ref.SHA256 {
				mu.Lock()
				res.Already++
				mu.Unlock()
				continue
			}
			// Take nothing the log does not hold as listed.
			if s.Leaf >= cp.Size {
				if cp, signed, err = c.checkpoint(pctx, logKey); err != nil {
					fail(err)
					break
				}
				if err := keepCheckpoint(receiptsDir, cp, signed); err != nil {
					fail(local(err))
					break
				}
			}
			select {
			case sem <- struct{}{}:
			case <-pctx.Done():
			}
			if pctx.Err() != nil {
				break
			}
			cpSize, cpSigned := cp.Size, signed
			wg.Go(func() {
				defer func() { <-sem }()
				rc := s.Receipt
				proof, err := c.inclusion(pctx, s.Leaf, cpSize)
				if err == nil {
					rc.Log = &server.LogProof{Index: s.Leaf, Proof: proof, Checkpoint: string(cpSigned)}
					_, err = rc.Verify(logKey)
				}
				if err != nil {
					fail(fmt.Errorf("%s: the server lists this submission, but its log does not hold it as listed: %w; nothing was taken", s.ID, err))
					return
				}
				mu.Lock()
				p := Progress{ID: s.ID, Size: ref.Size, Files: got}
				mu.Unlock()
				locked := func(p Progress) { mu.Lock(); defer mu.Unlock(); progress(p) }
				if err := c.withRetries(pctx, func() error {
					return c.download(pctx, "/submissions/"+s.ID+route, dst, ref, p, locked)
				}); err != nil {
					fail(fmt.Errorf("%s: %w", s.ID, err))
					return
				}
				if err := writeReceipt(receiptsDir, &rc); err != nil {
					fail(local(err))
					return
				}
				mu.Lock()
				defer mu.Unlock()
				taken[i] = true
				got++
				p.Bytes, p.Files = ref.Size, got
				progress(p)
			})
		}
		wg.Wait()
		cancel()
		for i, s := range page.Submissions {
			if taken[i] {
				res.New = append(res.New, s.ID) // in the list's order
			}
		}
		if firstErr != nil {
			return res, firstErr
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		cursor = page.Next
		if err := durable.Replace(cursorPath, []byte(strconv.FormatInt(cursor, 10)+"\n"), 0o600); err != nil {
			return res, local(err)
		}
	}
	return res, nil
}

// download fetches a file into dst, visible only once complete and checked
// against the digest the list gave, reporting p as bytes arrive.
func (c *Client) download(ctx context.Context, route, dst string, ref *server.FileRef, p Progress, progress func(Progress)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(route), nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req, http.StatusOK)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := durable.CreateReplace(dst, 0o600)
	if err != nil {
		return local(err)
	}
	defer f.Abort()
	progress(p)
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h, &progressWriter{p, progress}), io.LimitReader(resp.Body, ref.Size+1))
	if err != nil {
		return &retryable{error: fmt.Errorf("download interrupted: %w", err)}
	}
	if n != ref.Size || hex.EncodeToString(h.Sum(nil)) != ref.SHA256 {
		return errors.New("the downloaded file does not match the digest the server listed")
	}
	return local(f.Commit())
}

// progressWriter reports the bytes written through it.
type progressWriter struct {
	p Progress
	f func(Progress)
}

func (w *progressWriter) Write(b []byte) (int, error) {
	w.p.Bytes += int64(len(b))
	w.f(w.p)
	return len(b), nil
}
