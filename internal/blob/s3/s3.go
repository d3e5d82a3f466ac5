// Package s3 is a [blob.Store] in a bucket of an S3-compatible object store
// (Amazon S3, Versity S3 Gateway, MinIO, Ceph RGW, …), for servers that keep
// their blobs where they already keep and back up other data.
//
// # Contract
//
// It keeps the contract of package blob. Each blob is one object, named by
// the prefix and its key, with its SHA-256 in the user metadata
// "x-amz-meta-sha256" (lowercase hex). Nothing else is ever stored under the
// prefix except, for an instant while Open checks the server, one probe
// object whose name no key can have.
//
// Put reads the body once, hashing it and counting it against the limit as
// it goes, and stores nothing visible until the whole body has been read and
// its digest checked:
//
//   - A blob of at most [Config.PartSize] bytes (16 MiB by default) is read
//     into memory, checked, and sent in one PUT. S3 never shows a PUT that
//     did not complete.
//   - A larger blob is sent as a multipart upload to its final name, one part
//     at a time as it is read. An upload is invisible until it is completed;
//     Put completes it only once the last byte has been read and the digest
//     matches, and aborts it otherwise. Memory stays at one part, whatever
//     the size of the blob.
//
// The step that makes a blob visible (the PUT, or completing the upload)
// carries "If-None-Match: *", so that the server refuses it if the key was
// taken meanwhile, even by another process; Put then compares digests, and
// answers nil for the same blob, [blob.ErrExists] for another. Open checks
// that the server honours the condition and refuses one that does not
// (unless [Config.InsecureUnconditionalWrites]: see there what can happen).
// Amazon S3 documents the condition for PutObject and
// CompleteMultipartUpload. Versity S3 Gateway v1.8.0 honours it when it
// keeps metadata (extended attributes, or --sidecar DIR), and ignores it
// with --nometa, which Open therefore refuses; checked here. For any other
// server, Open's probe says.
//
// Once a Put has read everything and starts that last step, it finishes it
// even if ctx is cancelled, so that what it answers is what it did. If the
// last step fails in a way that leaves the outcome unknown (the connection
// dropped), Put asks the server: a blob found with the right digest is a
// success; otherwise the error is returned and, as with a crash, the blob
// may or may not be there — a retry of the same Put then settles it.
//
// # Crashes and stale uploads
//
// A Put that crashes mid-way leaves an unfinished multipart upload, never an
// object. Open aborts the unfinished uploads under the prefix older than
// [Config.StaleUploadAge] (a day by default). On Amazon S3 and servers with
// lifecycle rules, also set one that does it without a server running:
//
//	{"Rules": [{"ID": "testimony-abort-stale-uploads", "Status": "Enabled",
//	  "Filter": {"Prefix": "PREFIX"},
//	  "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]}
//
// (aws s3api put-bucket-lifecycle-configuration --bucket BUCKET
// --lifecycle-configuration file://rule.json).
//
// # Get
//
// Get streams the object and checks, as it reads, its size and its SHA-256
// against the digest recorded at Put: the reader returns an error instead of
// io.EOF at the end of a blob the server changed or cut. The check is
// against metadata the same server holds, so it catches corruption, not a
// malicious server; the digests in the log are what clients verify.
//
// # Bucket settings
//
// Do not turn on object lock or retention for the prefix: Delete must be
// able to remove a blob. Versioning works, but a deleted blob then stays as
// an old version until a lifecycle rule removes it.
package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"testimony/internal/blob"
)

var _ blob.Store = (*Store)(nil)

// metaDigest is the user metadata that holds a blob's SHA-256 in hex.
const metaDigest = "Sha256"

// How long the steps that must not be cut short by a cancelled context may
// take: making a blob visible, and cleaning up after a failed Put.
const (
	commitTimeout  = 10 * time.Minute
	cleanupTimeout = time.Minute
)

// firstRead is the size of the buffer a Put starts reading into; it grows
// as the body does, up to one part.
const firstRead = 64 << 10

// Store is a [blob.Store] in an S3 bucket. It is safe for concurrent use.
type Store struct {
	core        minio.Core
	bucket      string
	prefix      string
	partSize    int64
	sse         encrypt.ServerSide
	conditional bool // the server honours If-None-Match: *

	parts sync.Pool // *[]byte of partSize, for large Puts

	mu    sync.Mutex          // guards locks
	locks map[string]*keyLock // per-key locks, when !conditional
}

type keyLock struct {
	sync.Mutex
	n int // holders and waiters
}

// Open connects to the bucket cfg names and checks it: the bucket exists,
// the credentials can write to it, and the server honours conditional
// writes (see [Config.InsecureUnconditionalWrites]). It then aborts the
// unfinished uploads older than cfg.StaleUploadAge under the prefix.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("failed to open S3 blob store: %w", err)
	}
	creds, err := loadCredentials(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to open S3 blob store: %w", err)
	}
	host, secure, _ := cfg.endpoint()
	lookup := minio.BucketLookupPath
	if cfg.VirtualHosted {
		lookup = minio.BucketLookupDNS
	}
	transport, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("failed to open S3 blob store: %w", err)
	}
	// Keep as many connections as a busy server has requests in flight:
	// the default of 16 made 64 concurrent Puts of 4 KiB dial anew for most
	// requests and run at a third of the rate.
	transport.MaxIdleConnsPerHost = transport.MaxIdleConns
	client, err := minio.New(host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    transport,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to open S3 blob store: %w", err)
	}
	s := &Store{
		core:     minio.Core{Client: client},
		bucket:   cfg.Bucket,
		prefix:   cfg.Prefix,
		partSize: cfg.PartSize,
		locks:    make(map[string]*keyLock),
	}
	s.parts.New = func() any { b := make([]byte, s.partSize); return &b }
	if cfg.ServerSideEncryption {
		s.sse = encrypt.NewSSE()
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("failed to open S3 blob store: failed to reach bucket %s: %w", cfg.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("failed to open S3 blob store: bucket %s does not exist", cfg.Bucket)
	}
	if s.conditional, err = s.probe(ctx); err != nil {
		return nil, fmt.Errorf("failed to open S3 blob store: %w", err)
	}
	if !s.conditional && !cfg.InsecureUnconditionalWrites {
		return nil, errors.New("failed to open S3 blob store: the server ignores If-None-Match, so two server processes could replace each other's blobs; use a server that honours it (Versity S3 Gateway with metadata, MinIO, Amazon S3), or set insecure-unconditional-writes if only one process writes")
	}
	if err := s.AbortStaleUploads(ctx, cfg.StaleUploadAge); err != nil {
		return nil, fmt.Errorf("failed to open S3 blob store: %w", err)
	}
	return s, nil
}

// loadCredentials returns the credentials cfg names, or those in the
// environment, and fails if there are none.
func loadCredentials(cfg Config) (*credentials.Credentials, error) {
	var creds *credentials.Credentials
	if cfg.CredentialsFile != "" {
		fi, err := os.Stat(cfg.CredentialsFile)
		if err != nil {
			return nil, fmt.Errorf("failed to read credentials file: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("credentials file %s is not a regular file", cfg.CredentialsFile)
		}
		if fi.Mode().Perm()&0o004 != 0 {
			return nil, fmt.Errorf("credentials file %s can be read by every user (mode %v): chmod o-r it", cfg.CredentialsFile, fi.Mode().Perm())
		}
		creds = credentials.NewFileAWSCredentials(cfg.CredentialsFile, cfg.Profile)
	} else {
		creds = credentials.NewEnvAWS()
	}
	v, err := creds.Get()
	if err != nil {
		// The error names the file and the profile, never a key.
		return nil, fmt.Errorf("failed to read S3 credentials: %w", err)
	}
	if v.AccessKeyID == "" || v.SecretAccessKey == "" || v.SignerType.IsAnonymous() {
		if cfg.CredentialsFile != "" {
			return nil, fmt.Errorf("no S3 credentials in %s: want aws_access_key_id and aws_secret_access_key", cfg.CredentialsFile)
		}
		return nil, errors.New("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a credentials file")
	}
	return creds, nil
}

// probe stores a small object twice with If-None-Match: *, once with a PUT
// and once by completing a multipart upload, removes it, and reports
// whether the server refused both second writes, as it must. The probe's
// name is under the prefix (where the credentials must be able to write)
// and starts with a dot, which no key does.
func (s *Store) probe(ctx context.Context) (bool, error) {
	name := s.prefix + ".probe-" + rand.Text()
	data := []byte("testimony probe\n")
	sum := sha256.Sum256(data)
	put := func() error {
		_, err := s.core.PutObject(ctx, s.bucket, name, bytes.NewReader(data), int64(len(data)), "", hex.EncodeToString(sum[:]), s.putOptions(sum))
		return err
	}
	defer s.core.RemoveObject(context.WithoutCancel(ctx), s.bucket, name, minio.RemoveObjectOptions{})
	if err := put(); err != nil {
		return false, fmt.Errorf("failed to write a probe object to bucket %s: %w", s.bucket, err)
	}
	if s.sse != nil {
		// Some servers (Versity S3 Gateway among them) accept the header
		// and store the object unencrypted.
		info, err := s.core.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
		if err != nil {
			return false, fmt.Errorf("failed to look at the probe object: %w", err)
		}
		if got := info.Metadata.Get("X-Amz-Server-Side-Encryption"); got != "AES256" {
			return false, fmt.Errorf("the server ignored the request for server-side encryption (SSE-S3): it answered %q, not \"AES256\"", got)
		}
	}
	err := put()
	if err == nil {
		return false, nil
	}
	if !isPreconditionFailed(err) {
		return false, fmt.Errorf("failed to probe conditional writes: %w", err)
	}
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, name, s.uploadOptions(sum))
	if err != nil {
		return false, fmt.Errorf("failed to probe multipart uploads: %w", err)
	}
	defer s.abort(ctx, name, id)
	part, err := s.core.PutObjectPart(ctx, s.bucket, name, id, 1, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectPartOptions{Sha256Hex: hex.EncodeToString(sum[:]), DisableContentSha256: true})
	if err != nil {
		return false, fmt.Errorf("failed to probe multipart uploads: %w", err)
	}
	_, err = s.core.CompleteMultipartUpload(ctx, s.bucket, name, id, []minio.CompletePart{{PartNumber: 1, ETag: part.ETag}}, completeOptions())
	if err == nil {
		return false, nil
	}
	if !isPreconditionFailed(err) {
		return false, fmt.Errorf("failed to probe conditional multipart uploads: %w", err)
	}
	return true, nil
}

// AbortStaleUploads aborts the unfinished multipart uploads under the
// prefix that started more than olderThan ago: those of Puts that crashed.
// Open calls it; a server that runs for months may call it now and then.
func (s *Store) AbortStaleUploads(ctx context.Context, olderThan time.Duration) error {
	cutoff := time.Now().Add(-olderThan)
	var keyMarker, idMarker string
	for {
		res, err := s.core.ListMultipartUploads(ctx, s.bucket, s.prefix, keyMarker, idMarker, "", 1000)
		if err != nil {
			return fmt.Errorf("failed to list unfinished uploads: %w", err)
		}
		for _, u := range res.Uploads {
			if u.Initiated.IsZero() || u.Initiated.After(cutoff) {
				continue
			}
			err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID)
			if err != nil && !isCode(err, "NoSuchUpload") {
				return fmt.Errorf("failed to abort a stale upload: %w", err)
			}
		}
		if !res.IsTruncated || (res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == idMarker) {
			return nil
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}

// putOptions returns the options of the PUT that creates a blob with the
// given digest: its metadata, the encryption and If-None-Match: *.
func (s *Store) putOptions(digest [32]byte) minio.PutObjectOptions {
	opts := s.uploadOptions(digest)
	opts.SetMatchETagExcept("*")
	return opts
}

// completeOptions returns the options of the request that completes a
// multipart upload: If-None-Match: *. (SSE-S3 was asked for when the
// upload started; only SSE-C would have to be repeated.)
func completeOptions() minio.PutObjectOptions {
	var opts minio.PutObjectOptions
	opts.SetMatchETagExcept("*")
	return opts
}

// uploadOptions returns the options of the request that starts a multipart
// upload of a blob with the given digest: its metadata and the encryption.
func (s *Store) uploadOptions(digest [32]byte) minio.PutObjectOptions {
	return minio.PutObjectOptions{
		UserMetadata:         map[string]string{metaDigest: hex.EncodeToString(digest[:])},
		ServerSideEncryption: s.sse,
		ContentType:          "application/octet-stream",
		// The request is signed with the blob's SHA-256 (given to
		// PutObject), which the server checks, instead of chunk by chunk.
		DisableContentSha256: true,
	}
}

// Put stores the bytes of r under key; see [blob.Store] and the package
// documentation. It checks ctx between reads of r, so a cancelled context
// stops it at the next read but cannot interrupt a read that blocks: the
// reader must end when the request it comes from does. A negative limit
// admits nothing, not even an empty blob.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, digest [32]byte, limit int64) (int64, error) {
	if !blob.ValidKey(key) {
		return 0, fmt.Errorf("failed to store blob: %w", blob.ErrInvalidKey)
	}
	n, err := s.put(ctx, key, r, digest, limit)
	if err != nil {
		return 0, fmt.Errorf("failed to store blob %s: %w", key, err)
	}
	return n, nil
}

func (s *Store) put(ctx context.Context, key string, r io.Reader, digest [32]byte, limit int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if limit < 0 {
		return 0, blob.ErrTooLarge
	}
	b := &body{ctx: ctx, r: r, limit: limit, h: sha256.New()}
	buf, err := b.readFirst(s.partSize, &s.parts)
	if err != nil {
		return 0, err
	}
	if !b.eof {
		return s.putLarge(ctx, key, b, buf, digest)
	}
	if int64(cap(buf)) == s.partSize {
		defer s.parts.Put(&buf)
	}
	if [32]byte(b.h.Sum(nil)) != digest {
		return 0, blob.ErrDigestMismatch
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	commit := func(ctx context.Context) error {
		r := newGuardedReader(buf)
		defer r.close()
		_, err := s.core.PutObject(ctx, s.bucket, s.prefix+key, r, int64(len(buf)), "", hex.EncodeToString(digest[:]), s.putOptions(digest))
		return err
	}
	if err := s.commit(ctx, key, digest, commit); err != nil {
		return 0, err
	}
	return b.n, nil
}

// putLarge stores a blob of more than one part, whose first part has been
// read into buf (which came from s.parts), as a multipart upload.
func (s *Store) putLarge(ctx context.Context, key string, b *body, buf []byte, digest [32]byte) (int64, error) {
	defer s.parts.Put(&buf)
	name := s.prefix + key
	// A blob already there is not uploaded again (its digest is taken from
	// its metadata): the body is still read to the end and checked.
	switch err := s.compare(ctx, key, digest); {
	case err == nil:
		for !b.eof {
			if _, err := b.read(buf); err != nil {
				return 0, err
			}
		}
		if [32]byte(b.h.Sum(nil)) != digest {
			return 0, blob.ErrDigestMismatch
		}
		return b.n, nil
	case !errors.Is(err, blob.ErrNotFound):
		return 0, err
	}

	id, err := s.core.NewMultipartUpload(ctx, s.bucket, name, s.uploadOptions(digest))
	if err != nil {
		return 0, withContext(ctx, fmt.Errorf("failed to start upload: %w", err))
	}
	completed := false
	defer func() {
		if !completed {
			s.abort(ctx, name, id)
		}
	}()
	var parts []minio.CompletePart
	for part := buf; ; {
		if len(parts) == maxParts {
			return 0, fmt.Errorf("more than %d parts of %d bytes: %w", maxParts, s.partSize, blob.ErrTooLarge)
		}
		// The part's own SHA-256 signs the request, so the server checks
		// it arrived intact (and the client library need not sign it
		// chunk by chunk, which costs more memory).
		sum := sha256.Sum256(part)
		r := newGuardedReader(part)
		p, err := s.core.PutObjectPart(ctx, s.bucket, name, id, len(parts)+1, r, int64(len(part)),
			minio.PutObjectPartOptions{Sha256Hex: hex.EncodeToString(sum[:]), DisableContentSha256: true})
		r.close()
		if err != nil {
			return 0, withContext(ctx, fmt.Errorf("failed to upload part %d: %w", len(parts)+1, err))
		}
		parts = append(parts, minio.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
		if b.eof {
			break
		}
		if part, err = b.read(buf); err != nil {
			return 0, err
		}
		if len(part) == 0 && b.eof {
			break
		}
	}
	if [32]byte(b.h.Sum(nil)) != digest {
		return 0, blob.ErrDigestMismatch
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	commit := func(ctx context.Context) error {
		_, err := s.core.CompleteMultipartUpload(ctx, s.bucket, name, id, parts, completeOptions())
		completed = err == nil
		return err
	}
	if err := s.commit(ctx, key, digest, commit); err != nil {
		return 0, err
	}
	return b.n, nil
}

// commit runs do, the request that makes the checked blob visible under
// key, with a context that ctx's cancellation does not cut short. If the
// server refuses because the key is taken, it compares digests. If the
// outcome is unknown, it looks.
func (s *Store) commit(ctx context.Context, key string, digest [32]byte, do func(context.Context) error) error {
	if !s.conditional {
		unlock := s.lock(key)
		defer unlock()
		switch err := s.compare(ctx, key, digest); {
		case err == nil:
			return nil
		case !errors.Is(err, blob.ErrNotFound):
			return err
		}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	// A key that is taken but not found when compared is tried again: it
	// was deleted between the refusal and the comparison, or another
	// writer's blob is committed but not yet visible (a loaded server can
	// refuse the condition before it serves the object). The waits grow
	// from 10 ms to 320 ms, within commitTimeout.
	for attempt := range commitAttempts {
		err := do(cctx)
		switch {
		case err == nil:
			return nil
		case isPreconditionFailed(err):
			err = s.compare(cctx, key, digest)
			if errors.Is(err, blob.ErrNotFound) {
				select {
				case <-time.After(10 * time.Millisecond << min(attempt, 5)):
				case <-cctx.Done():
					return withContext(ctx, fmt.Errorf("failed to store: %w", cctx.Err()))
				}
				continue
			}
			return err
		case isErrorResponse(err):
			// The server answered: it refused the blob.
			return fmt.Errorf("failed to store: %w", err)
		default:
			// No answer: the blob may have been stored.
			if s.compare(cctx, key, digest) == nil {
				return nil
			}
			return withContext(ctx, fmt.Errorf("failed to store: %w", err))
		}
	}
	return fmt.Errorf("failed to store: the key was taken, but its blob not found, %d times", commitAttempts)
}

// commitAttempts bounds how often commit tries a key that is taken but
// whose blob it cannot find.
const commitAttempts = 8

// compare returns nil if the blob under key has the given digest,
// [blob.ErrExists] if it has another, and [blob.ErrNotFound] if there is
// none. A blob without the digest in its metadata (not stored by this
// package) is read and hashed.
func (s *Store) compare(ctx context.Context, key string, digest [32]byte) error {
	info, err := s.core.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if isNotFound(err) {
		return blob.ErrNotFound
	}
	if err != nil {
		return withContext(ctx, fmt.Errorf("failed to look at the stored blob: %w", err))
	}
	stored, ok := storedDigest(info)
	if !ok {
		rc, _, err := s.get(ctx, key)
		if err != nil {
			return err
		}
		defer rc.Close()
		h := sha256.New()
		if _, err := io.Copy(h, rc); err != nil {
			return withContext(ctx, fmt.Errorf("failed to read the stored blob: %w", err))
		}
		stored = [32]byte(h.Sum(nil))
	}
	if stored != digest {
		return blob.ErrExists
	}
	return nil
}

// storedDigest returns the digest recorded in info's metadata.
func storedDigest(info minio.ObjectInfo) ([32]byte, bool) {
	var d [32]byte
	v := info.Metadata.Get("X-Amz-Meta-" + metaDigest)
	if len(v) != 64 {
		return d, false
	}
	if _, err := hex.Decode(d[:], []byte(v)); err != nil {
		return d, false
	}
	return d, true
}

// abort aborts an upload, with a context that ctx's cancellation does not
// cut short. An upload it fails to abort is left to [Store.AbortStaleUploads].
func (s *Store) abort(ctx context.Context, name, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	s.core.AbortMultipartUpload(ctx, s.bucket, name, id)
}

// lock takes the in-process lock of key and returns its release.
func (s *Store) lock(key string) func() {
	s.mu.Lock()
	l := s.locks[key]
	if l == nil {
		l = new(keyLock)
		s.locks[key] = l
	}
	l.n++
	s.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		s.mu.Lock()
		if l.n--; l.n == 0 {
			delete(s.locks, key)
		}
		s.mu.Unlock()
	}
}

// Get opens the blob under key and returns its size; see [blob.Store] and
// the package documentation. Reading stops with an error if ctx is
// cancelled or if the bytes do not match what was stored.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if !blob.ValidKey(key) {
		return nil, 0, fmt.Errorf("failed to get blob: %w", blob.ErrInvalidKey)
	}
	rc, size, err := s.get(ctx, key)
	if err != nil {
		return nil, 0, fmt.Errorf("failed to get blob %s: %w", key, err)
	}
	return rc, size, nil
}

func (s *Store) get(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	rc, info, _, err := s.core.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if isNotFound(err) {
		return nil, 0, blob.ErrNotFound
	}
	if err != nil {
		return nil, 0, withContext(ctx, fmt.Errorf("failed to get: %w", err))
	}
	if info.Size < 0 {
		rc.Close()
		return nil, 0, errors.New("the server did not say the blob's size")
	}
	v := &verifier{ctx: ctx, rc: rc, size: info.Size, h: sha256.New()}
	v.digest, v.hasDigest = storedDigest(info)
	return v, info.Size, nil
}

// verifier reads a blob and checks its size and digest at the end.
type verifier struct {
	ctx       context.Context
	rc        io.ReadCloser
	size, n   int64
	h         hash.Hash
	digest    [32]byte
	hasDigest bool
	err       error
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	switch {
	case v.n > v.size:
		err = fmt.Errorf("failed to read blob: the server sent more than its %d bytes", v.size)
	case err == io.EOF && v.n < v.size:
		err = fmt.Errorf("failed to read blob: %w after %d of %d bytes", io.ErrUnexpectedEOF, v.n, v.size)
	case err == io.EOF && v.hasDigest && [32]byte(v.h.Sum(nil)) != v.digest:
		err = errors.New("failed to read blob: the server sent bytes that differ from those stored")
	case err != nil && err != io.EOF:
		err = withContext(v.ctx, fmt.Errorf("failed to read blob: %w", err))
	}
	v.err = err
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

// Delete removes the blob under key; see [blob.Store]. What happens to the
// bytes depends on the server (and on the bucket's versioning).
func (s *Store) Delete(ctx context.Context, key string) error {
	if !blob.ValidKey(key) {
		return fmt.Errorf("failed to delete blob: %w", blob.ErrInvalidKey)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("failed to delete blob %s: %w", key, err)
	}
	err := s.core.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("failed to delete blob %s: %w", key, withContext(ctx, err))
	}
	return nil
}

// guardedReader reads a buffer until it is closed, and then fails. The
// HTTP transport may still be reading a request's body after the request
// has returned (when the server answered before reading all of it); a
// buffer about to be reused for the next part is closed first, so that no
// byte of it is read then.
type guardedReader struct {
	mu     sync.Mutex
	r      *bytes.Reader
	closed bool
}

var errBufferReused = errors.New("request body read after the request returned")

func newGuardedReader(b []byte) *guardedReader { return &guardedReader{r: bytes.NewReader(b)} }

func (g *guardedReader) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, errBufferReused
	}
	return g.r.Read(p)
}

// Seek lets the client library retry a request from the start.
func (g *guardedReader) Seek(offset int64, whence int) (int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, errBufferReused
	}
	return g.r.Seek(offset, whence)
}

func (g *guardedReader) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// body reads a Put's body, hashing it and counting it against the limit.
type body struct {
	ctx   context.Context
	r     io.Reader
	limit int64
	h     hash.Hash
	n     int64
	eof   bool
}

// readFirst reads the body into a buffer that grows with it, up to size
// bytes, and returns what it read. A buffer filled to size comes from pool:
// the caller returns it.
func (b *body) readFirst(size int64, pool *sync.Pool) ([]byte, error) {
	buf := make([]byte, 0, min(firstRead, size))
	for {
		if int64(len(buf)) == size {
			return buf, nil
		}
		if len(buf) == cap(buf) {
			// Double up to 1 MiB, then take a whole part: little garbage
			// for large blobs, little memory for small ones.
			var next []byte
			if c := 2 * cap(buf); c <= 1<<20 {
				next = make([]byte, len(buf), c)
			} else {
				next = (*pool.Get().(*[]byte))[:len(buf)]
			}
			copy(next, buf)
			buf = next
		}
		m, err := b.fill(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if int64(cap(buf)) == size {
				pool.Put(&buf)
			}
			return nil, err
		}
		if b.eof {
			return buf, nil
		}
	}
}

// read reads the next part into buf (whose capacity is a part) and returns
// it; at the end of the body it is shorter, possibly empty, and b.eof is set.
func (b *body) read(buf []byte) ([]byte, error) {
	buf = buf[:cap(buf)]
	n := 0
	for n < len(buf) && !b.eof {
		m, err := b.fill(buf[n:])
		n += m
		if err != nil {
			return nil, err
		}
	}
	return buf[:n], nil
}

// fill reads once into p (at most len(p) bytes), checking the context
// before and the limit after, and sets b.eof at the end of the body.
func (b *body) fill(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	// Read at most one byte past the limit: enough to know it is exceeded
	// (b.n <= b.limit here, and b.limit+1 could overflow).
	if rest := b.limit - b.n; int64(len(p)) > rest {
		p = p[:rest+1]
	}
	m, err := b.r.Read(p)
	if m > 0 {
		if b.n += int64(m); b.n > b.limit {
			return 0, fmt.Errorf("more than %d bytes: %w", b.limit, blob.ErrTooLarge)
		}
		b.h.Write(p[:m])
	}
	if err == io.EOF {
		b.eof = true
		return m, nil
	}
	if err != nil {
		return 0, fmt.Errorf("failed to read: %w", err)
	}
	return m, nil
}

// withContext adds ctx's error to err, if ctx is done, so that errors.Is
// finds context.Canceled or context.DeadlineExceeded whatever the client
// library made of it.
func withContext(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

func errorResponse(err error) (minio.ErrorResponse, bool) {
	var er minio.ErrorResponse
	ok := errors.As(err, &er)
	return er, ok
}

func isErrorResponse(err error) bool {
	er, ok := errorResponse(err)
	return ok && (er.StatusCode != 0 || er.Code != "")
}

func isCode(err error, codes ...string) bool {
	er, ok := errorResponse(err)
	return ok && slices.Contains(codes, er.Code)
}

func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	er, ok := errorResponse(err)
	return ok && (er.Code == "NoSuchKey" || (er.StatusCode == http.StatusNotFound && er.Code != "NoSuchBucket"))
}

func isPreconditionFailed(err error) bool {
	er, ok := errorResponse(err)
	return ok && (er.Code == "PreconditionFailed" || er.StatusCode == http.StatusPreconditionFailed)
}
