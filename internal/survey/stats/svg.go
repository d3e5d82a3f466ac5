package stats

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"
)

// ChartText holds the chart's words in the reader's language; the desk
// fills it. Every text is escaped when it is written into the SVG.
type ChartText struct {
	// Title names the chart (the question's label); Desc describes it
	// for screen readers ("Percentages of the 20 who answered").
	Title, Desc string
	// Other and NoAnswer label the special rows.
	Other, NoAnswer string
	// Hidden explains the hatched bars ("Hatched: hidden, fewer than 5
	// or hiding another count").
	Hidden string
}

// fontFamily is the desk's, so that Hangul renders wherever the desk's
// pages do.
const fontFamily = `'Noto Sans KR', 'Noto Sans CJK KR', 'Apple SD Gothic Neo', 'Malgun Gothic', system-ui, sans-serif`

// Chart returns an SVG chart of q's table, to be put in an HTML page as
// it is: horizontal bars of percentages for choices, one stacked bar for
// a Likert question, a histogram for numbers. A hidden count is drawn as
// a hatched empty bar labelled with its text ("<5", "x"), never at its
// length. It returns "" when q has no chart (withheld, or not counted).
// id must be unique in the page and a valid XML name; it prefixes the
// SVG's ids.
func Chart(q *Question, id string, text ChartText) string {
	if q.Why != "" || len(q.Rows) == 0 {
		return ""
	}
	rows := q.Rows
	if q.OfAll && q.Kind != KindMultiple {
		// The base is all responses: "no answer" is part of it.
		rows = append(rows[:len(rows):len(rows)], q.NoAnswer)
	}
	c := &canvas{id: esc(id), text: text}
	switch q.Kind {
	case KindLikert:
		c.stacked(rows)
	case KindNumber:
		c.histogram(rows)
	default:
		c.bars(rows)
	}
	return c.svg()
}

// canvas builds one SVG.
type canvas struct {
	id     string
	text   ChartText
	body   strings.Builder
	w, h   int
	hidden bool // a hatched bar was drawn: show the legend
}

func esc(s string) string { return html.EscapeString(s) }

// short cuts a label to n characters for the chart; the whole label is in
// the bar's title.
func short(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func (c *canvas) label(r Row) string {
	switch r.Special {
	case SpecialOther:
		return c.text.Other
	case SpecialNoAnswer:
		return c.text.NoAnswer
	}
	return r.Label
}

// value is how a row's number is written next to its bar.
func value(r Row) string {
	if r.Hidden() {
		return r.Text
	}
	return r.Percent + " (" + r.Text + ")"
}

func (c *canvas) printf(format string, args ...any) { fmt.Fprintf(&c.body, format, args...) }

// hatched draws the hatched empty bar of a hidden count.
func (c *canvas) hatched(x, y, w, h int) {
	c.hidden = true
	c.printf(`<rect x="%d" y="%d" width="%d" height="%d" fill="url(#%s-hatch)" stroke="#5b6472" stroke-dasharray="3 2" class="hidden-bar"/>`, x, y, w, h, c.id)
}

const (
	trackX = 8
	trackW = 440
	barH   = 16
)

// bars draws one horizontal bar per row.
func (c *canvas) bars(rows []Row) {
	c.w = 600
	y := 8
	for _, r := range rows {
		l := c.label(r)
		c.printf(`<g><title>%s: %s</title>`, esc(l), esc(value(r)))
		c.printf(`<text x="%d" y="%d" font-size="13">%s</text>`, trackX, y+13, esc(short(l, 60)))
		y += 18
		c.printf(`<rect x="%d" y="%d" width="%d" height="%d" fill="#f3f5f8"/>`, trackX, y, trackW, barH)
		if r.Hidden() {
			c.hatched(trackX, y, trackW, barH)
		} else if r.Share > 0 {
			c.printf(`<rect x="%d" y="%d" width="%d" height="%d" fill="#1f4e8c" class="bar"/>`, trackX, y, max(1, r.Share*trackW/100), barH)
		}
		c.printf(`<text x="%d" y="%d" font-size="13">%s</text></g>`, trackX+trackW+10, y+13, esc(value(r)))
		y += barH + 10
	}
	c.h = y
}

// likertFill are the segments' colours, from the first choice to the last.
var likertFill = []string{"#a1262a", "#d9822b", "#c9ced6", "#6b9bd1", "#1f4e8c", "#16233a", "#8a5a00"}

// stacked draws one bar of 100 %, a segment per shown row, and the hidden
// rows together as one hatched segment: their sum is the base less the
// shown counts, which the table shows anyway.
func (c *canvas) stacked(rows []Row) {
	c.w = 600
	x, y := trackX, 8
	const w = 580
	var hidden []string
	for i, r := range rows {
		if r.Hidden() {
			hidden = append(hidden, c.label(r)+" "+r.Text)
			continue
		}
		sw := r.Share * w / 100
		if sw > 0 {
			c.printf(`<rect x="%d" y="%d" width="%d" height="24" fill="%s" class="bar"><title>%s: %s</title></rect>`,
				x, y, sw, likertFill[i%len(likertFill)], esc(c.label(r)), esc(value(r)))
			if sw >= 36 {
				c.printf(`<text x="%d" y="%d" font-size="12" fill="#ffffff" text-anchor="middle">%s</text>`, x+sw/2, y+16, esc(r.Percent))
			}
		}
		x += sw
	}
	if len(hidden) > 0 {
		c.hatched(x, y, max(8, trackX+w-x), 24)
		c.printf(`<title>%s</title>`, esc(strings.Join(hidden, ", ")))
	}
	// The key: a swatch and the label of every row.
	y += 40
	for i, r := range rows {
		c.printf(`<g>`)
		if r.Hidden() {
			c.hatched(trackX, y, 12, 12)
		} else {
			c.printf(`<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`, trackX, y, likertFill[i%len(likertFill)])
		}
		c.printf(`<text x="%d" y="%d" font-size="13">%s — %s</text></g>`, trackX+18, y+11, esc(short(c.label(r), 50)), esc(value(r)))
		y += 20
	}
	c.h = y + 4
}

// histogram draws a vertical bar per band, scaled to the largest shown.
func (c *canvas) histogram(rows []Row) {
	c.w = 600
	const top, height = 20, 160
	n := len(rows)
	bw := (c.w - 2*trackX) / max(n, 1)
	most := 1
	for _, r := range rows {
		if !r.Hidden() && r.Share > most {
			most = r.Share
		}
	}
	every := 1 + n/12 // label every band, or every other when crowded
	for i, r := range rows {
		x := trackX + i*bw
		c.printf(`<g><title>%s: %s</title>`, esc(c.label(r)), esc(value(r)))
		if r.Hidden() {
			c.hatched(x+1, top, bw-2, height)
			c.printf(`<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>`, x+bw/2, top+height/2, esc(r.Text))
		} else if r.Share >= 0 {
			bh := r.Share * height / most
			c.printf(`<rect x="%d" y="%d" width="%d" height="%d" fill="#1f4e8c" class="bar"/>`, x+1, top+height-bh, bw-2, bh)
			c.printf(`<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>`, x+bw/2, top+height-bh-4, esc(r.Percent))
		}
		if i%every == 0 {
			c.printf(`<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>`, x+bw/2, top+height+14, esc(short(c.label(r), 12)))
		}
		c.printf(`</g>`)
	}
	c.printf(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#5b6472"/>`, trackX, top+height, c.w-trackX, top+height)
	c.h = top + height + 24
}

func (c *canvas) svg() string {
	if c.hidden {
		c.printf(`<g class="legend">`)
		c.hatched(trackX, c.h, 24, 12)
		c.printf(`<text x="%d" y="%d" font-size="12">%s</text></g>`, trackX+30, c.h+11, esc(c.text.Hidden))
		c.h += 22
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 %d %d" width="%d" height="%d" font-family="%s" aria-labelledby="%s-title %s-desc">`,
		c.w, c.h, c.w, c.h, esc(fontFamily), c.id, c.id)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, c.id, esc(c.text.Title), c.id, esc(c.text.Desc))
	fmt.Fprintf(&b, `<defs><pattern id="%s-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8a93a3" stroke-width="2"/></pattern></defs>`, c.id)
	b.WriteString(c.body.String())
	b.WriteString(`</svg>`)
	return b.String()
}
