package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"testimony/server"
)

// ErrLocal is matched (with errors.Is) by errors of this machine's files: a
// receipts, checkpoint or download directory that cannot be written. Trying
// the server again does not help.
var ErrLocal = errors.New("local files cannot be written")

// localError is an error of this machine's files; its text is its cause's.
type localError struct{ error }

func (e localError) Unwrap() error        { return e.error }
func (e localError) Is(target error) bool { return target == ErrLocal }

func local(err error) error {
	if err == nil {
		return nil
	}
	return localError{err}
}

var sealedName = regexp.MustCompile(`^([0-9a-f]{32})\.age$`)

// Push uploads the sealed file at path (named <id>.age, with <id>.reid.age
// beside it if there is one), checks the receipt against logKey, and keeps
// the receipt and its checkpoint in receiptsDir (<id>.json and
// checkpoints/). Safe to retry: the same file under the same ID is accepted
// once. An upload counts only when Push returns no error; an error matching
// [ErrLocal] means the server accepted the file but its receipt could not be
// kept.
func (c *Client) Push(ctx context.Context, path string, logKey note.Verifier, receiptsDir string) (*server.Receipt, error) {
	rc, err := c.upload(ctx, path)
	if err != nil {
		return nil, err
	}
	cp, err := rc.Verify(logKey)
	if err != nil {
		return nil, fmt.Errorf("the server accepted the file, but its receipt does not prove that its log holds it (%w); the upload does not count: push again, and if this repeats, tell the admin", err)
	}
	if err := os.MkdirAll(receiptsDir, 0o700); err != nil {
		return nil, local(fmt.Errorf("failed to create %s: %w", receiptsDir, err))
	}
	if err := keepCheckpoint(receiptsDir, cp, []byte(rc.Log.Checkpoint)); err != nil {
		return nil, local(err)
	}
	if err := writeReceipt(receiptsDir, rc); err != nil {
		return nil, local(err)
	}
	return rc, nil
}

// upload uploads one sealed file (and its re-identification record, if it
// has one) and checks that the receipt names what was sent.
func (c *Client) upload(ctx context.Context, path string) (*server.Receipt, error) {
	m := sealedName.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return nil, errors.New("not named <id>.age: seal with --out DIR to name files by their submission ID")
	}
	id := m[1]
	digest, size, err := fileDigest(path)
	if err != nil {
		return nil, err
	}
	header := http.Header{}
	reidPath := strings.TrimSuffix(path, ".age") + ".reid.age"
	var reidDigest *[32]byte
	if _, err := os.Stat(reidPath); err == nil {
		rd, _, err := fileDigest(reidPath)
		if err != nil {
			return nil, err
		}
		reidDigest = &rd
		if err := c.withRetries(ctx, func() error {
			_, err := c.putFile(ctx, "/submissions/"+id+"/reid", reidPath, rd, nil, http.StatusAccepted, http.StatusOK)
			return err
		}); err != nil {
			return nil, fmt.Errorf("re-identification record: %w", err)
		}
		header.Set("Testimony-Reid-Digest", server.ContentDigest(rd))
	}
	var rc server.Receipt
	err = c.withRetries(ctx, func() error {
		body, err := c.putFile(ctx, "/submissions/"+id, path, digest, header, http.StatusCreated, http.StatusOK)
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &rc)
	})
	if err != nil {
		return nil, err
	}
	if rc.ID != id || rc.SHA256 != hex.EncodeToString(digest[:]) || rc.Size != size {
		return nil, fmt.Errorf("the server's receipt does not match the file (id %q, sha256 %s, size %d)", rc.ID, rc.SHA256, rc.Size)
	}
	if (rc.Reid == nil) != (reidDigest == nil) || (reidDigest != nil && rc.Reid.SHA256 != hex.EncodeToString(reidDigest[:])) {
		return nil, errors.New("the server's receipt does not match the re-identification record sent with the file")
	}
	return &rc, nil
}

// putFile PUTs the file at path, whose SHA-256 is digest, once, and returns
// the response body.
func (c *Client) putFile(ctx context.Context, route, path string, digest [32]byte, header http.Header, ok ...int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return c.put(ctx, route, f, fi.Size(), digest, header, ok...)
}

// fileDigest returns the SHA-256 and size of the file at path.
func fileDigest(path string) ([32]byte, int64, error) {
	var d [32]byte
	f, err := os.Open(path)
	if err != nil {
		return d, 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return d, 0, fmt.Errorf("failed to read %s: %w", path, err)
	}
	copy(d[:], h.Sum(nil))
	return d, n, nil
}
