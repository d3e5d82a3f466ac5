package expr

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"testimony/internal/browsertest"
)

// exprJS is the browser's evaluator, which must agree with this package.
const exprJS = "../../../desk/static/expr.js"

// watchJS records the page's Content-Security-Policy violations; it loads
// before expr.js.
const watchJS = `"use strict";
window.violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.violations.push(e.violatedDirective + " " + e.sourceFile + ":" + e.lineNumber);
});
`

// browserEval is run in the page: it evaluates each case with the table's
// env and returns the results written as the Go test writes them.
const browserEval = `(function (cases, answers, self, today, columns) {
  var env = {
    lookup: function (n) { return Object.prototype.hasOwnProperty.call(answers, n) ? answers[n] : undefined; },
    self: function () { return self; },
    today: function () { return today; },
  };
  var fenv = Object.assign({}, env, {
    column: function (n) { return Object.prototype.hasOwnProperty.call(columns, n) ? columns[n] : undefined; },
  });
  return cases.map(function (c) {
    try {
      var v = TestimonyExpr.evaluate(c.ast, c.filter ? fenv : env);
      return { string: "s:", number: "n:", boolean: "b:" }[v.type] + v.string();
    } catch (e) {
      return "!" + e.message;
    }
  });
})`

// deskCSP returns the Content-Security-Policy the desk sends, read from its
// source, so that the test page is held to the same rules.
func deskCSP(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("../../../desk/desk.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"Content-Security-Policy", "([^"]+)"`).FindSubmatch(src)
	if m == nil {
		t.Fatal("desk/desk.go sets no Content-Security-Policy that this test can find")
	}
	return string(m[1])
}

// startChromium starts a headless Chromium, or skips the test if there is
// none (fails with TESTIMONY_REQUIRE_TOOLS=1).
func startChromium(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t, 2*time.Minute)
}

// TestBrowserTable runs the table through this package and through
// desk/static/expr.js in headless Chromium, under the desk's
// Content-Security-Policy, and fails on any difference. It also compares
// number formatting and parsing on many random values.
func TestBrowserTable(t *testing.T) {
	js, err := os.ReadFile(exprJS)
	if err != nil {
		t.Fatal(err)
	}
	csp := deskCSP(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>expr</title><script src="/watch.js"></script><script src="/expr.js"></script>`)
		case "/watch.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, watchJS)
		case "/expr.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(js)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	browser := startChromium(t)
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("failed to open the page: %v", err)
	}

	type jsCase struct {
		AST    *Expr `json:"ast"`
		Filter bool  `json:"filter"`
	}
	var cases []jsCase
	var want []string
	for _, c := range table {
		parse := Parse
		if c.filter {
			parse = ParseFilter
		}
		e, err := parse(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		cases = append(cases, jsCase{e, c.filter})
		want = append(want, evalCase(c))
	}
	arg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	call := fmt.Sprintf("%s(%s, %s, %s, %s, %s)", browserEval, arg(cases), arg(tableEnv.answers),
		arg(tableEnv.self), arg(tableEnv.today), arg(tableEnv.columns))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](call))
	if err != nil {
		t.Fatalf("failed to evaluate the table in the browser: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("the browser returned %d results for %d cases", len(got), len(want))
	}
	for i, c := range table {
		if got[i] != want[i] {
			t.Errorf("%.80s: Go %.80q, browser %.80q", c.src, want[i], got[i])
		}
	}

	// Numbers: random doubles of every magnitude, and decimals near the
	// edges of JavaScript's exponent notation (1e21, 1e-7).
	r := rand.New(rand.NewPCG(1, 2))
	var nums []float64
	for range 3000 {
		f := math.Float64frombits(r.Uint64())
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			nums = append(nums, f)
		}
		nums = append(nums, r.NormFloat64()*math.Pow(10, float64(r.IntN(60)-30)))
	}
	nums = append(nums, 1e21, 1e-7, 123e-9, 0.1, 5e-324, math.MaxFloat64, -1e22, 1e20, 0.000001)
	var fmtWant []string
	for _, f := range nums {
		fmtWant = append(fmtWant, FormatNumber(f))
	}
	fmtGot, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf("%s.map(TestimonyExpr.formatNumber)", arg(nums))))
	if err != nil {
		t.Fatal(err)
	}
	for i := range nums {
		if i >= len(fmtGot) || fmtGot[i] != fmtWant[i] {
			t.Errorf("formatNumber(%v): Go %q, browser %q", nums[i], fmtWant[i], fmtGot[i:min(i+1, len(fmtGot))])
			break
		}
	}

	// Strings to numbers: numbers written in many ways, dates around leap
	// days and the edges of the years supported, and near misses. The
	// browser's results come back formatted by the Go rules checked above.
	strs := []string{"", " ", "-", ".", "-.", "1.", "-1.", ".5", "+1", "1e3", "0x10", "Infinity", "NaN",
		" \t\r\n7\n", "\u00a07", "1 2", "--1", "1.2.3", "00012", "0000-01-01", "0000-02-29", "0001-02-29",
		"9999-12-31", "1900-02-29", "2000-02-29", "2024-13-01", "2024-00-10", "2024-01-00", "2024-1-01",
		" 2024-01-31 ", "2024-04-31", "١٢", "１２"}
	for range 2000 {
		switch r.IntN(3) {
		case 0:
			strs = append(strs, fmt.Sprintf("%04d-%02d-%02d", r.IntN(10000), r.IntN(14), r.IntN(33)))
		case 1:
			strs = append(strs, strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)), 'f', -1, 64))
		default:
			b := make([]byte, r.IntN(6))
			for i := range b {
				b[i] = "0123456789.- e"[r.IntN(14)]
			}
			strs = append(strs, string(b))
		}
	}
	var parseWant []string
	for _, s := range strs {
		parseWant = append(parseWant, FormatNumber(ParseNumber(s)))
	}
	parseGot, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf("%s.map(s => TestimonyExpr.formatNumber(TestimonyExpr.parseNumber(s)))", arg(strs))))
	if err != nil {
		t.Fatal(err)
	}
	for i := range strs {
		if i >= len(parseGot) || parseGot[i] != parseWant[i] {
			t.Errorf("parseNumber(%q): Go %q, browser %q", strs[i], parseWant[i], parseGot[i:min(i+1, len(parseGot))])
			break
		}
	}

	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.violations`))
	if err != nil {
		t.Fatal(err)
	}
	if violations == nil {
		t.Fatal("watch.js did not run: the page's violations are not recorded")
	}
	if len(violations) > 0 {
		t.Errorf("the page broke its Content-Security-Policy: %q", violations)
	}
}
