package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"testimony/internal/durable"
	"testimony/internal/envelope"
	"testimony/internal/survey"
	"testimony/internal/survey/export"
	"testimony/keys"
)

func init() { extraCommands["export"] = runExport }

const exportHelp = `
Usage: testimony export --form ID[@VERSION] --in DIR --identity KEY
                        --roster R --admin-pub PUB --out FILE
                        [--format csv|jsonl|xlsx] [--labels] [--lang TAG]
                        [--free-text] [--geo N|none] [--full-days]
                        [--quasi a,b,c] [--k N] [--generalize age=10,year=5,place=province]
                        [--suppress rows|cells] [--insecure-allow-small-groups]

Writes the answers to a survey form as a table: one row per response, one
column per question, from the sealed files in DIR (what 'testimony pull'
downloads: DIR/<id>.age, with the published forms in DIR/forms/). The form
is verified against the pinned admin key and the roster's organisation;
every file is opened as 'testimony open' does (all of it authenticated, the
device's signature checked, the submission ID matched), and only responses
naming the form's exact version and digest are exported. Files that cannot
be opened, and responses to other versions, are skipped and counted.
Nothing is written until every row is ready; then FILE appears whole, or
nothing does.

Columns: _id (the submission ID), _day (the month of the interview,
YYYY-MM; its day with --full-days: few interviews a day can point at a
person, and nothing checks the day), then the questions in form order, by name, or by label in --lang with --labels.
A select_multiple is one 0/1 column per choice (question/choice); a repeat
is a table of its own linked by _id: FILE-<repeat>.csv (or .jsonl) beside
FILE, or a sheet of the XLSX file. CSV is UTF-8 with a byte order mark, so
that Excel shows Hangul; a text cell starting with = + - @, a tab or a
carriage return gets a leading ' so that a spreadsheet does not run it as a
formula. Free-text answers (text questions, "other" texts, calculations)
are left out unless --free-text; they were pseudonymized before sealing.
Geopoints are rounded to --geo decimal places (default 1, about 11 km), or
left out with --geo none.

Before writing, export checks k-anonymity over the quasi-identifiers (by
default the questions the form marks as age, year, sex, place or other;
--quasi names others): rows sharing all their values form a group, and a
group smaller than k (default: the form's minimum cell) can point at one
person. If such groups remain, export refuses (exit 3) and says how many
rows are unique or in small groups. Then choose:
  --generalize age=10,year=5,place=province  ages in bands, years in ranges,
                   places as their province (a choice's province column)
  --suppress rows  leave out the rows still in small groups
  --suppress cells blank their quasi-identifiers instead
  --insecure-allow-small-groups  write them anyway (risky: a reader who knows
                   a person's age, sex and home may find their answers)
FILE.disclosure.json records what was done: the form and its digest, k,
the quasi-identifiers, generalizations, rows suppressed, groups before and
after, whether free text is included, how _day is written, and the day of
the export (no time).

Exit codes: 0 written, 1 error, 2 bad flags or input, 3 small groups need a
decision, 8 roster rejected.

Examples:
  testimony export --form defectors --in inbox/ --identity reviewer.key \
      --roster roster.txt --admin-pub admin.pub --out survey.csv
  testimony export --form defectors@2026120601 --in inbox/ --identity reviewer.key \
      --roster roster.txt --admin-pub admin.pub --out survey.xlsx \
      --labels --lang ko --generalize age=10,place=province --suppress rows
`

// decisionError is a refusal that a flag can resolve: exit 3, as for
// redact's flags.
type decisionError struct{ error }

func (e decisionError) Unwrap() error        { return e.error }
func (e decisionError) Is(target error) bool { return target == errFlags }

func runExport(e *env, args []string) error {
	fs := e.flagSet("export", exportHelp)
	formFlag := fs.String("form", "", "the form `ID`, or ID@VERSION (default: its newest version in DIR/forms)")
	in := fs.String("in", "", "the pulled `DIR` (sealed files <id>.age, forms in DIR/forms)")
	identityPath := fs.String("identity", "", "your identity `FILE`")
	passFile := fs.String("passphrase-file", "", "read the identity's passphrase from `F`")
	rosterPath := fs.String("roster", "", "roster `FILE`")
	adminPub := fs.String("admin-pub", "", "the pinned admin verifier key `PUB` (or a file holding it)")
	previous := fs.String("previous", "", "a roster `R0` trusted earlier: the roster must be it or newer")
	out := fs.String("out", "", "the `FILE` to write (must not exist)")
	format := fs.String("format", "", "csv, jsonl or xlsx (default: from --out's extension)")
	labels := fs.Bool("labels", false, "write labels instead of names (headers and choices)")
	lang := fs.String("lang", "", "the language `TAG` of labels, like ko or en (default: the form's)")
	freeText := fs.Bool("free-text", false, "include free-text answers (pseudonymized)")
	geo := fs.String("geo", "1", "decimal places geopoints keep (0 to 6), or none")
	quasi := fs.String("quasi", "", "the quasi-identifier questions, comma-separated (default: the form's); \"\" with --quasi= none")
	k := fs.Int("k", 0, "the smallest group allowed (default: the form's minimum cell; never below 3)")
	generalize := fs.String("generalize", "", "coarsen quasi-identifiers: age=N, year=N, place=province, comma-separated")
	suppress := fs.String("suppress", "", "rows or cells: what to do with rows still in groups below k")
	insecure := fs.Bool("insecure-allow-small-groups", false, "write rows in groups below k (risky)")
	fullDays := fs.Bool("full-days", false, "write the interview day in full (default: its month only)")
	if err := parseFlags(fs, args, "form", "in", "identity", "roster", "admin-pub", "out"); err != nil {
		return err
	}
	o := export.Options{Labels: *labels, Language: *lang, FreeText: *freeText, K: *k, AllowSmallGroups: *insecure, Suppress: export.Suppression(*suppress), FullDays: *fullDays}
	o.Format = export.Format(strings.ToLower(*format))
	if *format == "" {
		o.Format = export.Format(strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), "."))
	}
	switch {
	case *format == "" && !isFormat(o.Format):
		return usagef("export: give --format csv, jsonl or xlsx (or an --out ending in one of them)")
	case !isFormat(o.Format):
		return usagef("export: --format %q: use csv, jsonl or xlsx", *format)
	case o.Suppress != export.NoSuppression && o.Suppress != export.SuppressRows && o.Suppress != export.SuppressCells:
		return usagef("export: --suppress %q: use rows or cells", *suppress)
	case *k != 0 && *k < survey.MinCellFloor:
		return usagef("export: --k %d: k is never below %d", *k, survey.MinCellFloor)
	case *insecure && o.Suppress != export.NoSuppression:
		return usagef("export: give --suppress or --insecure-allow-small-groups, not both")
	}
	if *geo == "none" {
		o.GeoDecimals = export.GeoOmit
	} else if n, err := strconv.Atoi(*geo); err != nil || n < 0 || n > export.MaxGeoDecimals {
		return usagef("export: --geo %q: give 0 to %d decimal places (1 is about 11 km), or none", *geo, export.MaxGeoDecimals)
	} else {
		o.GeoDecimals = n
	}
	g, err := export.ParseGeneralization(*generalize)
	if err != nil {
		return usagef("export: --generalize: %v", err)
	}
	o.Generalize = g
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "quasi" {
			o.Quasi = []string{}
			for q := range strings.SplitSeq(*quasi, ",") {
				if q = strings.TrimSpace(q); q != "" {
					o.Quasi = append(o.Quasi, q)
				}
			}
		}
	})
	id, version, _ := strings.Cut(*formFlag, "@")
	if !survey.ValidID(id) || (version != "" && !survey.ValidVersion(version)) {
		return usagef("export: --form %q: give a form ID like defectors, or ID@VERSION like defectors@2026120601", *formFlag)
	}
	o.TmpDir = filepath.Dir(*out)

	roster, err := loadRoster(*rosterPath, *adminPub, *previous, false)
	if err != nil {
		return err
	}
	admin, err := keys.ParseVerifier(valueOrFile(*adminPub))
	if err != nil {
		return fmt.Errorf("--admin-pub: %w", err)
	}
	form, err := pulledForm(*in, id, version, admin, roster.Org, e)
	if err != nil {
		return err
	}
	files, err := sealedFiles(*in)
	if err != nil {
		return err
	}
	// Refuse an existing output before asking for the passphrase.
	names := []string{*out, export.DisclosureFile(*out)}
	if o.Format != export.XLSX {
		_ = form.Form.Walk(func(q, _ *survey.Question) error {
			if q.Type == survey.Repeat {
				names = append(names, export.TableFile(*out, q.Name))
			}
			return nil
		})
	}
	for _, n := range names {
		if _, err := os.Lstat(n); err == nil {
			return fmt.Errorf("%s already exists; refusing to overwrite it", n)
		}
	}
	identity, err := keys.LoadIdentity(*identityPath, e.unlock(*passFile))
	if err != nil {
		return err
	}

	src := &sealedSource{files: files, form: form, identity: identity, roster: roster, warn: e.warn}
	bar := newRunProgress(e.stderr, "export")
	src.progress = func(done int, bytes int64) { bar.update("open", int64(done), int64(len(files)), bytes) }
	x, err := export.Prepare(form.Form, src.records(e), o)
	bar.finish()
	if err != nil {
		if errors.Is(err, export.ErrOptions) {
			return usagef("export: %v", err)
		}
		return err
	}
	src.report(e)
	d := x.Disclosure()
	if !d.After.Safe() && !o.AllowSmallGroups {
		return decisionError{fmt.Errorf("nothing was written: %w", x.Check())}
	}
	written, err := writeExport(x, *out)
	if err != nil {
		return err
	}
	d = x.Disclosure()
	if d.TruncatedCells > 0 {
		e.warn(fmt.Sprintf("%d answers were longer than a spreadsheet cell holds (32,767 characters) and were cut; export CSV or JSON Lines to keep them whole", d.TruncatedCells))
	}
	if !d.After.Safe() {
		e.warn(fmt.Sprintf("%d responses are in groups of fewer than %d people with the same %s: this file can single people out; keep it to yourself", d.After.BelowK, d.K, strings.Join(d.Quasi, ", ")))
	}
	if len(d.Quasi) == 0 {
		e.warn("no quasi-identifiers were checked: the form marks none and --quasi named none")
	}
	for _, nc := range d.NotChecked {
		e.info("not checked for small groups: %s (%s)", nc.Question, nc.Why)
	}
	e.info("exported %d responses to form %s version %s (%s): %s", d.Tables[0].Rows, form.Form.ID, form.Form.Version, strings.Join(written, ", "), describeDisclosure(d))
	return nil
}

func isFormat(f export.Format) bool {
	return f == export.CSV || f == export.JSONL || f == export.XLSX
}

func describeDisclosure(d export.Disclosure) string {
	s := fmt.Sprintf("k=%d over %d quasi-identifier(s); before: %d unique, %d in groups below k; written: %d in groups below k", d.K, len(d.Quasi), d.Before.Unique, d.Before.BelowK, d.After.BelowK)
	if d.RowsSuppressed > 0 {
		s += fmt.Sprintf("; %d rows suppressed (%s)", d.RowsSuppressed, d.Suppression)
	}
	if d.Skipped > 0 {
		s += fmt.Sprintf("; %d responses to other versions skipped", d.Skipped)
	}
	return s
}

// writeExport writes the export's files and its disclosure record beside
// out. The record appears first, then the tables; if any fails, every file
// already moved into place is removed again.
func writeExport(x *export.Export, out string) ([]string, error) {
	var pending []*durable.File
	defer func() {
		for _, f := range pending {
			f.Abort()
		}
	}()
	var names []string
	err := x.Write(out, func(name string) (io.Writer, error) {
		f, err := durable.Create(name, 0o600)
		if err != nil {
			return nil, err
		}
		pending = append(pending, f)
		names = append(names, name)
		return f, nil
	})
	if err != nil {
		return nil, err
	}
	d := x.Disclosure()
	text, err := d.Marshal()
	if err != nil {
		return nil, err
	}
	side, err := durable.Create(export.DisclosureFile(out), 0o600)
	if err != nil {
		return nil, err
	}
	pending = append([]*durable.File{side}, pending...)
	names = append([]string{export.DisclosureFile(out)}, names...)
	if _, err := side.Write(text); err != nil {
		return nil, fmt.Errorf("failed to write %s: %w", export.DisclosureFile(out), err)
	}
	for i, f := range pending {
		if err := f.Commit(); err != nil {
			for _, n := range names[:i] {
				os.Remove(n)
			}
			return nil, err
		}
	}
	pending = nil
	return names, nil
}

// pulledForm returns the verified form id (at version, or its newest
// version) kept in dir/forms.
func pulledForm(dir, id, version string, admin keys.Verifier, org string, e *env) (*survey.Published, error) {
	paths, _ := filepath.Glob(filepath.Join(dir, "forms", id+"@*.txt"))
	var best *survey.Published
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("failed to read the form: %w", err)
		}
		f, err := survey.Verify(b, admin, org)
		if err != nil {
			e.warn(fmt.Sprintf("%s: %v; it is ignored", p, err))
			continue
		}
		if want := f.Form.ID + "@" + f.Form.Version + ".txt"; filepath.Base(p) != want {
			e.warn(fmt.Sprintf("%s holds the form %s; it is ignored", p, want))
			continue
		}
		if version != "" && f.Form.Version != version {
			continue
		}
		if best == nil || versionLess(best.Form.Version, f.Form.Version) {
			best = f
		}
	}
	if best == nil {
		what := "form " + id
		if version != "" {
			what += " version " + version
		}
		return nil, badInputError{fmt.Errorf("no verified %s in %s: pull again (testimony pull keeps the published forms there), and check the form ID", what, filepath.Join(dir, "forms"))}
	}
	return best, nil
}

func versionLess(a, b string) bool {
	x, _ := strconv.ParseUint(a, 10, 64)
	y, _ := strconv.ParseUint(b, 10, 64)
	return x < y
}

// sealedFiles lists the sealed files <id>.age in dir, by name.
func sealedFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, badInputError{fmt.Errorf("failed to read the pulled directory: %w", err)}
	}
	var out []string
	for _, en := range entries {
		name := en.Name()
		if en.Type().IsRegular() && strings.HasSuffix(name, ".age") && envelope.ValidID(strings.TrimSuffix(name, ".age")) {
			out = append(out, filepath.Join(dir, name))
		}
	}
	sort.Strings(out)
	return out, nil
}

// sealedSource opens sealed files one at a time and yields the responses
// to one form. It counts what it skips.
type sealedSource struct {
	files    []string
	form     *survey.Published
	identity *keys.Identity
	roster   *keys.Roster
	warn     func(string)
	progress func(done int, bytes int64)

	opened, notes, otherForms, otherVersions int
	failed                                   []string
}

func (s *sealedSource) records(e *env) iter.Seq2[*survey.Record, error] {
	return func(yield func(*survey.Record, error) bool) {
		var bytes int64
		for i, path := range s.files {
			if err := e.ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			r, n, err := s.open(e, path)
			bytes += n
			if s.progress != nil {
				s.progress(i+1, bytes)
			}
			if err != nil {
				s.failed = append(s.failed, fmt.Sprintf("%s: %v", filepath.Base(path), err))
				continue
			}
			if r == nil {
				continue
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// open opens one sealed file and returns its response to the form, nil if
// it holds none.
func (s *sealedSource) open(e *env, path string) (*survey.Record, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	sink := &answersSink{}
	id := strings.TrimSuffix(filepath.Base(path), ".age")
	o, err := envelope.Open(ctxReaderAt{e.ctx, f}, fi.Size(), sink, envelope.OpenOptions{Identity: s.identity, Roster: s.roster, ID: id})
	if err != nil {
		return nil, fi.Size(), err
	}
	s.opened++
	m := o.Manifest
	want := s.form.Form.Ref()
	switch {
	case sink.answers == nil && !strings.HasPrefix(m.Form, s.form.Form.ID+"/"):
		s.notes++
		return nil, fi.Size(), nil
	case !strings.HasPrefix(m.Form, s.form.Form.ID+"/"):
		s.otherForms++
		return nil, fi.Size(), nil
	case m.Form != want:
		s.otherVersions++
		return nil, fi.Size(), nil
	case sink.answers == nil:
		return nil, fi.Size(), fmt.Errorf("it is sealed as an answer to %s but holds no answers", want)
	}
	resp, err := survey.ParseResponse(sink.answers.Bytes())
	if err != nil {
		return nil, fi.Size(), err
	}
	if resp.Form != s.form.Form.ID || resp.Version != s.form.Form.Version || resp.FormSHA256 != s.form.Digest {
		// The manifest names this version, but the answers were given to
		// another form under it: never export them under its columns.
		return nil, fi.Size(), fmt.Errorf("its answers name form %s/%s with digest %.12s…, not the published %s (digest %.12s…)", resp.Form, resp.Version, resp.FormSHA256, want, s.form.Digest)
	}
	return &survey.Record{ID: m.ID, Day: m.Day, Device: m.Device, Response: resp}, fi.Size(), nil
}

// report says on stderr what was skipped.
func (s *sealedSource) report(e *env) {
	if s.otherVersions > 0 {
		e.info("skipped %d response(s) to other versions of form %s: export them with --form %s@VERSION", s.otherVersions, s.form.Form.ID, s.form.Form.ID)
	}
	if len(s.failed) > 0 {
		for _, f := range s.failed {
			e.warn("skipped " + f)
		}
		e.warn(fmt.Sprintf("%d of %d sealed files could not be opened and were skipped (see above)", len(s.failed), len(s.files)))
	}
}

// answersSink keeps answers.json and discards every other entry, so that
// opening a file with large attachments takes no memory for them.
type answersSink struct{ answers *bytes.Buffer }

func (s *answersSink) Create(name string, size int64) (io.WriteCloser, error) {
	if name != envelope.AnswersName {
		return nopWriteCloser{io.Discard}, nil
	}
	if size > envelope.MaxAnswersSize {
		return nil, fmt.Errorf("answers.json is larger than %d MiB", envelope.MaxAnswersSize>>20)
	}
	s.answers = bytes.NewBuffer(make([]byte, 0, size))
	return nopWriteCloser{s.answers}, nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
