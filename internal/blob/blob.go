// Package blob stores the ciphertext of sealed files: opaque bytes the
// server cannot read, under keys the server chose.
//
// # Contract
//
// A [Store] is safe for concurrent use. A blob is visible under its key only
// once it is complete and durable: a crash, an error or a cancelled context
// during [Store.Put] leaves nothing visible under the key, and no later Put
// or Get can see a partial blob. Keys are validated by the store before any
// file system or network call ([ValidKey]); a bad key is [ErrInvalidKey].
//
// Put streams: it never holds a whole blob in memory. It computes the
// SHA-256 of what it stores and fails with [ErrDigestMismatch], storing
// nothing, if it differs from the digest the caller expects, and with
// [ErrTooLarge] past the size limit the caller gives. An error from the
// reader or from the context is wrapped, so that errors.Is finds it: the
// caller can tell a client that went away from a store that failed.
//
// Putting a key that already holds a blob with the same digest succeeds and
// leaves it as it is; with another digest it fails with [ErrExists], leaving
// the first blob untouched. Blobs are otherwise immutable: there is no
// overwrite, only Delete.
//
// Implementations: disk (a directory on the local file system; the embedded
// default) and s3 (an S3-compatible object store). The conformance suite in
// blobtest runs against every one.
package blob

import (
	"context"
	"errors"
	"io"
	"regexp"
)

var (
	// ErrNotFound: no blob under the key.
	ErrNotFound = errors.New("blob not found")
	// ErrExists: a different blob is already stored under the key.
	ErrExists = errors.New("a different blob exists under this key")
	// ErrDigestMismatch: the bytes did not match the expected SHA-256.
	ErrDigestMismatch = errors.New("content does not match its digest")
	// ErrTooLarge: the blob exceeded the size limit.
	ErrTooLarge = errors.New("blob too large")
	// ErrInvalidKey: the key is not a valid blob key.
	ErrInvalidKey = errors.New("invalid blob key")
)

// Store is a store of immutable blobs. See the package documentation for
// the contract.
type Store interface {
	// Put stores the bytes of r under key if their SHA-256 is digest and
	// there are at most limit of them. It returns the number of bytes
	// stored.
	Put(ctx context.Context, key string, r io.Reader, digest [32]byte, limit int64) (int64, error)
	// Get opens the blob under key and returns its size.
	Get(ctx context.Context, key string) (io.ReadCloser, int64, error)
	// Delete removes the blob under key. Deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error
}

var keyPattern = regexp.MustCompile(`^[0-9a-f]{32}(\.[a-z]{1,8})?$`)

// ValidKey reports whether key is a blob key: 32 lowercase hex digits (a
// submission ID), optionally followed by a short lowercase suffix like
// ".reid". Nothing else reaches a file name or an object name.
func ValidKey(key string) bool { return keyPattern.MatchString(key) }
