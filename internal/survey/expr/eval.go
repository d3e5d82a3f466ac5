package expr

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Env is what an expression reads. Implementations need not be safe for
// concurrent use unless the caller evaluates concurrently.
type Env interface {
	// Lookup returns the answer to the question name, "" if it has none;
	// ok is false if the form has no question name (Eval then fails).
	Lookup(name string) (value string, ok bool)
	// Self returns the answer being checked, ".".
	Self() string
	// Today returns the day of the interview, YYYY-MM-DD.
	Today() string
}

// Columns is implemented by the Env of a choice filter: Column returns the
// value of a column of the choice being filtered ("" when the choice leaves
// it empty); ok is false if the choices sheet has no such column.
type Columns interface {
	Column(name string) (value string, ok bool)
}

// ErrCost is returned by Eval when an evaluation passes MaxCost or builds
// a string longer than MaxString.
var ErrCost = errors.New("the expression costs too much to evaluate")

type valueKind uint8

const (
	kindString valueKind = iota
	kindNumber
	kindBool
)

// Value is the value of an expression: a string, a number or a boolean.
// The zero Value is the empty string.
type Value struct {
	kind valueKind
	s    string
	n    float64
	b    bool
}

// StringValue, NumberValue and BoolValue make values.
func StringValue(s string) Value  { return Value{kind: kindString, s: s} }
func NumberValue(n float64) Value { return Value{kind: kindNumber, n: n} }
func BoolValue(b bool) Value      { return Value{kind: kindBool, b: b} }

// IsString, IsNumber and IsBool report the value's type.
func (v Value) IsString() bool { return v.kind == kindString }
func (v Value) IsNumber() bool { return v.kind == kindNumber }
func (v Value) IsBool() bool   { return v.kind == kindBool }

// String converts v to a string, as XPath's string().
func (v Value) String() string {
	switch v.kind {
	case kindNumber:
		return FormatNumber(v.n)
	case kindBool:
		if v.b {
			return "true"
		}
		return "false"
	}
	return v.s
}

// Number converts v to a number, as XPath's number() (with dates as days,
// see the package documentation).
func (v Value) Number() float64 {
	switch v.kind {
	case kindNumber:
		return v.n
	case kindBool:
		if v.b {
			return 1
		}
		return 0
	}
	return ParseNumber(v.s)
}

// Bool converts v to a boolean, as XPath's boolean().
func (v Value) Bool() bool {
	switch v.kind {
	case kindNumber:
		return v.n != 0 && !math.IsNaN(v.n)
	case kindBool:
		return v.b
	}
	return v.s != ""
}

// FormatNumber writes n as XPath's string() does: "NaN", "Infinity",
// "-Infinity", else the shortest decimal that reads back as n, with no
// exponent and no ".0" ("-0" is "0").
func FormatNumber(n float64) string {
	switch {
	case math.IsNaN(n):
		return "NaN"
	case math.IsInf(n, 1):
		return "Infinity"
	case math.IsInf(n, -1):
		return "-Infinity"
	case n == 0:
		return "0"
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

func isXMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// ParseNumber reads s as XPath's number() does: spaces, an optional -,
// digits with an optional decimal point, spaces; NaN for anything else.
// A date YYYY-MM-DD is its number of days since 1970-01-01.
func ParseNumber(s string) float64 {
	s = strings.TrimFunc(s, isXMLSpace)
	if d, ok := Days(s); ok {
		return float64(d)
	}
	t := strings.TrimPrefix(s, "-")
	digits, point := 0, 0
	for i := 0; i < len(t); i++ {
		switch {
		case isDigit(t[i]):
			digits++
		case t[i] == '.':
			point++
		default:
			return math.NaN()
		}
	}
	if digits == 0 || point > 1 {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return math.NaN()
	}
	return f
}

// Days returns the number of days from 1970-01-01 to the date s,
// YYYY-MM-DD, and whether s is such a date (a real day of years 0000 to
// 9999).
func Days(s string) (int, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(t string) int {
		n := 0
		for i := 0; i < len(t); i++ {
			if !isDigit(t[i]) {
				return -1
			}
			n = n*10 + int(t[i]-'0')
		}
		return n
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 0 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
	month := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && leap {
		month = 29
	}
	if d > month {
		return 0, false
	}
	// Days from civil, after H. Hinnant; y >= 0 so the divisions are exact
	// floors.
	if m <= 2 {
		y--
	}
	era := (y + 400) / 400 // shifted so that y = -1 stays non-negative
	yoe := y + 400 - era*400
	era--
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468, true
}

// Eval evaluates e in env.
func (e *Expr) Eval(env Env) (Value, error) {
	ev := &evaluator{env: env}
	return ev.eval(e.root)
}

// EvalBool evaluates e and converts the result to a boolean.
func (e *Expr) EvalBool(env Env) (bool, error) {
	v, err := e.Eval(env)
	return v.Bool(), err
}

// EvalString evaluates e and converts the result to a string.
func (e *Expr) EvalString(env Env) (string, error) {
	v, err := e.Eval(env)
	return v.String(), err
}

type evaluator struct {
	env  Env
	cost int
}

// charge spends n units of the budget.
func (ev *evaluator) charge(n int) error {
	ev.cost += n
	if ev.cost > MaxCost {
		return ErrCost
	}
	return nil
}

// str returns s after charging its length.
func (ev *evaluator) str(s string) (Value, error) {
	return StringValue(s), ev.charge(len(s))
}

func (ev *evaluator) eval(n *node) (Value, error) {
	if err := ev.charge(1); err != nil {
		return Value{}, err
	}
	switch n.Kind {
	case kNum:
		return NumberValue(n.num), nil
	case kStr:
		return ev.str(n.Val)
	case kRef:
		s, ok := ev.env.Lookup(n.Val)
		if !ok {
			return Value{}, fmt.Errorf("${%s} names no question of the form", n.Val)
		}
		return ev.str(s)
	case kSelf:
		return ev.str(ev.env.Self())
	case kCol:
		cols, ok := ev.env.(Columns)
		if !ok {
			return Value{}, fmt.Errorf("the bare name %s can only be used in a choice filter", n.Val)
		}
		s, ok := cols.Column(n.Val)
		if !ok {
			return Value{}, fmt.Errorf("the choices have no column %s", n.Val)
		}
		return ev.str(s)
	case kNeg:
		a, err := ev.eval(n.Args[0])
		return NumberValue(-a.Number()), err
	case kOp:
		return ev.op(n)
	case kFn:
		return ev.call(n)
	}
	return Value{}, fmt.Errorf("unknown node %q", n.Kind)
}

func (ev *evaluator) op(n *node) (Value, error) {
	a, err := ev.eval(n.Args[0])
	if err != nil {
		return Value{}, err
	}
	switch n.Val {
	case "and":
		if !a.Bool() {
			return BoolValue(false), nil
		}
		b, err := ev.eval(n.Args[1])
		return BoolValue(b.Bool()), err
	case "or":
		if a.Bool() {
			return BoolValue(true), nil
		}
		b, err := ev.eval(n.Args[1])
		return BoolValue(b.Bool()), err
	}
	b, err := ev.eval(n.Args[1])
	if err != nil {
		return Value{}, err
	}
	x, y := a.Number(), b.Number()
	switch n.Val {
	case "=":
		return BoolValue(equal(a, b)), nil
	case "!=":
		return BoolValue(!equal(a, b)), nil
	case "<":
		return BoolValue(x < y), nil
	case "<=":
		return BoolValue(x <= y), nil
	case ">":
		return BoolValue(x > y), nil
	case ">=":
		return BoolValue(x >= y), nil
	case "+":
		return NumberValue(float64(x + y)), nil
	case "-":
		return NumberValue(float64(x - y)), nil
	case "*":
		return NumberValue(float64(x * y)), nil
	case "div":
		return NumberValue(float64(x / y)), nil
	case "mod":
		return NumberValue(math.Mod(x, y)), nil
	}
	return Value{}, fmt.Errorf("unknown operator %q", n.Val)
}

// equal is XPath's = on values that are not node sets.
func equal(a, b Value) bool {
	switch {
	case a.kind == kindBool || b.kind == kindBool:
		return a.Bool() == b.Bool()
	case a.kind == kindNumber || b.kind == kindNumber:
		return a.Number() == b.Number()
	}
	return a.s == b.s
}

// fields splits s at XML spaces.
func fields(s string) []string { return strings.FieldsFunc(s, isXMLSpace) }

func (ev *evaluator) call(n *node) (Value, error) {
	// if() evaluates one branch only.
	if n.Val == "if" {
		c, err := ev.eval(n.Args[0])
		if err != nil {
			return Value{}, err
		}
		if c.Bool() {
			return ev.eval(n.Args[1])
		}
		return ev.eval(n.Args[2])
	}
	args := make([]Value, len(n.Args))
	for i, a := range n.Args {
		v, err := ev.eval(a)
		if err != nil {
			return Value{}, err
		}
		args[i] = v
	}
	switch n.Val {
	case "not":
		return BoolValue(!args[0].Bool()), nil
	case "true":
		return BoolValue(true), nil
	case "false":
		return BoolValue(false), nil
	case "today":
		return ev.str(ev.env.Today())
	case "selected":
		want := strings.TrimFunc(args[1].String(), isXMLSpace)
		for _, f := range fields(args[0].String()) {
			if f == want {
				return BoolValue(true), nil
			}
		}
		return BoolValue(false), nil
	case "count-selected":
		return NumberValue(float64(len(fields(args[0].String())))), nil
	case "string-length":
		s := ev.env.Self()
		if len(args) == 1 {
			s = args[0].String()
		}
		return NumberValue(float64(utf8.RuneCountInString(s))), nil
	case "coalesce":
		if s := args[0].String(); s != "" {
			return StringValue(s), nil
		}
		return StringValue(args[1].String()), nil
	case "concat":
		var b strings.Builder
		for _, a := range args {
			s := a.String()
			if b.Len()+len(s) > MaxString {
				return Value{}, ErrCost
			}
			b.WriteString(s)
		}
		return ev.str(b.String())
	case "string":
		return StringValue(args[0].String()), nil
	case "number":
		return NumberValue(args[0].Number()), nil
	case "int":
		return NumberValue(math.Trunc(args[0].Number())), nil
	case "round":
		x := args[0].Number()
		if len(args) == 1 {
			return NumberValue(roundHalfUp(x)), nil
		}
		d := math.Trunc(args[1].Number())
		if !(d >= 0 && d <= 15) {
			return NumberValue(math.NaN()), nil
		}
		p, _ := strconv.ParseFloat("1e"+strconv.Itoa(int(d)), 64)
		return NumberValue(float64(roundHalfUp(float64(x*p)) / p)), nil
	}
	return Value{}, fmt.Errorf("unknown function %s()", n.Val)
}

// roundHalfUp rounds x to the nearest integer, halves toward +Infinity, as
// XPath's round().
func roundHalfUp(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	f := math.Floor(x)
	if x-f >= 0.5 {
		return f + 1
	}
	return f
}
