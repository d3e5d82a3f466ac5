package survey

import (
	"fmt"
	"slices"
	"strings"
)

// checkRules checks the form's rules, once its structure is sound:
//
//   - repeats are nested at most MaxDepth deep;
//   - each expression column is where it means something (choice_filter
//     on selects, repeat_count on repeats, calculation on calculate
//     questions, which need one; required, constraint and read_only on
//     questions that are answered) and parses (package expr);
//   - each ${name} names a question that has a value (not a group, repeat
//     or note) and that the expression can read: outside every repeat, or
//     in a repeat the expression is in (there is no count() or sum() to
//     read the passes of a repeat from outside it);
//   - a choice_filter reads only name and the columns of its list;
//   - calculations do not refer to each other in a loop;
//   - a default is a literal answer of the question's type, not an
//     expression.
func (f *Form) checkRules() error {
	bad := func(q *Question, column, format string, args ...any) error {
		return &FormError{Sheet: "survey", Row: q.Row, Column: column, Msg: fmt.Sprintf(format, args...)}
	}
	// Where each name is: its question, the repeat around it, and the
	// repeat around each repeat.
	byName := map[string]*Question{}
	repeatOf := map[string]*Question{}
	outer := map[*Question]*Question{}
	depth := map[*Question]int{}
	err := f.Walk(func(q, r *Question) error {
		byName[q.Name], repeatOf[q.Name] = q, r
		if q.OrOther {
			byName[OtherName(q)], repeatOf[OtherName(q)] = q, r
		}
		if q.Type == Repeat {
			outer[q] = r
			depth[q] = depth[r] + 1
			if depth[q] > MaxDepth {
				return bad(q, "type", "repeats are nested more than %d deep", MaxDepth)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	columns := choiceColumns(f)
	calcRefs := map[string][]string{}
	err = f.Walk(func(q, r *Question) error {
		answered := q.Type.HasAnswer() && q.Type != Calculate && !q.Type.IsMeta()
		for _, c := range expressionColumns(q) {
			if c.src == "" {
				continue
			}
			var where bool
			switch c.name {
			case "relevant":
				where = !q.Type.IsMeta()
			case "required", "constraint", "read_only":
				where = answered
			case "calculation":
				where = q.Type == Calculate
			case "choice_filter":
				where = q.Type.IsSelect()
			case "repeat_count":
				where = q.Type == Repeat
			}
			if !where {
				return bad(q, c.name, "a %s question cannot have a %s", q.Type, c.name)
			}
			x, err := parseColumn(c.name, c.src)
			if err != nil {
				return bad(q, c.name, "%v", err)
			}
			for _, ref := range x.Refs() {
				target, ok := byName[ref]
				switch {
				case !ok:
					return bad(q, c.name, "${%s} names no question of the form", ref)
				case target.Name == ref && !target.Type.HasAnswer():
					return bad(q, c.name, "${%s} is a %s: it has no answer to read", ref, target.Type)
				}
				if rep := repeatOf[ref]; rep != nil && !inside(r, rep, outer) {
					return bad(q, c.name, "${%s} is inside the repeat %s, which has an answer for each pass: it can only be read from inside that repeat", ref, rep.Name)
				}
				if c.name == "calculation" && target.Name == ref && target.Type == Calculate {
					calcRefs[q.Name] = append(calcRefs[q.Name], ref)
				}
			}
			for _, col := range x.Columns() {
				if !columns[q.List][col] {
					return bad(q, c.name, "the choice list %s has no column %s: a choice_filter reads name, the list's other columns, and questions as ${name}", q.List, col)
				}
			}
		}
		if q.Type == Calculate && q.Calculation == "" {
			return bad(q, "calculation", "a calculate question needs a calculation")
		}
		if q.Default != "" {
			switch {
			case !answered || q.Type.IsAttachment():
				return bad(q, "default", "a %s question cannot have a default", q.Type)
			case strings.Contains(q.Default, "${") || strings.Contains(q.Default, "("):
				return bad(q, "default", "the default %q looks like an expression: a default is a literal answer (expressions in defaults are not supported; use a calculate question)", q.Default)
			}
			if err := checkType(f, q, q.Default); err != nil {
				return bad(q, "default", "the default is not an answer to this question: %v", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return checkLoops(calcRefs, byName)
}

// inside reports whether an expression evaluated in the repeat r (nil at
// the top) can read the answers of the repeat rep: r is rep or inside it.
func inside(r, rep *Question, outer map[*Question]*Question) bool {
	for ; r != nil; r = outer[r] {
		if r == rep {
			return true
		}
	}
	return false
}

// checkLoops refuses calculations that refer to each other in a loop.
func checkLoops(refs map[string][]string, byName map[string]*Question) error {
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case open:
			loop := append(path[slices.Index(path, name):], name)
			q := byName[loop[0]]
			return &FormError{Sheet: "survey", Row: q.Row, Column: "calculation",
				Msg: "the calculations refer to each other in a loop: " + strings.Join(loop, " → ")}
		case done:
			return nil
		}
		state[name] = open
		path = append(path, name)
		for _, next := range refs[name] {
			if err := visit(next); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		return nil
	}
	names := make([]string, 0, len(refs))
	for name := range refs {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := byName[a].Row - byName[b].Row; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, name := range names {
		if err := visit(name); err != nil {
			return err
		}
	}
	return nil
}
