package stats_test

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"testimony/internal/survey"
	"testimony/internal/survey/stats"
)

// svgNode is the parsed SVG, enough to look at its elements.
type svgNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []svgNode  `xml:",any"`
}

func (n *svgNode) walk(fn func(*svgNode)) {
	fn(n)
	for i := range n.Nodes {
		n.Nodes[i].walk(fn)
	}
}

func (n *svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func parseSVG(t *testing.T, s string) *svgNode {
	t.Helper()
	var root svgNode
	dec := xml.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("the chart is not XML: %v\n%s", err, s)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("something after the chart: %v", err)
	}
	if root.XMLName.Local != "svg" || root.attr("role") != "img" || root.attr("aria-labelledby") == "" {
		t.Fatalf("not an accessible svg: %v %v", root.XMLName, root.Attrs)
	}
	return &root
}

var chartText = stats.ChartText{Title: `Reasons <script>alert(1)</script> & "more"`, Desc: "Percentages of those who answered",
	Other: "기타", NoAnswer: "응답 없음", Hidden: "빗금: 숨김"}

func TestChart(t *testing.T) {
	f := testForm(5, 10)
	f.Choices["province"][0].Label = survey.Localized{"en": `<b>Hamgyŏng</b> & "north"`, "ko": "함경북도 <b>"}
	var recs []survey.Record
	add := func(n int, kv ...string) { recs = append(recs, many(n, kv...)...) }
	add(20, "province", "hamgyongbuk", "safety", "agree", "age", "31")
	add(3, "province", "ryanggang", "safety", "disagree", "age", "62")
	add(9, "province", "pyongyang", "safety", "neutral", "age", "40")
	s := must(stats.Summarize(f, recs, "ko"))

	for _, name := range []string{"province", "safety", "age"} {
		t.Run(name, func(t *testing.T) {
			q := question(t, s, name)
			out := stats.Chart(q, "chart-"+name, chartText)
			root := parseSVG(t, out)
			if strings.Contains(out, "<script") || strings.Contains(out, "<b>") {
				t.Errorf("a label is not escaped:\n%s", out)
			}
			var title, texts string
			hatched, bars := 0, 0
			root.walk(func(n *svgNode) {
				switch {
				case n.XMLName.Local == "title" && n.attr("id") == "chart-"+name+"-title":
					title = n.Text
				case n.XMLName.Local == "text":
					texts += n.Text + "\n"
				case n.attr("class") == "hidden-bar":
					hatched++
				case n.attr("class") == "bar":
					bars++
				}
			})
			if title != chartText.Title {
				t.Errorf("title %q", title)
			}
			if !strings.Contains(root.attr("font-family"), "Noto Sans KR") {
				t.Errorf("font-family %q", root.attr("font-family"))
			}
			// The 3 is hidden and drawn hatched, labelled "<5", never "3".
			if hatched == 0 || !strings.Contains(texts, "<5") || strings.Contains(texts, "(3)") {
				t.Errorf("the hidden count is not drawn as hidden (hatched %d):\n%s", hatched, texts)
			}
			if bars == 0 {
				t.Errorf("no bars:\n%s", out)
			}
		})
	}
	if q := question(t, s, "province"); !strings.Contains(stats.Chart(q, "p", chartText), "함경북도 &lt;b&gt;") {
		t.Errorf("the Korean label is missing or not escaped")
	}
	// Withheld and free-text questions have no chart.
	for _, name := range []string{"detained", "story"} {
		if out := stats.Chart(question(t, s, name), "x", chartText); out != "" {
			t.Errorf("%s has a chart: %s", name, out)
		}
	}
}

// TestChartHiddenBarLength: a hidden count's bar has the same length
// whatever the count, so the drawing tells nothing the text does not.
func TestChartHiddenBarLength(t *testing.T) {
	widths := map[string]bool{}
	for _, small := range []int{1, 2, 3, 4} {
		recs := append(many(20, "sex", "female"), many(small, "sex", "male")...)
		recs = append(recs, many(9, "province", "pyongyang")...)
		q := question(t, must(stats.Summarize(testForm(5, 10), recs, "en")), "sex")
		root := parseSVG(t, stats.Chart(q, "c", chartText))
		var w []string
		root.walk(func(n *svgNode) {
			if n.XMLName.Local == "rect" && n.attr("class") != "" {
				w = append(w, n.attr("class")+"="+n.attr("width"))
			}
		})
		widths[strings.Join(w, " ")] = true
	}
	if len(widths) != 1 {
		t.Errorf("the bars differ with the hidden count: %v", widths)
	}
}
