// Package expr parses and evaluates the XLSForm expressions that survey
// forms write in their relevant, constraint, calculation, required,
// choice_filter, repeat_count and read_only columns. The same syntax tree,
// as JSON ([Expr.MarshalJSON]), is evaluated in the desk's browser by
// desk/static/expr.js with the same results; a test runs one table of
// expressions through both.
//
// # Language
//
// The subset real forms use, with XPath 1.0 / XForms meaning:
//
//   - ${name} is the answer to the question name, always a string ("" when
//     not answered); . is the answer being checked (in a constraint);
//   - string literals in '…' or "…" (no escapes, as in XPath), numbers
//     written 12, 1.5, .5 or 1.;
//   - = != < <= > >=, + - * div mod, unary -, and, or, parentheses;
//   - the functions not, selected, count-selected, string-length, today,
//     if, coalesce, true, false, concat, int, number, string and round
//     (round(x), or round(x, digits) with 0 to 15 digits, else NaN).
//
// Anything else (paths such as /data/x or .., other functions such as
// regex() or position(), the union |) is refused with a [*SyntaxError]
// naming it and its byte offset. A choice filter ([ParseFilter]) may also
// name a column of the choices sheet by its bare name (name, province).
//
// # Values and coercions
//
// A value is a string, a number (float64) or a boolean, converted as XPath
// 1.0 converts them:
//
//   - string to number: optional spaces, an optional -, digits with an
//     optional decimal point, optional spaces; anything else, "" included,
//     is NaN. One extension, as ODK does for date questions: a date
//     YYYY-MM-DD (a real calendar day, years 0000-9999) is its number of
//     days since 1970-01-01, so today() - ${born} is a number of days and
//     dates order by < and > as they do as text;
//   - number to string: NaN, Infinity, -Infinity, else the shortest decimal
//     that reads back as the same float64, without an exponent; integers
//     have no ".0" and -0 is "0" (Go's strconv.FormatFloat(n, 'f', -1, 64));
//   - to boolean: a string is true when not empty, a number when neither 0
//     nor NaN; booleans become "true"/"false" and 1/0.
//
// = and != compare as booleans if either side is a boolean, else as numbers
// if either side is a number, else as strings; NaN equals nothing. < <= >
// >= compare numbers. and, or and if() evaluate only what they need.
// selected(list, x) splits list at spaces. int() truncates toward zero;
// round() rounds halves up (round(-2.5) is -2); string-length() counts
// characters, not bytes.
//
// # Limits
//
// A hostile form must not hang a desk. Source is at most [MaxSource] bytes
// of UTF-8, the tree at most [MaxDepth] deep; evaluation is linear in the
// tree (there are no loops) and charges each node and each byte of string
// it reads or builds against a budget of [MaxCost]; strings it builds are
// at most [MaxString] bytes. Past a limit, Parse returns a *SyntaxError and
// Eval [ErrCost].
package expr

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Limits.
const (
	// MaxSource is the longest expression, in bytes.
	MaxSource = 4 << 10
	// MaxDepth is the deepest syntax tree (parentheses, operators and
	// function calls each add a level).
	MaxDepth = 128
	// MaxString is the longest string an evaluation builds, in bytes.
	MaxString = 256 << 10
	// MaxCost is an evaluation's budget: one unit per node evaluated and
	// per byte of string read or built.
	MaxCost = 4 << 20
)

// SyntaxError is an expression that does not parse, or uses what this
// package does not support.
type SyntaxError struct {
	// Offset is the byte offset in the source where the mistake is.
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("at offset %d: %s", e.Offset, e.Msg) }

// Kind is the kind of a syntax tree node.
type kind string

const (
	kNum  kind = "num"  // a number literal; Val is its text
	kStr  kind = "str"  // a string literal; Val is its value
	kRef  kind = "ref"  // ${Val}
	kSelf kind = "self" // .
	kCol  kind = "col"  // a bare name in a choice filter: the choice's column Val
	kNeg  kind = "neg"  // -Args[0]
	kOp   kind = "op"   // Args[0] Val Args[1], Val one of the binary operators
	kFn   kind = "fn"   // Val(Args...)
)

// node is a syntax tree node. Its JSON is the tree the browser evaluates:
// {"k": kind, "v": text, "a": [arguments]}, fields left out when empty.
type node struct {
	Kind kind    `json:"k"`
	Val  string  `json:"v,omitempty"`
	Args []*node `json:"a,omitempty"`
	// num is the value of a number literal.
	num float64
}

// Expr is a parsed expression. It is immutable and safe for concurrent
// use.
type Expr struct {
	src  string
	root *node
}

// Source returns the text e was parsed from.
func (e *Expr) Source() string { return e.src }

// Refs returns the names e refers to as ${name}, each once, in the order
// they first appear.
func (e *Expr) Refs() []string { return e.collect(kRef) }

// Columns returns the bare names a choice filter refers to (columns of the
// choices sheet), each once, in order.
func (e *Expr) Columns() []string { return e.collect(kCol) }

// UsesSelf reports whether e refers to the current answer, ".".
func (e *Expr) UsesSelf() bool { return len(e.collect(kSelf)) > 0 }

// Funcs returns the functions e calls, each once, in order.
func (e *Expr) Funcs() []string { return e.collect(kFn) }

func (e *Expr) collect(k kind) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if n.Kind == k && !seen[n.Val] {
			seen[n.Val] = true
			out = append(out, n.Val)
		}
		for _, a := range n.Args {
			walk(a)
		}
	}
	walk(e.root)
	return out
}

// String returns e in a canonical form that parses to the same tree: every
// operation in parentheses, strings in single quotes unless they hold one.
func (e *Expr) String() string {
	var b strings.Builder
	e.root.write(&b)
	return b.String()
}

func (n *node) write(b *strings.Builder) {
	switch n.Kind {
	case kNum, kCol:
		b.WriteString(n.Val)
	case kStr:
		q := "'"
		if strings.Contains(n.Val, "'") {
			q = `"`
		}
		b.WriteString(q + n.Val + q)
	case kRef:
		b.WriteString("${" + n.Val + "}")
	case kSelf:
		b.WriteString(".")
	case kNeg:
		b.WriteString("-(")
		n.Args[0].write(b)
		b.WriteString(")")
	case kOp:
		b.WriteString("(")
		n.Args[0].write(b)
		b.WriteString(" " + n.Val + " ")
		n.Args[1].write(b)
		b.WriteString(")")
	case kFn:
		b.WriteString(n.Val + "(")
		for i, a := range n.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.write(b)
		}
		b.WriteString(")")
	}
}

// MarshalJSON returns the syntax tree for the browser's evaluator
// (desk/static/expr.js). Each node is an object: "k" its kind — "num" (a
// number literal, "v" its text), "str" (a string, "v"), "ref" (${v}),
// "self" (.), "col" (a choice's column v), "neg" (minus "a"[0]), "op" (the
// binary operator "v" of "a"[0] and "a"[1]: = != < <= > >= + - * div mod
// and or), "fn" (the function "v" called with the arguments "a").
func (e *Expr) MarshalJSON() ([]byte, error) { return json.Marshal(e.root) }
