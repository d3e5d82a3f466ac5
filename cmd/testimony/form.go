package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"testimony/internal/survey"
	"testimony/internal/survey/xlsform"
)

const formHelp = `
Usage:
  testimony form check [--json] FORM.xlsx
  testimony form publish FORM.xlsx --admin-key F ...   (testimony form publish --help)
  testimony form list --server URL --token-file TOKEN  (testimony form list --help)

A survey form is an XLSForm workbook (.xlsx), as ODK and KoboToolbox use:
a survey sheet of questions, a choices sheet and a settings sheet.
docs/forms.md says what testimony reads, its two own columns (sensitive,
identifier) and settings (min_cell, min_cell_sensitive), and what it
refuses.

check reads the form and prints what it holds: its ID, version, title,
languages, questions by type, groups, repeats, choice lists, the questions
with or_other, those marked sensitive or as identifiers, the minimum cells and the digest that
every answer set will name; then what was ignored, as warnings. A form
that testimony cannot take is refused with the sheet, row and column to
fix, and exit status 2. --json prints the form as it will be signed (its
canonical JSON) instead of the summary.

Examples:
  testimony form check survey.xlsx
  testimony form check --json survey.xlsx > survey.json
`

// formCommands are the form subcommands; the files that define the
// others add them in their init functions.
var formCommands = map[string]func(*env, []string) error{"check": runFormCheck}

func init() { extraCommands["form"] = runForm }

func runForm(e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, strings.TrimLeft(formHelp, "\n"))
		return usagef("form: missing subcommand")
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(e.stdout, strings.TrimLeft(formHelp, "\n"))
		return nil
	}
	c, ok := formCommands[args[0]]
	if !ok {
		return usagef("form: unknown subcommand %q", args[0])
	}
	return c(e, args[1:])
}

func runFormCheck(e *env, args []string) error {
	fs := e.flagSet("form check", formHelp)
	asJSON := fs.Bool("json", false, "print the form's canonical JSON instead of the summary")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("form check: give one FORM.xlsx")
	}
	path := rest[0]
	file, err := os.Open(path)
	if err != nil {
		return badInputError{fmt.Errorf("failed to read the form: %w", err)}
	}
	defer file.Close()
	f, warnings, err := xlsform.Read(file, filepath.Base(path))
	if err != nil {
		if errors.As(err, new(*survey.FormError)) {
			return badInputError{fmt.Errorf("%s: the form was refused: %w", path, err)}
		}
		return err
	}
	if *asJSON {
		b, err := f.Marshal()
		if err != nil {
			return err
		}
		for _, w := range warnings {
			e.warn(fmt.Sprintf("%s: %s", path, w))
		}
		_, err = e.stdout.Write(b)
		return err
	}
	return printFormSummary(e.stdout, f, warnings)
}

// printFormSummary prints what a form holds, for a person checking it.
func printFormSummary(w io.Writer, f *survey.Form, warnings []xlsform.Warning) error {
	digest, err := f.Digest()
	if err != nil {
		return err
	}
	line := func(name, format string, args ...any) {
		fmt.Fprintf(w, "%-14s%s\n", name, fmt.Sprintf(format, args...))
	}
	line("form", "%s", f.ID)
	line("version", "%s", f.Version)
	var titles []string
	for _, code := range textLanguages(f, f.Title) {
		titles = append(titles, fmt.Sprintf("%s (%s)", f.Title[code], orNone(code)))
	}
	line("title", "%s", strings.Join(titles, " · "))
	var langs []string
	for _, l := range f.Languages {
		s := l.Code + " " + l.Name
		if l.Code == f.DefaultLanguage {
			s += " (default)"
		}
		langs = append(langs, s)
	}
	if len(langs) == 0 {
		langs = []string{"none named"}
	}
	line("languages", "%s", strings.Join(langs, ", "))

	count := map[survey.Type]int{}
	var repeats, others, sensitive, identifiers []string
	questions := 0
	f.Walk(func(q, _ *survey.Question) error {
		count[q.Type]++
		switch q.Type {
		case survey.Group:
		case survey.Repeat:
			repeats = append(repeats, q.Name)
		default:
			questions++
		}
		if q.OrOther {
			others = append(others, q.Name)
		}
		if q.Sensitive {
			sensitive = append(sensitive, q.Name)
		}
		if q.Identifier != "" {
			identifiers = append(identifiers, fmt.Sprintf("%s (%s)", q.Name, q.Identifier))
		}
		return nil
	})
	var byType []string
	for _, t := range survey.Types {
		if n := count[t]; n > 0 && t != survey.Group && t != survey.Repeat {
			byType = append(byType, fmt.Sprintf("%d %s", n, t))
		}
	}
	line("questions", "%d: %s", questions, strings.Join(byType, ", "))
	line("or_other", "%s", countList(others))
	line("groups", "%d", count[survey.Group])
	line("repeats", "%s", countList(repeats))
	lists := make([]string, 0, len(f.Choices))
	for l, cs := range f.Choices {
		lists = append(lists, fmt.Sprintf("%s (%d)", l, len(cs)))
	}
	slices.Sort(lists)
	line("choice lists", "%s", countList(lists))
	line("sensitive", "%s", countList(sensitive))
	line("identifiers", "%s", countList(identifiers))
	line("min cells", "%d, sensitive questions %d", f.MinCell, f.MinCellSensitive)
	line("digest", "%s", digest)
	for _, x := range warnings {
		fmt.Fprintf(w, "warning: %s\n", x)
	}
	return nil
}

// textLanguages returns the languages of a text: the form's in order,
// then any other (a text without a language: "").
func textLanguages(f *survey.Form, t survey.Localized) []string {
	var codes []string
	for _, l := range f.Languages {
		if _, ok := t[l.Code]; ok {
			codes = append(codes, l.Code)
		}
	}
	var rest []string
	for code := range t {
		if !slices.Contains(codes, code) {
			rest = append(rest, code)
		}
	}
	slices.Sort(rest)
	return append(codes, rest...)
}

func orNone(code string) string {
	if code == "" {
		return "no language"
	}
	return code
}

// countList prints "N: a, b, c", or "0".
func countList(items []string) string {
	if len(items) == 0 {
		return "0"
	}
	return fmt.Sprintf("%d: %s", len(items), strings.Join(items, ", "))
}
