package stats_test

import (
	"fmt"
	"strconv"
	"strings"

	"testimony/internal/survey/stats"
)

// The adversary: someone who reads every page the desk shows of a survey
// (a question's table, the tables of two questions and their cross-table)
// and knows the rules this package follows — a shown number is exact,
// "<k" is 1 to k-1, "x" is k or more, the categories add up to N, N and
// "no answer" to the number of responses, a cross-table's rows and
// columns to its margins, and a select_multiple's choices to at least N,
// each at most N. It tries every table that agrees with all of it. A
// protected count is pinned when all those tables agree on it.
//
// It reads only what the package exports (this is package stats_test),
// and shares no code with the package's own check.

// problem is a set of integer unknowns with bounds, and linear
// constraints over them.
type problem struct {
	names  []string
	lo, hi []int
	eqs    []linear // Σ = rhs
	geqs   []linear // Σ ≥ rhs
	byName map[string]int
	// protected are the expressions that must not be pinned.
	protected []linear
}

// linear is Σ coef·x + konst, compared with rhs.
type linear struct {
	vars  []int
	coefs []int
	konst int
	rhs   int
	what  string
}

func newProblem() *problem { return &problem{byName: map[string]int{}} }

// term is a variable or a known number in a constraint.
type term struct {
	v     int // variable index, or -1
	known int
}

// read turns a shown count into a term: a known number, or a new unknown
// with the bounds its text states.
func (p *problem) read(name string, c stats.Count, k, total int) term {
	switch {
	case strings.HasPrefix(c.Text, "<"):
		lim, err := strconv.Atoi(c.Text[1:])
		if err != nil {
			panic("bad count " + c.Text)
		}
		return term{v: p.unknown(name, 1, lim-1), known: 0}
	case c.Text == "x":
		return term{v: p.unknown(name, k, total)}
	}
	n, err := strconv.Atoi(c.Text)
	if err != nil {
		panic(fmt.Sprintf("%s: bad count %q", name, c.Text))
	}
	return term{v: -1, known: n}
}

func (p *problem) unknown(name string, lo, hi int) int {
	if i, ok := p.byName[name]; ok {
		return i
	}
	p.names = append(p.names, name)
	p.lo, p.hi = append(p.lo, lo), append(p.hi, hi)
	p.byName[name] = len(p.names) - 1
	return len(p.names) - 1
}

// sum builds Σ sign·terms (op) rhs.
func sum(what string, rhs int, terms []term, signs []int) linear {
	l := linear{rhs: rhs, what: what}
	for i, t := range terms {
		if t.v < 0 {
			l.konst += signs[i] * t.known
			continue
		}
		l.vars, l.coefs = append(l.vars, t.v), append(l.coefs, signs[i])
	}
	return l
}

func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// feasible reports whether the unknowns can take values that meet every
// constraint, with fixed values for some.
func (p *problem) feasible(fixed map[int]int) bool {
	val := make([]int, len(p.names))
	set := make([]bool, len(p.names))
	for i, v := range fixed {
		if v < p.lo[i] || v > p.hi[i] {
			return false
		}
		val[i], set[i] = v, true
	}
	ok := func() bool {
		check := func(l linear, eq bool) bool {
			s, mn, mx := l.konst, 0, 0
			for j, v := range l.vars {
				c := l.coefs[j]
				if set[v] {
					s += c * val[v]
					continue
				}
				if c > 0 {
					mn, mx = mn+c*p.lo[v], mx+c*p.hi[v]
				} else {
					mn, mx = mn+c*p.hi[v], mx+c*p.lo[v]
				}
			}
			if eq {
				return s+mn <= l.rhs && l.rhs <= s+mx
			}
			return s+mx >= l.rhs
		}
		for _, l := range p.eqs {
			if !check(l, true) {
				return false
			}
		}
		for _, l := range p.geqs {
			if !check(l, false) {
				return false
			}
		}
		return true
	}
	var dfs func(i int) bool
	dfs = func(i int) bool {
		if !ok() {
			return false
		}
		for i < len(p.names) && set[i] {
			i++
		}
		if i == len(p.names) {
			return true
		}
		set[i] = true
		for v := p.lo[i]; v <= p.hi[i]; v++ {
			val[i] = v
			if dfs(i + 1) {
				set[i] = false
				return true
			}
		}
		set[i] = false
		return false
	}
	return dfs(0)
}

// values returns up to two values that the expression e can take in
// tables that agree with everything shown.
func (p *problem) values(e linear) []int {
	var seen []int
	fixed := map[int]int{}
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(e.vars) {
			if !p.feasible(fixed) {
				return false
			}
			s := e.konst
			for j, v := range e.vars {
				s += e.coefs[j] * fixed[v]
			}
			for _, x := range seen {
				if x == s {
					return false
				}
			}
			seen = append(seen, s)
			return len(seen) > 1
		}
		v := e.vars[i]
		for x := p.lo[v]; x <= p.hi[v]; x++ {
			fixed[v] = x
			if try(i + 1) {
				return true
			}
		}
		delete(fixed, v)
		return false
	}
	try(0)
	return seen
}

// pinned returns the protected expressions that take one value only.
func (p *problem) pinned() []string {
	var out []string
	for _, e := range p.protected {
		if vs := p.values(e); len(vs) < 2 {
			out = append(out, fmt.Sprintf("%s = %v", e.what, vs))
		}
	}
	return out
}

// oneWay adds what a question's table shows: its rows add up to N, and N
// and "no answer" to the number of responses. It returns the terms of the
// rows (by row name), and marks every "<k" as protected.
//
// notChosenSmall says, from the true data, whether the number who did not
// choose a select_multiple's choice is from 1 to k-1: that number is then
// protected too ("all but two chose it" is as telling as "two chose it").
func (p *problem) oneWay(q *stats.Question, total int, notChosenSmall func(choice string) bool) map[string]term {
	rows := map[string]term{}
	var terms []term
	for _, r := range q.Rows {
		name := q.Name + "/" + r.Name + string(r.Special)
		t := p.read(name, r.Count, q.K, total)
		p.protect(name, t, r.Count)
		rows[r.Name+string(r.Special)] = t
		terms = append(terms, t)
	}
	n := p.read(q.Name+"/N", q.N, q.K, total)
	na := p.read(q.Name+"/no-answer", q.NoAnswer.Count, q.K, total)
	p.protect(q.Name+"/no-answer", na, q.NoAnswer.Count)
	rows[string(stats.SpecialNoAnswer)] = na
	if q.Kind == stats.KindMultiple {
		// Each who answered chose at least one; none is chosen by more
		// than N.
		p.geqs = append(p.geqs, sum(q.Name+" choices ≥ N", 0, append(terms, n), append(ones(len(terms)), -1)))
		for i, t := range terms {
			p.geqs = append(p.geqs, sum(q.Name+" N ≥ choice", 0, []term{n, t}, []int{1, -1}))
			if notChosenSmall != nil && notChosenSmall(q.Rows[i].Name) {
				l := sum(q.Name+"/"+q.Rows[i].Name+" not chosen", 0, []term{n, t}, []int{1, -1})
				// N - c: the sum's konst and coefs are of N - c ≥ 0.
				p.protected = append(p.protected, l)
			}
		}
	} else {
		p.eqs = append(p.eqs, sum(q.Name+" rows = N", 0, append(terms, n), append(ones(len(terms)), -1)))
	}
	p.eqs = append(p.eqs, sum(q.Name+" N + no answer = responses", total, []term{n, na}, []int{1, 1}))
	return rows
}

func (p *problem) protect(name string, t term, c stats.Count) {
	if t.v >= 0 && c.Suppressed {
		p.protected = append(p.protected, linear{vars: []int{t.v}, coefs: []int{1}, what: name})
	}
}
