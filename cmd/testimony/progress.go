package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// runProgress shows how a long run goes on stderr: on a terminal, one line
// rewritten in place a few times a second; otherwise a plain line every
// half minute, so that logs of a cron job stay short.
type runProgress struct {
	w        io.Writer
	name     string
	tty      bool
	every    time.Duration
	last     time.Time
	shown    bool
	lastLine string
}

func newRunProgress(w io.Writer, name string) *runProgress {
	p := &runProgress{w: w, name: name, every: 30 * time.Second, last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.every = true, 200*time.Millisecond
	}
	return p
}

// update is a backup.Progress.
func (p *runProgress) update(phase string, done, total, bytes int64) {
	now := time.Now()
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	what := map[string]string{"metadata": "log entries", "blobs": "files", "verify": "files checked", "restore": "records", "open": "files opened"}[phase]
	line := fmt.Sprintf("%s: %s %s", p.name, phase, commas(done))
	if total > 0 {
		line += " / " + commas(total)
	}
	line += " " + what
	if bytes > 0 {
		line += ", " + size(bytes)
	}
	p.lastLine = line
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// finish ends the line on a terminal.
func (p *runProgress) finish() {
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
