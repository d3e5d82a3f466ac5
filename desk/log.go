package desk

import (
	"context"
	"log/slog"
	"time"
)

// hourly is a slog.Handler that keeps record times only to the hour, like
// the server's log: a log to the millisecond would tell when each interview
// was sealed, synced or exported, more precisely than the sealed file's own
// day. Every desk log line goes through it.
type hourly struct{ slog.Handler }

func (h hourly) Handle(ctx context.Context, r slog.Record) error {
	r.Time = r.Time.Truncate(time.Hour)
	return h.Handler.Handle(ctx, r)
}

func (h hourly) WithAttrs(as []slog.Attr) slog.Handler {
	return hourly{h.Handler.WithAttrs(as)}
}

func (h hourly) WithGroup(name string) slog.Handler {
	return hourly{h.Handler.WithGroup(name)}
}
