package stats_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"testimony/internal/survey"
	"testimony/internal/survey/stats"
)

// bigSurvey is 10,000 responses with a question of 40 places (most of
// them rare, so many small cells) and ages over 60 years.
func bigSurvey() (*survey.Form, []survey.Record) {
	f := testForm(5, 10)
	var places []survey.Choice
	for i := range 40 {
		places = append(places, survey.Choice{Name: fmt.Sprintf("p%02d", i)})
	}
	f.Choices["province"] = places
	rng := rand.New(rand.NewPCG(5, 6))
	var recs []survey.Record
	for i := range 10000 {
		p := int(rng.ExpFloat64() * 6)
		recs = append(recs, record(i, "sex", []string{"female", "male"}[rng.IntN(2)],
			"province", fmt.Sprintf("p%02d", min(p, 39)), "age", strconv.Itoa(18+rng.IntN(60))))
	}
	return f, recs
}

func BenchmarkSummarize(b *testing.B) {
	f, recs := bigSurvey()
	for b.Loop() {
		stats.Summarize(f, recs, "en")
	}
}

func BenchmarkCross(b *testing.B) {
	f, recs := bigSurvey()
	for b.Loop() {
		stats.Cross(f, recs, "en", "province", "age")
	}
}
