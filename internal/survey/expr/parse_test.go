package expr

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestParseErrors: what is refused, where, and that the message names it.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		src    string
		offset int
		msg    string // a part of the message
		filter bool
	}{
		{"", 0, "empty", false},
		{"   ", 0, "empty", false},
		{"regex(., '^[0-9]+$')", 0, "regex() is not supported", false},
		{"${a} = 1 and position(..) = 1", 13, "position() is not supported", false},
		{"count(${household})", 0, "count() is not supported", false},
		{"jr:choice-name(${a}, '${a}')", 0, "jr:choice-name() is not supported", false},
		{"/data/age > 3", 0, "paths such as /data/name", false},
		{"${a} | ${b}", 5, "unexpected character '|'", false},
		{"../age", 0, "parent path ..", false},
		{"${a} = ../b", 7, "parent path ..", false},
		{"${a} / 2", 5, "unexpected '/' after a complete", false},
		{"age > 3", 0, "refer to a question as ${age}", false},
		{"province = 'x'", 0, "unexpected name province", false},
		{"jr:x = 1", 0, "unexpected name jr:x", true},
		{"${a", 0, "not closed", false},
		{"${}", 0, "does not name a question", false},
		{"${1a}", 0, "does not name a question", false},
		{"$a", 0, "a $ must start a reference", false},
		{"'abc", 0, "string is not closed", false},
		{`"abc'`, 0, "string is not closed", false},
		{"1 +", 3, "ends where a value is expected", false},
		{"(1", 2, "expected ) to close the ( at offset 0", false},
		{"1)", 1, "unexpected ')' after a complete expression", false},
		{"1 2", 2, "unexpected number 2", false},
		{"1e5", 1, "unexpected name e5", false},
		{"!${a}", 0, "write != or not", false},
		{"${a} == 1", 6, "unexpected '='", false},
		{"not()", 0, "not() takes 1 arguments, not 0", false},
		{"selected(${a})", 0, "selected() takes 2 arguments, not 1", false},
		{"if(1, 2)", 0, "if() takes 3 arguments", false},
		{"round(1, 2, 3)", 0, "round() takes 1 or 2 arguments", false},
		{"concat()", 0, "concat() takes at least 1 arguments", false},
		{"today(1)", 0, "today() takes 0 arguments", false},
		{"not(1 2)", 6, "expected , or ) in the call of not()", false},
		{"not(1,", 6, "ends where a value is expected", false},
		{"1 div", 5, "ends where a value is expected", false},
		{"* 2", 0, "unexpected '*' where a value is expected", false},
		{"${a} and", 8, "ends where a value is expected", false},
		{"1 ≥ 2", 2, "unexpected character '≥'", false},
		{"'a\xff'", 0, "not UTF-8", false},
		{strings.Repeat("(", 129) + "1" + strings.Repeat(")", 129), 128, "nested more than 128 deep", false},
		{strings.Repeat("-", 129) + "1", 128, "nested more than 128 deep", false},
		{strings.Repeat("1+", 128) + "1", 257, "nested more than 128 deep", false},
		// Calls and minus alternate: each level adds two to the tree.
		{strings.Repeat("-not(", 70) + "1" + strings.Repeat(")", 70), 0, "nested 141 deep, more than 128", false},
		{"'" + strings.Repeat("x", MaxSource) + "'", MaxSource, "longer than 4096 bytes", false},
	} {
		parse := Parse
		if c.filter {
			parse = ParseFilter
		}
		e, err := parse(c.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%.40q: parsed as %v (err %v), want a syntax error", c.src, e, err)
			continue
		}
		if se.Offset != c.offset || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("%.40q: error %q at %d, want %q at %d", c.src, se.Msg, se.Offset, c.msg, c.offset)
		}
	}
}

// TestParseLimits: the largest accepted expressions parse.
func TestParseLimits(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("(", 127) + "1" + strings.Repeat(")", 127),
		strings.Repeat("1+", 127) + "1",
		"'" + strings.Repeat("x", MaxSource-2) + "'",
	} {
		if _, err := Parse(src); err != nil {
			t.Errorf("%.40q: %v", src, err)
		}
	}
}

func TestRefs(t *testing.T) {
	for _, c := range []struct {
		src           string
		refs, columns []string
		self          bool
	}{
		{"1", nil, nil, false},
		{"${a} > ${b} and ${a} < 10 or selected(${c}, 'x')", []string{"a", "b", "c"}, nil, false},
		{". >= ${min} and . <= ${max.value}", []string{"min", "max.value"}, nil, true},
		{"if(${x-1}, ${_y}, .)", []string{"x-1", "_y"}, nil, true},
		{"province = ${province} and name != 'x' or province = ''", []string{"province"}, []string{"province", "name"}, false},
	} {
		e, err := ParseFilter(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if !slices.Equal(e.Refs(), c.refs) || !slices.Equal(e.Columns(), c.columns) || e.UsesSelf() != c.self {
			t.Errorf("%s: refs %q columns %q self %v, want %q %q %v", c.src, e.Refs(), e.Columns(), e.UsesSelf(), c.refs, c.columns, c.self)
		}
	}
}

// TestStringAndJSON: String is canonical and parses to the same tree; the
// JSON is the documented one.
func TestStringAndJSON(t *testing.T) {
	for _, c := range []struct{ src, str, json string }{
		{"1+2*3", "(1 + (2 * 3))", `{"k":"op","v":"+","a":[{"k":"num","v":"1"},{"k":"op","v":"*","a":[{"k":"num","v":"2"},{"k":"num","v":"3"}]}]}`},
		{"-${a} div .", "(-(${a}) div .)", `{"k":"op","v":"div","a":[{"k":"neg","a":[{"k":"ref","v":"a"}]},{"k":"self"}]}`},
		{`concat("it's", '')`, `concat("it's", '')`, `{"k":"fn","v":"concat","a":[{"k":"str","v":"it's"},{"k":"str"}]}`},
		{"today()", "today()", `{"k":"fn","v":"today"}`},
		{"a and b or c", "((a and b) or c)", `{"k":"op","v":"or","a":[{"k":"op","v":"and","a":[{"k":"col","v":"a"},{"k":"col","v":"b"}]},{"k":"col","v":"c"}]}`},
		{"1 < 2 = 2 > 1", "((1 < 2) = (2 > 1))", `{"k":"op","v":"=","a":[{"k":"op","v":"\u003c","a":[{"k":"num","v":"1"},{"k":"num","v":"2"}]},{"k":"op","v":"\u003e","a":[{"k":"num","v":"2"},{"k":"num","v":"1"}]}]}`},
		{"div div div", "(div div div)", `{"k":"op","v":"div","a":[{"k":"col","v":"div"},{"k":"col","v":"div"}]}`},
	} {
		e, err := ParseFilter(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if e.String() != c.str {
			t.Errorf("%s: String() = %s, want %s", c.src, e.String(), c.str)
		}
		j, err := json.Marshal(e)
		if err != nil || string(j) != c.json {
			t.Errorf("%s: JSON %s (%v), want %s", c.src, j, err, c.json)
		}
		e2, err := ParseFilter(e.String())
		if err != nil {
			t.Fatalf("%s: String() does not parse: %v", e, err)
		}
		if j2, _ := json.Marshal(e2); string(j2) != string(j) {
			t.Errorf("%s: String() parses to %s, want %s", c.src, j2, j)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range table {
		if len(c.src) < 200 {
			f.Add(c.src)
		}
	}
	f.Add("${a} = 'x' or selected(${b}, 'y') and not(. > 3)")
	f.Add(strings.Repeat("(", 130))
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseFilter(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(src) {
				t.Fatalf("%q: error %v is not a syntax error within the source", src, err)
			}
			return
		}
		// The canonical form parses to the same tree, and is its own
		// canonical form.
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := ParseFilter(e.String())
		if err != nil {
			if len(e.String()) > MaxSource {
				return // parentheses made it longer than the limit
			}
			t.Fatalf("%q: String() %q does not parse: %v", src, e, err)
		}
		if j2, _ := json.Marshal(e2); string(j2) != string(j) || e2.String() != e.String() {
			t.Fatalf("%q: String() %q parses to another tree", src, e)
		}
		// Evaluation ends, with a value or an error, within the budget.
		v, err := e.Eval(filterEnv{tableEnv})
		if err == nil {
			_ = v.String()
			_ = v.Number()
		}
		if err == nil && len(v.String()) > MaxString+MaxSource {
			t.Fatalf("%q: a string of %d bytes", src, len(v.String()))
		}
	})
}
