package expr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse parses an expression of a survey form. Bare names are refused: a
// question is named ${name}. The error is a *SyntaxError.
func Parse(src string) (*Expr, error) { return parse(src, false) }

// ParseFilter parses a choice_filter expression, in which a bare name
// (name, province) is the column of that name of the choice being
// filtered, as in XLSForm.
func ParseFilter(src string) (*Expr, error) { return parse(src, true) }

// function is a supported function: its arity.
type function struct{ min, max int }

// functions are the supported functions. max -1 means any number.
var functions = map[string]function{
	"not":            {1, 1},
	"selected":       {2, 2},
	"count-selected": {1, 1},
	"string-length":  {0, 1},
	"today":          {0, 0},
	"if":             {3, 3},
	"coalesce":       {2, 2},
	"true":           {0, 0},
	"false":          {0, 0},
	"concat":         {1, -1},
	"int":            {1, 1},
	"number":         {1, 1},
	"string":         {1, 1},
	"round":          {1, 2},
}

type tokKind int

const (
	tEOF  tokKind = iota
	tNum          // 12, 1.5, .5
	tStr          // 'x' (val unquoted)
	tRef          // ${x} (val x)
	tSelf         // .
	tName         // a name: a function, an operator word, or a column
	tPunc         // ( ) , = != < <= > >= + - *
)

type token struct {
	kind tokKind
	val  string
	off  int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
func isNameChar(c byte) bool { return isNameStart(c) || isDigit(c) || c == '.' || c == '-' || c == ':' }

// lex splits src into tokens.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i == len(src) {
			return append(toks, token{tEOF, "", i}), nil
		}
		start := i
		c := src[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(src[i+1:], c)
			if end < 0 {
				return nil, &SyntaxError{start, "a string is not closed: add the missing " + string(c)}
			}
			toks = append(toks, token{tStr, src[i+1 : i+1+end], start})
			i += end + 2
		case c == '$':
			if i+1 >= len(src) || src[i+1] != '{' {
				return nil, &SyntaxError{start, "a $ must start a reference such as ${name}"}
			}
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return nil, &SyntaxError{start, "a reference ${… is not closed: add the missing }"}
			}
			name := src[i+2 : i+end]
			if !validRefName(name) {
				return nil, &SyntaxError{start, fmt.Sprintf("${%s} does not name a question: a name is letters, digits, '.', '-' and '_', starting with a letter or _", name)}
			}
			toks = append(toks, token{tRef, name, start})
			i += end + 1
		case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
			for i < len(src) && isDigit(src[i]) {
				i++
			}
			if i < len(src) && src[i] == '.' {
				i++
				for i < len(src) && isDigit(src[i]) {
					i++
				}
			}
			toks = append(toks, token{tNum, src[start:i], start})
		case c == '.':
			if i+1 < len(src) && src[i+1] == '.' {
				toks = append(toks, token{tPunc, "..", start}) // refused by the parser
				i += 2
				continue
			}
			toks = append(toks, token{tSelf, ".", start})
			i++
		case isNameStart(c):
			for i < len(src) && isNameChar(src[i]) {
				i++
			}
			toks = append(toks, token{tName, src[start:i], start})
		case c == '!' || c == '<' || c == '>':
			i++
			if i < len(src) && src[i] == '=' {
				i++
			} else if c == '!' {
				return nil, &SyntaxError{start, "! is not an operator: write != or not(…)"}
			}
			toks = append(toks, token{tPunc, src[start:i], start})
		case strings.IndexByte("(),=+-*", c) >= 0:
			i++
			toks = append(toks, token{tPunc, src[start:i], start})
		case c == '/':
			i++
			toks = append(toks, token{tPunc, "/", start}) // refused by the parser
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, &SyntaxError{start, fmt.Sprintf("unexpected character %q", r)}
		}
	}
}

func validRefName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) || s[i] == ':' {
			return false
		}
	}
	return true
}

type parser struct {
	toks    []token
	pos     int
	nest    int  // open parentheses and calls
	columns bool // bare names are columns (a choice filter)
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func parse(src string, columns bool) (*Expr, error) {
	if len(src) > MaxSource {
		return nil, &SyntaxError{MaxSource, fmt.Sprintf("the expression is longer than %d bytes", MaxSource)}
	}
	if !utf8.ValidString(src) {
		return nil, &SyntaxError{0, "the expression is not UTF-8 text"}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, columns: columns}
	if p.peek().kind == tEOF {
		return nil, &SyntaxError{0, "the expression is empty"}
	}
	root, err := p.binary(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, &SyntaxError{t.off, fmt.Sprintf("unexpected %s after a complete expression", describe(t))}
	}
	if d := depth(root); d > MaxDepth {
		return nil, &SyntaxError{0, fmt.Sprintf("the expression is nested %d deep, more than %d", d, MaxDepth)}
	}
	return &Expr{src: src, root: root}, nil
}

func depth(n *node) int {
	d := 0
	for _, a := range n.Args {
		d = max(d, depth(a))
	}
	return d + 1
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of the expression"
	case tNum:
		return "number " + t.val
	case tStr:
		return "string '" + t.val + "'"
	case tRef:
		return "${" + t.val + "}"
	case tSelf:
		return "."
	case tName:
		return "name " + t.val
	}
	return "'" + t.val + "'"
}

// levels are the binary operators by precedence, lowest first.
var levels = [][]string{
	{"or"},
	{"and"},
	{"=", "!="},
	{"<", "<=", ">", ">="},
	{"+", "-"},
	{"*", "div", "mod"},
}

// operator returns the binary operator t is at precedence level, if it is
// one. An operator word (and, or, div, mod) is only ever read here, after
// an operand, which is XPath's rule.
func operator(t token, level int) (string, bool) {
	if t.kind != tPunc && t.kind != tName {
		return "", false
	}
	for _, op := range levels[level] {
		if t.val == op {
			return op, true
		}
	}
	return "", false
}

// binary parses operators of precedence level and above, left to right.
// The depth of the tree is checked once it is built; the recursion here
// is bounded by the source's length and the checks in primary.
func (p *parser) binary(level int) (*node, error) {
	if level == len(levels) {
		return p.unary()
	}
	left, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		op, ok := operator(p.peek(), level)
		if !ok {
			return left, nil
		}
		p.next()
		right, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		left = &node{Kind: kOp, Val: op, Args: []*node{left, right}}
		if depth(left) > MaxDepth {
			return nil, &SyntaxError{p.peek().off, fmt.Sprintf("the expression is nested more than %d deep", MaxDepth)}
		}
	}
}

func (p *parser) unary() (*node, error) {
	var minus []token
	for t := p.peek(); t.kind == tPunc && t.val == "-"; t = p.peek() {
		minus = append(minus, p.next())
		if len(minus) > MaxDepth {
			return nil, &SyntaxError{t.off, fmt.Sprintf("the expression is nested more than %d deep", MaxDepth)}
		}
	}
	n, err := p.primary()
	if err != nil {
		return nil, err
	}
	for range minus {
		n = &node{Kind: kNeg, Args: []*node{n}}
	}
	return n, nil
}

func (p *parser) primary() (*node, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil && f == 0 { // a range error still gives ±Inf
			return nil, &SyntaxError{t.off, fmt.Sprintf("%s is not a number", t.val)}
		}
		return &node{Kind: kNum, Val: t.val, num: f}, nil
	case tStr:
		return &node{Kind: kStr, Val: t.val}, nil
	case tRef:
		return &node{Kind: kRef, Val: t.val}, nil
	case tSelf:
		return &node{Kind: kSelf}, nil
	case tPunc:
		switch t.val {
		case "..":
			return nil, &SyntaxError{t.off, "the parent path .. is not supported: refer to a question as ${name}"}
		case "/":
			return nil, &SyntaxError{t.off, "paths such as /data/name are not supported: refer to a question as ${name}"}
		}
		if t.val == "(" {
			if err := p.enter(t); err != nil {
				return nil, err
			}
			defer p.leave()
			n, err := p.binary(0)
			if err != nil {
				return nil, err
			}
			if c := p.next(); c.kind != tPunc || c.val != ")" {
				return nil, &SyntaxError{c.off, fmt.Sprintf("expected ) to close the ( at offset %d, found %s", t.off, describe(c))}
			}
			return n, nil
		}
	case tName:
		if c := p.peek(); c.kind == tPunc && c.val == "(" {
			return p.call(t)
		}
		if p.columns && !strings.Contains(t.val, ":") {
			return &node{Kind: kCol, Val: t.val}, nil
		}
		return nil, &SyntaxError{t.off, fmt.Sprintf("unexpected name %s: refer to a question as ${%s}", t.val, t.val)}
	case tEOF:
		return nil, &SyntaxError{t.off, "the expression ends where a value is expected"}
	}
	return nil, &SyntaxError{t.off, fmt.Sprintf("unexpected %s where a value is expected", describe(t))}
}

// enter and leave bound the parser's recursion through parentheses and
// calls.
func (p *parser) enter(t token) error {
	p.nest++
	if p.nest > MaxDepth {
		return &SyntaxError{t.off, fmt.Sprintf("the expression is nested more than %d deep", MaxDepth)}
	}
	return nil
}

func (p *parser) leave() { p.nest-- }

func (p *parser) call(name token) (*node, error) {
	fn, ok := functions[name.val]
	if !ok {
		return nil, &SyntaxError{name.off, fmt.Sprintf("the function %s() is not supported", name.val)}
	}
	open := p.next()
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer p.leave()
	n := &node{Kind: kFn, Val: name.val}
	if c := p.peek(); c.kind == tPunc && c.val == ")" {
		p.next()
	} else {
		for {
			a, err := p.binary(0)
			if err != nil {
				return nil, err
			}
			n.Args = append(n.Args, a)
			c := p.next()
			if c.kind == tPunc && c.val == ")" {
				break
			}
			if c.kind != tPunc || c.val != "," {
				return nil, &SyntaxError{c.off, fmt.Sprintf("expected , or ) in the call of %s() at offset %d, found %s", name.val, name.off, describe(c))}
			}
		}
	}
	if len(n.Args) < fn.min || fn.max >= 0 && len(n.Args) > fn.max {
		want := fmt.Sprintf("%d", fn.min)
		switch {
		case fn.max < 0:
			want = fmt.Sprintf("at least %d", fn.min)
		case fn.max != fn.min:
			want = fmt.Sprintf("%d or %d", fn.min, fn.max)
		}
		return nil, &SyntaxError{name.off, fmt.Sprintf("%s() takes %s arguments, not %d", name.val, want, len(n.Args))}
	}
	return n, nil
}
