package expr

import (
	"strings"
	"testing"
)

// mapEnv is an Env over maps.
type mapEnv struct {
	answers map[string]string
	self    string
	today   string
	columns map[string]string
}

func (e mapEnv) Lookup(name string) (string, bool) { v, ok := e.answers[name]; return v, ok }
func (e mapEnv) Self() string                      { return e.self }
func (e mapEnv) Today() string                     { return e.today }

// filterEnv adds the columns of a choice.
type filterEnv struct{ mapEnv }

func (e filterEnv) Column(name string) (string, bool) { v, ok := e.columns[name]; return v, ok }

// result writes v as the table does: "s:…", "n:…" or "b:…".
func result(v Value) string {
	switch {
	case v.IsNumber():
		return "n:" + v.String()
	case v.IsBool():
		return "b:" + v.String()
	}
	return "s:" + v.String()
}

// evalCase parses and evaluates c with the table's env, and returns its
// result or "!" and the error.
func evalCase(c tableCase) string {
	parse := Parse
	var env Env = tableEnv
	if c.filter {
		parse, env = ParseFilter, filterEnv{tableEnv}
	}
	e, err := parse(c.src)
	if err != nil {
		return "parse error: " + err.Error()
	}
	v, err := e.Eval(env)
	if err != nil {
		return "!" + err.Error()
	}
	return result(v)
}

func TestTable(t *testing.T) {
	if len(table) < 80 {
		t.Fatalf("the table has %d cases, want at least 80", len(table))
	}
	for _, c := range table {
		got := evalCase(c)
		if strings.HasPrefix(c.want, "!") {
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("%.80s: got %.80q, want an error starting %q", c.src, got, c.want[1:])
			}
			continue
		}
		if got != c.want {
			t.Errorf("%.80s: got %.80q, want %.80q", c.src, got, c.want)
		}
	}
}
