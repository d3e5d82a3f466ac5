package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Default deadlines and caps. They hold off clients that connect and then
// stall (hundreds of connections that send a header and one byte of a
// body), while a 2 GiB upload or download over a slow link goes through:
// no deadline bounds a whole transfer, only each wait for the next bytes.
const (
	// DefaultHeaderTimeout bounds the TLS handshake and a request's
	// headers.
	DefaultHeaderTimeout = 10 * time.Second
	// DefaultBodyIdleTimeout bounds each wait for more of a request body.
	// A minute rides out a stalled mobile link or a Tor circuit being
	// rebuilt.
	DefaultBodyIdleTimeout = 60 * time.Second
	// DefaultWriteIdleTimeout bounds each wait for the client to take more
	// of a response.
	DefaultWriteIdleTimeout = 60 * time.Second
	// DefaultIdleTimeout bounds how long a kept-alive connection waits for
	// its next request.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultMaxConns caps open connections: far more than an
	// organisation's devices use, far fewer than exhaust memory or file
	// descriptors.
	DefaultMaxConns = 512
	// DefaultMaxUnauthenticated caps requests not yet authenticated.
	DefaultMaxUnauthenticated = 128
)

// busyRetryAfter is the Retry-After, in seconds, of a request refused
// because too many others are not yet authenticated.
const busyRetryAfter = 5

var (
	errBusy        = apiErr(http.StatusServiceUnavailable, "busy", "the server is busy; try again in a few seconds")
	errBodyTimeout = apiErr(http.StatusRequestTimeout, "body_timeout", "the request body stopped arriving; send it again")
)

// setLimitDefaults fills in the zero deadlines and caps of cfg.
func setLimitDefaults(cfg *Config) error {
	for _, d := range []*time.Duration{&cfg.HeaderTimeout, &cfg.BodyIdleTimeout, &cfg.WriteIdleTimeout, &cfg.IdleTimeout} {
		if *d < 0 {
			return errors.New("server: timeouts must not be negative")
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.HeaderTimeout, DefaultHeaderTimeout)
	def(&cfg.BodyIdleTimeout, DefaultBodyIdleTimeout)
	def(&cfg.WriteIdleTimeout, DefaultWriteIdleTimeout)
	def(&cfg.IdleTimeout, DefaultIdleTimeout)
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxUnauthenticated == 0 {
		cfg.MaxUnauthenticated = DefaultMaxUnauthenticated
	}
	return nil
}

// HTTPServer returns an http.Server that serves s.Handler with the
// configured header and idle timeouts and an error log that never records
// client addresses. Serve it on s.Listener(ln), which caps connections.
//
// It has no ReadTimeout or WriteTimeout: those bound a whole request or
// response, and would cut a slow 2 GiB transfer. The handler sets
// deadlines that move on while bytes move instead.
func (s *Server) HTTPServer() *http.Server {
	return httpServer(s.Handler(), s.log, s.cfg.HeaderTimeout, s.cfg.IdleTimeout)
}

// NewHTTPServer returns an http.Server for h with the default header and
// idle timeouts and an error log that never records client addresses.
// [Server.HTTPServer] uses the configured ones.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return httpServer(h, log, DefaultHeaderTimeout, DefaultIdleTimeout)
}

func httpServer(h http.Handler, log *slog.Logger, header, idle time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: header,
		IdleTimeout:       idle,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          newErrorLog(log),
	}
}

// Listener returns ln capped at the configured number of open
// connections. At the cap, Accept waits for one to close: further
// connections wait in the kernel's accept queue, costing the server
// nothing, and are refused by the kernel once that queue is full.
func (s *Server) Listener(ln net.Listener) net.Listener {
	if s.cfg.MaxConns < 0 {
		return ln
	}
	var warned onceAMinute
	return &limitListener{Listener: ln, sem: make(chan struct{}, s.cfg.MaxConns), done: make(chan struct{}), full: func() {
		if warned.now() {
			s.log.Warn("connection cap reached: new connections wait until others close (see --max-conns)")
		}
	}}
}

// limitListener caps the connections open at once.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	full      func()
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	default:
		l.full()
		select {
		case l.sem <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: sync.OnceFunc(func() { <-l.sem })}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// limitConn gives its listener's slot back when it is closed.
type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// onceAMinute says yes at most once a minute, so that a flood of refusals
// makes one log line, not one per refusal.
type onceAMinute struct{ last atomic.Int64 }

func (o *onceAMinute) now() bool {
	t := time.Now().Unix()
	last := o.last.Load()
	return t-last >= 60 && o.last.CompareAndSwap(last, t)
}

// limitsKey keys a request's *requestLimits in its context.
type limitsKey struct{}

// requestLimits is what the limits handler keeps of one request.
type requestLimits struct {
	rc      *http.ResponseController
	idle    time.Duration
	body    *deadlineReader // nil for a request without a body
	release func()          // gives back the unauthenticated slot; idempotent
}

// limits is the outermost handler. It puts every request under deadlines
// before anything else looks at it, authentication included:
//
//   - a request body must arrive within BodyIdleTimeout of the start of the
//     request while the request is not authenticated, and then each next
//     bytes within BodyIdleTimeout of the last (see deadlineReader);
//   - each write of the response must be taken by the client within
//     WriteIdleTimeout (see deadlineWriter);
//   - at most MaxUnauthenticated requests are in the part before their
//     token is checked (all of an unauthenticated request, like
//     enrollment); one more is answered 503 with Retry-After at once.
//
// An error answered before the body was read to its end closes the
// connection instead of reading the rest of a body nobody wants.
func (s *Server) limits(next http.Handler) http.Handler {
	var sem chan struct{}
	if s.cfg.MaxUnauthenticated > 0 {
		sem = make(chan struct{}, s.cfg.MaxUnauthenticated)
	}
	var warned onceAMinute
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		lim := &requestLimits{rc: rc, idle: s.cfg.BodyIdleTimeout, release: func() {}}
		dw := &deadlineWriter{ResponseWriter: w, rc: rc, idle: s.cfg.WriteIdleTimeout, closeOnError: r.ProtoMajor == 1}
		// A request without a body sets no read deadline: net/http is
		// already reading ahead on its connection, to notice a client
		// that goes away, and a deadline there would cancel a long
		// download.
		if r.Body != nil && r.Body != http.NoBody {
			rc.SetReadDeadline(time.Now().Add(s.cfg.BodyIdleTimeout))
			lim.body = &deadlineReader{r: r.Body, rc: rc, idle: s.cfg.BodyIdleTimeout}
			dw.body = lim.body
		}
		defer func() {
			// An error answered before the body ended: net/http would
			// still read what is left of the body, up to 256 KiB, before
			// closing the connection. It reads nothing more.
			if dw.closing {
				rc.SetReadDeadline(time.Now())
			}
			// The final flush, after the handler returns, gets its own
			// deadline.
			rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteIdleTimeout))
		}()
		if sem != nil {
			select {
			case sem <- struct{}{}:
				lim.release = sync.OnceFunc(func() { <-sem })
				defer lim.release()
			default:
				if warned.now() {
					s.log.Warn("too many unauthenticated requests: refusing more with 503 (see --max-unauthenticated)", "code", errBusy.Code)
				}
				dw.Header().Set("Retry-After", strconv.Itoa(busyRetryAfter))
				writeError(dw, errBusy)
				return
			}
		}
		// A shallow copy carries the new body, so that net/http still
		// sees its own body on its own request.
		r = r.WithContext(context.WithValue(r.Context(), limitsKey{}, lim))
		if lim.body != nil {
			r.Body = lim.body
		}
		next.ServeHTTP(dw, r)
	})
}

// authenticated wraps what runs once a request's token checks: the request
// leaves the unauthenticated cap, and its body deadline starts moving with
// the bytes that arrive.
func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lim, ok := r.Context().Value(limitsKey{}).(*requestLimits); ok {
			lim.release()
			if lim.body != nil {
				lim.body.authenticated()
			}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineReader is a request body under a read deadline. Until the
// request is authenticated the deadline stays where the limits handler
// set it, at the start of the request; after, every read moves it
// BodyIdleTimeout ahead, so that a slow but live upload of 2 GiB goes
// through and a stalled one is cut. At the end of the body it stops
// touching the deadline: net/http then reads ahead on the connection
// without one. A read cut by the deadline fails with errBodyTimeout.
type deadlineReader struct {
	r    io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	// authed is set once the request is authenticated; done once the
	// body has ended or failed. Reads come from the handler's goroutine,
	// but net/http may close the body from another.
	authed, done atomic.Bool
}

func (d *deadlineReader) authenticated() {
	if d.authed.CompareAndSwap(false, true) && !d.done.Load() {
		d.rc.SetReadDeadline(time.Now().Add(d.idle))
	}
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.done.Load() {
		return d.r.Read(p)
	}
	if d.authed.Load() {
		d.rc.SetReadDeadline(time.Now().Add(d.idle))
	}
	n, err := d.r.Read(p)
	if err != nil {
		d.done.Store(true)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return n, errBodyTimeout
		}
	}
	return n, err
}

func (d *deadlineReader) Close() error { return d.r.Close() }

// deadlineWriter is a response under a write deadline: every write (of at
// most writeChunk bytes) moves it WriteIdleTimeout ahead, so that a slow
// but live download goes on and one whose client stopped reading is cut.
type deadlineWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
	// body is the request body, nil if there is none.
	body *deadlineReader
	// closeOnError is set for HTTP/1, where "Connection: close" ends the
	// connection after the response; closing once that header is set.
	closeOnError, closing bool
}

func (w *deadlineWriter) WriteHeader(status int) {
	if status >= 400 && w.closeOnError && w.body != nil && !w.body.done.Load() {
		// Otherwise net/http would read up to 256 KiB of the body
		// before it sent the error.
		w.Header().Set("Connection", "close")
		w.closing = true
	}
	w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	w.ResponseWriter.WriteHeader(status)
}

// writeChunk is the most one write deadline covers, so that a handler
// writing a large buffer at once is not cut while the client takes it
// slowly.
const writeChunk = 64 << 10

func (w *deadlineWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		c := b[:min(len(b), writeChunk)]
		w.rc.SetWriteDeadline(time.Now().Add(w.idle))
		m, err := w.ResponseWriter.Write(c)
		n += m
		if err != nil {
			return n, err
		}
		b = b[len(c):]
	}
	return n, nil
}

func (w *deadlineWriter) Flush() {
	w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	w.rc.Flush()
}

func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
