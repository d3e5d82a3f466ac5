package desk

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"testimony/internal/envelope"
)

// attachmentCache keeps the attachments of the testimonies a reviewer
// looks at, decrypted from their sealed files and sealed again with age to
// an X25519 identity that exists only in this cache's memory, in temporary
// files of inbox/.open. An attachment is served from its temporary file
// with age's random-access reader, a chunk at a time: a recording is never
// all in memory, and the range requests of an audio player each cost a
// chunk, not a new decryption of the testimony. Files are removed when the
// desk locks; any left by a crash cannot be read without the key that died
// with the process, and are removed at the next unlock.
//
// It keeps the attachments of at most cacheTestimonies testimonies, the
// least recently used leaving first.
type attachmentCache struct {
	dir string
	id  *age.X25519Identity

	mu      sync.Mutex
	entries map[string]*cachedTestimony
	recent  []string // submission IDs, most recent last
	closed  bool
}

const cacheTestimonies = 8

type cachedTestimony struct {
	ready chan struct{} // closed once files or err is set
	err   error
	files map[string]cachedFile // by attachment name
}

type cachedFile struct {
	path, typ string
}

func newAttachmentCache(dir string) (*attachmentCache, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	os.RemoveAll(dir) // left by a crash: unreadable, but not kept
	return &attachmentCache{dir: dir, id: id, entries: map[string]*cachedTestimony{}}, nil
}

// close removes every temporary file; the cache refuses work afterwards.
func (c *attachmentCache) close() {
	c.mu.Lock()
	c.closed = true
	c.entries, c.recent = nil, nil
	c.mu.Unlock()
	os.RemoveAll(c.dir)
}

// get returns the attachments of testimony id, decrypting them with open
// unless they are kept already. open must call envelope.Open with the sink
// it is given and return its error: nothing is kept unless it returns nil.
func (c *attachmentCache) get(id string, open func(envelope.Sink) error) (map[string]cachedFile, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errors.New("the desk is locked")
	}
	e := c.entries[id]
	if e == nil {
		e = &cachedTestimony{ready: make(chan struct{})}
		c.entries[id] = e
		go c.fill(id, e, open)
	}
	c.touch(id)
	c.mu.Unlock()
	<-e.ready
	return e.files, e.err
}

// touch marks id as used now and evicts the least recently used testimony
// beyond the limit. c.mu is held.
func (c *attachmentCache) touch(id string) {
	c.recent = slices.DeleteFunc(c.recent, func(s string) bool { return s == id })
	c.recent = append(c.recent, id)
	for len(c.recent) > cacheTestimonies {
		old := c.recent[0]
		c.recent = c.recent[1:]
		if e := c.entries[old]; e != nil {
			delete(c.entries, old)
			go func() {
				<-e.ready
				// A request serving it holds its files open; removing
				// the names does not cut it off.
				for _, f := range e.files {
					os.Remove(f.path)
				}
			}()
		}
	}
}

func (c *attachmentCache) fill(id string, e *cachedTestimony, open func(envelope.Sink) error) {
	sink := &cacheSink{c: c}
	err := os.MkdirAll(c.dir, 0o700)
	if err == nil {
		err = open(sink)
	}
	if err == nil {
		err = sink.err
	}
	if err != nil {
		for _, f := range sink.files {
			os.Remove(f.path)
		}
		e.err = err
		// Not kept: the next request tries again.
		c.mu.Lock()
		if c.entries[id] == e {
			delete(c.entries, id)
		}
		c.mu.Unlock()
	} else {
		e.files = sink.files
	}
	close(e.ready)
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		os.RemoveAll(c.dir)
	}
}

// cacheSink is an envelope.Sink that seals each attachment into a
// temporary file and drops the other entries.
type cacheSink struct {
	c     *attachmentCache
	files map[string]cachedFile
	err   error
}

func (s *cacheSink) Create(name string, size int64) (io.WriteCloser, error) {
	a, ok := strings.CutPrefix(name, envelope.AttachmentDir)
	if !ok {
		return nopCloser{io.Discard}, nil
	}
	f, err := os.CreateTemp(s.c.dir, "a-*")
	if err != nil {
		return nil, fmt.Errorf("failed to keep an attachment: %w", err)
	}
	w, err := age.Encrypt(f, s.c.id.Recipient())
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	if s.files == nil {
		s.files = map[string]cachedFile{}
	}
	s.files[a] = cachedFile{path: f.Name()}
	return &cacheWriter{s: s, name: a, f: f, w: w}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// cacheWriter seals one attachment, keeping its first 512 bytes to tell
// its type.
type cacheWriter struct {
	s    *cacheSink
	name string
	f    *os.File
	w    io.WriteCloser
	head []byte
}

func (w *cacheWriter) Write(p []byte) (int, error) {
	if n := min(512-len(w.head), len(p)); n > 0 {
		w.head = append(w.head, p[:n]...)
	}
	return w.w.Write(p)
}

func (w *cacheWriter) Close() error {
	err := w.w.Close()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		w.s.err = fmt.Errorf("failed to keep an attachment: %w", err)
		return w.s.err
	}
	f := w.s.files[w.name]
	f.typ = contentType(w.name, w.head)
	w.s.files[w.name] = f
	return nil
}

// serve writes the attachment f, decrypting it a chunk at a time, with
// range requests.
func (c *attachmentCache) serve(w http.ResponseWriter, r *http.Request, f cachedFile) error {
	file, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	ra, n, err := age.DecryptReaderAt(file, st.Size(), c.id)
	if err != nil {
		return fmt.Errorf("failed to read a kept attachment: %w", err)
	}
	http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(ra, 0, n))
	return nil
}

// cacheDir is where a reviewer desk keeps the attachments being viewed.
func (d *Desk) cacheDir() string { return filepath.Join(d.path("inbox"), ".open") }
