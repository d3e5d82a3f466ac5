package stats_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"testimony/internal/survey"
	"testimony/internal/survey/stats"
)

func loc(en, ko string) survey.Localized { return survey.Localized{"en": en, "ko": ko} }

// testForm is a small survey of the kind the issue describes.
func testForm(k, ks int) *survey.Form {
	choices := func(names ...string) []survey.Choice {
		var out []survey.Choice
		for _, n := range names {
			out = append(out, survey.Choice{Name: n, Label: loc(strings.ToUpper(n[:1])+n[1:], "한 "+n)})
		}
		return out
	}
	return &survey.Form{Format: survey.FormFormat, ID: "exit-survey", Version: "1", DefaultLanguage: "en",
		Title: loc("Exit survey", "탈북 설문"), Languages: []survey.Language{{Code: "en", Name: "English"}, {Code: "ko", Name: "한국어"}},
		Survey: []*survey.Question{
			{Type: survey.SelectOne, Name: "sex", List: "sex", Label: loc("Sex", "성별"), Identifier: survey.IDSex},
			{Type: survey.SelectOne, Name: "province", List: "province", OrOther: true, Label: loc("Province", "출신 도")},
			{Type: survey.Integer, Name: "age", Label: loc("Age", "나이"), Identifier: survey.IDAge},
			{Type: survey.Group, Name: "detention", Relevant: "${sex} != ''", Children: []*survey.Question{
				{Type: survey.SelectOne, Name: "detained", List: "yn", Sensitive: true, Label: loc("Were you detained?", "구금된 적이 있습니까?")},
			}},
			{Type: survey.SelectMultiple, Name: "reasons", List: "reasons", Label: loc("Reasons for leaving", "떠난 이유")},
			{Type: survey.SelectOne, Name: "safety", List: "agree", Appearance: "likert", Label: loc("I feel safe", "안전하다고 느낀다")},
			{Type: survey.Text, Name: "story", Label: loc("Anything else", "그 밖에")},
			{Type: survey.Repeat, Name: "family", Children: []*survey.Question{
				{Type: survey.SelectOne, Name: "relation", List: "yn"},
			}},
		},
		Choices: map[string][]survey.Choice{
			"sex":      choices("female", "male"),
			"province": choices("hamgyongbuk", "ryanggang", "pyongyang"),
			"yn":       choices("yes", "no"),
			"reasons":  choices("hunger", "politics", "family", "work"),
			"agree":    choices("disagree", "neutral", "agree"),
		},
		MinCell: k, MinCellSensitive: ks}
}

// record makes a response from name=value pairs.
func record(i int, kv ...string) survey.Record {
	a := survey.NewAnswers()
	for j := 0; j+1 < len(kv); j += 2 {
		if kv[j+1] != "" {
			a.Values[kv[j]] = kv[j+1]
		}
	}
	return survey.Record{ID: fmt.Sprintf("%032x", i), Day: "2026-03-14",
		Response: &survey.Response{Format: survey.AnswersFormat, Form: "exit-survey", Version: "1", Answers: a}}
}

// many makes n responses answering name with value.
func many(n int, kv ...string) []survey.Record {
	var out []survey.Record
	for i := range n {
		out = append(out, record(i, kv...))
	}
	return out
}

func question(t *testing.T, s *stats.Summary, name string) *stats.Question {
	t.Helper()
	for _, q := range s.Questions {
		if q.Name == name {
			return q
		}
	}
	t.Fatalf("no question %s", name)
	return nil
}

// texts is a table's counts as shown, "label:count", for comparisons.
func texts(q *stats.Question) string {
	var parts []string
	for _, r := range q.Rows {
		parts = append(parts, r.Name+":"+r.Text)
	}
	return strings.Join(parts, " ") + " | N:" + q.N.Text + " no:" + q.NoAnswer.Text
}

func TestOneWay(t *testing.T) {
	type group struct {
		n     int
		value string
	}
	for _, tc := range []struct {
		name   string
		q      string
		groups []group
		k, ks  int
		want   string // texts(q)
		why    stats.Why
		ofAll  bool
	}{
		{
			// Nothing small: every count and N as they are.
			name: "plain", q: "sex", k: 5, ks: 10,
			groups: []group{{12, "female"}, {8, "male"}},
			want:   "female:12 male:8 | N:20 no:0",
		},
		{
			// One small count: hidden, and the next smallest too, or N
			// minus the shown one would give it.
			name: "one small and its partner", q: "province", k: 5, ks: 10,
			groups: []group{{20, "hamgyongbuk"}, {3, "ryanggang"}, {9, "pyongyang"}},
			want:   "hamgyongbuk:20 ryanggang:<5 pyongyang:x other:0 | N:32 no:0",
		},
		{
			// Two small counts protect each other when each can move.
			name: "two small", q: "province", k: 5, ks: 10,
			groups: []group{{20, "hamgyongbuk"}, {3, "ryanggang"}, {2, "other"}},
			want:   "hamgyongbuk:20 ryanggang:<5 pyongyang:0 other:<5 | N:25 no:0",
		},
		{
			// Two small counts of 1 and 1: their sum, 2, pins both (each
			// is at least 1), so a third is hidden.
			name: "two ones", q: "province", k: 5, ks: 10,
			groups: []group{{20, "hamgyongbuk"}, {1, "ryanggang"}, {1, "other"}, {7, "pyongyang"}},
			want:   "hamgyongbuk:20 ryanggang:<5 pyongyang:x other:<5 | N:29 no:0",
		},
		{
			// A sensitive question uses the higher minimum cell.
			name: "sensitive", q: "detained", k: 5, ks: 10,
			groups: []group{{30, "yes"}, {7, "no"}},
			want:   "yes:x no:<10 | N:37 no:0",
		},
		{
			// A few did not answer: N would give them away with the number
			// of responses, so N is hidden, and a category too, or N would
			// be their sum; the percentages are of all responses.
			name: "few did not answer", q: "sex", k: 5, ks: 10,
			groups: []group{{12, "female"}, {8, "male"}, {2, ""}},
			want:   "female:12 male:x | N:x no:<5", ofAll: true,
		},
		{
			// Fewer than k answered: withheld.
			name: "base below k", q: "sex", k: 5, ks: 10,
			groups: []group{{3, "female"}, {1, "male"}, {30, ""}},
			want:   " | N:<5 no:", why: stats.WhyBaseBelowK,
		},
		{
			// The floor: k = 3.
			name: "k of 3", q: "sex", k: 3, ks: 3,
			groups: []group{{2, "female"}, {6, "male"}},
			want:   "female:<3 male:x | N:8 no:0",
		},
		{
			// Numbers in bands of a nice width.
			name: "ages", q: "age", k: 5, ks: 10,
			groups: []group{{6, "23"}, {7, "27"}, {9, "31"}, {1, "64"}, {2, "58"}},
			want:   "20–24:6 25–29:7 30–34:9 35–39:0 40–44:0 45–49:0 50–54:0 55–59:<5 60–64:<5 | N:25 no:0",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var recs []survey.Record
			for _, g := range tc.groups {
				recs = append(recs, many(g.n, tc.q, g.value)...)
			}
			s, err := stats.Summarize(testForm(tc.k, tc.ks), recs, "en")
			if err != nil {
				t.Fatal(err)
			}
			q := question(t, s, tc.q)
			if got := texts(q); got != tc.want || q.Why != tc.why || q.OfAll != tc.ofAll {
				t.Errorf("got  %s (why %q, of all %v)\nwant %s (why %q, of all %v)", got, q.Why, q.OfAll, tc.want, tc.why, tc.ofAll)
			}
			for _, r := range q.Rows {
				if r.Hidden() != (r.Percent == "") && !(r.Text == "0" && q.N.Text == "0") {
					t.Errorf("row %s: count %q with percentage %q", r.Name, r.Text, r.Percent)
				}
			}
		})
	}
}

func TestPercentages(t *testing.T) {
	// 7 of 201 is 3 %, 194 of 201 is 97 % (96.5 rounds up).
	recs := append(many(7, "sex", "female"), many(194, "sex", "male")...)
	q := question(t, must(stats.Summarize(testForm(5, 5), recs, "en")), "sex")
	if q.Rows[0].Percent != "3 %" || q.Rows[1].Percent != "97 %" || q.Rows[0].Share != 3 {
		t.Errorf("percentages %q %q", q.Rows[0].Percent, q.Rows[1].Percent)
	}
	// 1 of 1000 is hidden, and so is its partner: neither has a percentage.
	recs = append(many(1, "sex", "female"), many(999, "sex", "male")...)
	q = question(t, must(stats.Summarize(testForm(3, 3), recs, "en")), "sex")
	if q.Rows[0].Percent != "" || q.Rows[1].Percent != "" || q.Rows[0].Share != -1 {
		t.Errorf("a hidden count has a percentage: %+v", q.Rows)
	}
	// 3 of 1000 is "<1 %", never 0 %; 997 is ">99 %", never 100 %.
	recs = append(many(3, "sex", "female"), many(997, "sex", "male")...)
	q = question(t, must(stats.Summarize(testForm(3, 3), recs, "en")), "sex")
	if q.Rows[0].Percent != "<1 %" || q.Rows[1].Percent != ">99 %" {
		t.Errorf("percentages %q %q", q.Rows[0].Percent, q.Rows[1].Percent)
	}
}

func TestMultiple(t *testing.T) {
	for _, tc := range []struct {
		name string
		recs []survey.Record
		want string
	}{
		{
			// Shares of those who answered, adding up past 100 %.
			name: "shares",
			recs: append(many(10, "reasons", "hunger politics"), many(10, "reasons", "hunger family")...),
			want: "hunger:20 politics:10 family:10 work:0 | N:20 no:0",
		},
		{
			// All but two chose hunger: those two are protected, so the
			// count is hidden; and since everyone chose at least one, the
			// two must have chosen politics — so it is hidden as well.
			name: "all but a few",
			recs: append(many(18, "reasons", "hunger politics"), many(2, "reasons", "politics")...),
			want: "hunger:x politics:20 family:0 work:0 | N:20 no:0",
		},
		{
			// Each chose one: "work" is 3, hunger 7, N 10. Choices must
			// add up to at least 10, so <5 could only be 3: hunger is
			// hidden too.
			name: "one each",
			recs: append(many(7, "reasons", "hunger"), many(3, "reasons", "work")...),
			want: "hunger:x politics:0 family:0 work:<5 | N:10 no:0",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := question(t, must(stats.Summarize(testForm(5, 10), tc.recs, "en")), "reasons")
			if got := texts(q); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	q := question(t, must(stats.Summarize(testForm(5, 10), append(many(10, "reasons", "hunger politics"), many(10, "reasons", "hunger family")...), "en")), "reasons")
	if q.Rows[0].Percent != "100 %" || q.Rows[1].Percent != "50 %" {
		t.Errorf("percentages %+v", q.Rows)
	}
}

func TestKinds(t *testing.T) {
	recs := many(20, "sex", "female", "age", "30", "safety", "agree", "story", "a long story", "reasons", "hunger")
	s := must(stats.Summarize(testForm(5, 10), recs, "ko"))
	if s.Title != "탈북 설문" || s.Responses != 20 || len(s.Versions) != 1 {
		t.Errorf("summary %q %d %v", s.Title, s.Responses, s.Versions)
	}
	for name, want := range map[string]struct {
		kind stats.Kind
		why  stats.Why
	}{
		"sex":      {stats.KindChoice, ""},
		"age":      {stats.KindNumber, ""},
		"detained": {stats.KindChoice, stats.WhyBaseBelowK},
		"reasons":  {stats.KindMultiple, ""},
		"safety":   {stats.KindLikert, ""},
		"story":    {stats.KindNone, stats.WhyFreeText},
		"relation": {stats.KindNone, stats.WhyInRepeat},
	} {
		q := question(t, s, name)
		if q.Kind != want.kind || q.Why != want.why {
			t.Errorf("%s: kind %q why %q, want %q %q", name, q.Kind, q.Why, want.kind, want.why)
		}
	}
	if q := question(t, s, "sex"); q.Label != "성별" || q.Rows[0].Label != "한 female" {
		t.Errorf("labels not in Korean: %q %q", q.Label, q.Rows[0].Label)
	}
	if q := question(t, s, "detained"); !q.ByRule || q.K != 10 {
		t.Errorf("detained: by rule %v, k %d", q.ByRule, q.K)
	}
	if q := question(t, s, "age"); q.Mean != "30.0" || q.Median != "30.0" {
		t.Errorf("age: mean %q median %q", q.Mean, q.Median)
	}
}

func TestRefusesOtherForms(t *testing.T) {
	r := record(1, "sex", "female")
	r.Response.Form = "another"
	if _, err := stats.Summarize(testForm(5, 10), []survey.Record{r}, "en"); !errors.Is(err, stats.ErrForm) {
		t.Errorf("a response to another form: %v", err)
	}
	f := testForm(5, 10)
	for _, pair := range [][2]string{{"sex", "sex"}, {"sex", "reasons"}, {"story", "sex"}, {"relation", "sex"}, {"sex", "nothing"}} {
		if _, err := stats.Cross(f, nil, "en", pair[0], pair[1]); !errors.Is(err, stats.ErrNotCrossable) {
			t.Errorf("cross %v: %v", pair, err)
		}
	}
}

func TestCross(t *testing.T) {
	var recs []survey.Record
	add := func(n int, kv ...string) { recs = append(recs, many(n, kv...)...) }
	add(20, "sex", "female", "detained", "yes")
	add(15, "sex", "male", "detained", "yes")
	add(12, "sex", "male", "detained", "no")
	add(3, "sex", "female", "detained", "no")
	f := testForm(3, 3)
	x := must(stats.Cross(f, recs, "en", "sex", "detained"))
	var rows []string
	for _, r := range x.Rows {
		var cells []string
		for _, c := range r.Cells {
			mark := ""
			if c.ZeroOrFull {
				mark = "!"
			}
			cells = append(cells, c.Text+mark)
		}
		rows = append(rows, r.Name+": "+strings.Join(cells, " ")+" = "+r.Total.Text)
	}
	got := strings.Join(rows, "; ")
	want := "female: 20 3 = 23; male: 15 12 = 27"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if x.Rows[0].Cells[0].Percent != "87 %" || x.Total.Text != "50" {
		t.Errorf("row percentage %q, total %q", x.Rows[0].Cells[0].Percent, x.Total.Text)
	}
	// With k = 5 the 3 is hidden, and so are enough others that it cannot
	// be worked out from the margins.
	f = testForm(5, 5)
	x = must(stats.Cross(f, recs, "en", "sex", "detained"))
	hidden := 0
	for _, r := range x.Rows {
		for _, c := range r.Cells {
			if c.Hidden() {
				hidden++
			}
		}
	}
	if x.Rows[0].Cells[1].Text != "<5" || hidden != 4 {
		t.Errorf("k = 5: %+v", x.Rows)
	}
	// 0 % and 100 % are marked.
	recs = nil
	add(20, "sex", "female", "detained", "yes")
	add(15, "sex", "male", "detained", "yes")
	add(12, "sex", "male", "detained", "no")
	x = must(stats.Cross(f, recs, "en", "sex", "detained"))
	if c := x.Rows[0].Cells; !c[0].ZeroOrFull || !c[1].ZeroOrFull || c[1].Text != "0" || x.Rows[1].Cells[0].ZeroOrFull {
		t.Errorf("0 %% / 100 %% marks: %+v", x.Rows)
	}
	// The other way round hides the same cells, transposed.
	f = testForm(5, 10)
	recs = randomRecords(rand.New(rand.NewPCG(7, 7)), 60)
	a, b := must(stats.Cross(f, recs, "en", "province", "sex")), must(stats.Cross(f, recs, "en", "sex", "province"))
	for i, r := range a.Rows {
		for j, c := range r.Cells {
			if c.Text != b.Rows[j].Cells[i].Text {
				t.Errorf("cell %d,%d: %q one way, %q the other", i, j, c.Text, b.Rows[j].Cells[i].Text)
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// randomRecords are responses with skewed answers, so that small counts
// are common, and some answers missing.
func randomRecords(rng *rand.Rand, n int) []survey.Record {
	pick := func(opts ...string) string {
		// Weights 1, 1/3, 1/9, …: the later options are rare.
		w, total := 1.0, 0.0
		for range opts {
			total += w
			w /= 3
		}
		x, w := rng.Float64()*total, 1.0
		for _, o := range opts {
			if x < w {
				return o
			}
			x -= w
			w /= 3
		}
		return opts[len(opts)-1]
	}
	var out []survey.Record
	for i := range n {
		var reasons []string
		for _, r := range []string{"hunger", "politics", "family", "work"} {
			if rng.IntN(5) < 3-len(reasons) {
				reasons = append(reasons, r)
			}
		}
		if rng.IntN(20) == 0 {
			reasons = nil
		}
		out = append(out, record(i,
			"sex", pick("female", "male", ""),
			"province", pick("hamgyongbuk", "ryanggang", "pyongyang", "other", ""),
			"detained", pick("no", "yes", ""),
			"age", strconv.Itoa(20+rng.IntN(10)*rng.IntN(6)),
			"reasons", strings.Join(reasons, " "),
			"safety", pick("agree", "neutral", "disagree", "")))
	}
	return out
}

// truth is what the records hold, for the adversary's check of which
// numbers are protected.
func notChosenSmall(recs []survey.Record, k int) func(string) bool {
	return func(choice string) bool {
		n, chose := 0, 0
		for _, r := range recs {
			f := strings.Fields(r.Response.Answers.Get("reasons"))
			if len(f) == 0 {
				continue
			}
			n++
			for _, c := range f {
				if c == choice {
					chose++
					break
				}
			}
		}
		return n-chose > 0 && n-chose < k
	}
}

// attack runs the adversary on every table of a summary and on the
// cross-tables of some pairs, and returns what it pinned.
func attack(t *testing.T, f *survey.Form, recs []survey.Record) []string {
	t.Helper()
	s, err := stats.Summarize(f, recs, "en")
	if err != nil {
		t.Fatal(err)
	}
	var pinned []string
	byName := map[string]*stats.Question{}
	for _, q := range s.Questions {
		byName[q.Name] = q
		if q.Kind == stats.KindNone || q.Why != "" {
			continue
		}
		p := newProblem()
		var small func(string) bool
		if q.Name == "reasons" {
			small = notChosenSmall(recs, q.K)
		}
		p.oneWay(q, len(recs), small)
		pinned = append(pinned, p.pinned()...)
	}
	for _, pair := range [][2]string{{"sex", "province"}, {"province", "detained"}, {"sex", "age"}, {"safety", "detained"}} {
		x, err := stats.Cross(f, recs, "en", pair[0], pair[1])
		if err != nil {
			t.Fatal(err)
		}
		if x.Why != "" {
			continue
		}
		pinned = append(pinned, attackCross(t, x, byName[pair[0]], byName[pair[1]], len(recs))...)
	}
	return pinned
}

// attackCross reads a cross-table with the two questions' own tables.
func attackCross(t *testing.T, x *stats.CrossTab, qr, qc *stats.Question, total int) []string {
	t.Helper()
	p := newProblem()
	rows := p.oneWay(qr, total, nil)
	cols := p.oneWay(qc, total, nil)
	// The margins are the questions' own counts, shown the same way.
	colTerms := make([][]term, len(x.Cols))
	for _, r := range x.Rows {
		key := r.Name + string(r.Special)
		want := qr.NoAnswer.Count
		for _, qrow := range qr.Rows {
			if qrow.Name+string(qrow.Special) == key {
				want = qrow.Count
			}
		}
		if r.Total.Text != want.Text {
			t.Fatalf("row %s shows %q, its own table %q", key, r.Total.Text, want.Text)
		}
		var terms []term
		for j, c := range r.Cells {
			name := fmt.Sprintf("cell %s/%s", key, x.Cols[j].Name+string(x.Cols[j].Special))
			tm := p.read(name, c, x.K, total)
			p.protect(name, tm, c)
			terms = append(terms, tm)
			colTerms[j] = append(colTerms[j], tm)
		}
		p.eqs = append(p.eqs, sum("row "+key, 0, append(terms, rows[key]), append(ones(len(terms)), -1)))
	}
	for j, h := range x.Cols {
		key := h.Name + string(h.Special)
		if x.ColTotals[j].Text != cols[key].text(qc, key) {
			t.Fatalf("column %s shows %q", key, x.ColTotals[j].Text)
		}
		p.eqs = append(p.eqs, sum("col "+key, 0, append(colTerms[j], cols[key]), append(ones(len(colTerms[j])), -1)))
	}
	// A row or column left out shows 0 in its own table: its cells are 0.
	return p.pinned()
}

// text is how a term of a question's own table is shown.
func (tm term) text(q *stats.Question, key string) string {
	for _, r := range q.Rows {
		if r.Name+string(r.Special) == key {
			return r.Text
		}
	}
	return q.NoAnswer.Text
}

// TestAdversary: for random surveys, the adversary pins no protected
// count, in any table or in a cross-table read with its questions' own
// tables.
func TestAdversary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	trials := 150
	if testing.Short() {
		trials = 30
	}
	for i := range trials {
		k := 3 + rng.IntN(3)
		f := testForm(k, k+rng.IntN(3))
		recs := randomRecords(rng, 4+rng.IntN(40))
		if pinned := attack(t, f, recs); len(pinned) > 0 {
			t.Fatalf("trial %d (k %d, %d responses): the adversary pinned\n%s", i, k, len(recs), strings.Join(pinned, "\n"))
		}
	}
}

// TestAdversaryWithoutSecondary shows the adversary has teeth: with only
// primary suppression, it recovers hidden counts in the same random
// surveys (so TestAdversary would fail if secondary suppression were
// removed); and without any suppression, the tables show counts below k.
func TestAdversaryWithoutSecondary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	found := 0
	stats.WithoutSecondary(func() {
		for range 30 {
			k := 3 + rng.IntN(3)
			f := testForm(k, k+rng.IntN(3))
			found += len(attack(t, f, randomRecords(rng, 4+rng.IntN(40))))
		}
	})
	if found == 0 {
		t.Fatal("without secondary suppression the adversary pinned nothing: it tests nothing")
	}
	t.Logf("without secondary suppression the adversary pinned %d counts", found)
}

// TestNoSmallCountShown: no shown count of any table is from 1 to k-1
// (it would fail without primary suppression).
func TestNoSmallCountShown(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		k := 3 + rng.IntN(3)
		f := testForm(k, k+3)
		recs := randomRecords(rng, 4+rng.IntN(60))
		s := must(stats.Summarize(f, recs, "en"))
		check := func(where string, c stats.Count, k int) {
			if n, err := strconv.Atoi(c.Text); err == nil && n > 0 && n < k {
				t.Fatalf("%s shows %d, below k = %d", where, n, k)
			}
		}
		for _, q := range s.Questions {
			for _, r := range q.Rows {
				check(q.Name+"/"+r.Name, r.Count, q.K)
			}
			check(q.Name+" no answer", q.NoAnswer.Count, q.K)
			check(q.Name+" N", q.N, q.K)
		}
		x := must(stats.Cross(f, recs, "en", "sex", "detained"))
		for _, r := range x.Rows {
			for _, c := range r.Cells {
				check("cross "+r.Name, c, x.K)
			}
		}
	}
}

// FuzzAdversary: any data, read from the fuzzer's bytes, gives tables in
// which the adversary pins nothing.
func FuzzAdversary(f *testing.F) {
	f.Add(uint64(1), uint8(20), uint8(0))
	f.Add(uint64(99), uint8(7), uint8(1))
	f.Add(uint64(12345), uint8(45), uint8(2))
	f.Fuzz(func(t *testing.T, seed uint64, n, kk uint8) {
		rng := rand.New(rand.NewPCG(seed, uint64(n)))
		k := 3 + int(kk%3)
		form := testForm(k, k+int(kk/3%3))
		recs := randomRecords(rng, int(n%48))
		if pinned := attack(t, form, recs); len(pinned) > 0 {
			t.Fatalf("the adversary pinned\n%s", strings.Join(pinned, "\n"))
		}
	})
}
