package server

import (
	"context"
	"log"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// logAttrs are the only attributes the request log may carry. The route is
// the pattern ("/api/v1/submissions/{id}"), never the path with its ID.
var logAttrs = map[string]bool{
	"method": true, "route": true, "status": true, "code": true,
	"bytes": true, "ms": true, "role": true,
}

// allowList is a slog.Handler that drops every attribute not in logAttrs.
type allowList struct{ slog.Handler }

func (h allowList) Handle(ctx context.Context, r slog.Record) error {
	// Times only to the hour: the database keeps only the day, and a log
	// to the millisecond would tell when each upload arrived.
	out := slog.NewRecord(r.Time.Truncate(time.Hour), r.Level, r.Message, 0)
	r.Attrs(func(a slog.Attr) bool {
		if logAttrs[a.Key] {
			out.AddAttrs(a)
		}
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h allowList) WithAttrs(as []slog.Attr) slog.Handler {
	var kept []slog.Attr
	for _, a := range as {
		if logAttrs[a.Key] {
			kept = append(kept, a)
		}
	}
	return allowList{h.Handler.WithAttrs(kept)}
}

func (h allowList) WithGroup(string) slog.Handler { return h }

// NewLogger returns a logger that writes JSON lines through the allow-list.
func NewLogger(h slog.Handler) *slog.Logger { return slog.New(allowList{h}) }

// newErrorLog replaces net/http's error log, whose messages name client
// addresses ("TLS handshake error from 192.0.2.1:…"): it records only that
// a connection failed.
func newErrorLog(l *slog.Logger) *log.Logger {
	return log.New(connErrorWriter{l}, "", 0)
}

type connErrorWriter struct{ l *slog.Logger }

func (w connErrorWriter) Write(p []byte) (int, error) {
	w.l.Warn("connection error")
	return len(p), nil
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	code   string
}

func (w *statusWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request, with allowed attributes only.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		attrs := []any{"method", r.Method, "route", route, "status", sw.status, "bytes", sw.bytes, "ms", time.Since(start).Milliseconds()}
		if sw.code != "" {
			attrs = append(attrs, "code", sw.code)
		}
		s.log.Info("request", attrs...)
	})
}
