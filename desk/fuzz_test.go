package desk

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzDraftEntities feeds the people and places table anything a person
// could type: it becomes a valid entities document or a clear error.
func FuzzDraftEntities(f *testing.F) {
	f.Add("박영수, Pak Yong-su", "m", "interviewee", "혜산, Hyesan", "량강도")
	f.Add(",,;\n、", "x", "", " ", "")
	f.Add("金錫漢", "f", "relative", "Hoeryŏng", "함경북도")
	f.Fuzz(func(t *testing.T, names, sex, role, place, prov string) {
		dr := &draft{People: []personRow{{Names: names, Sex: sex, Role: role}, {}}, Places: []placeRow{{Names: place, Province: prov}}}
		e, err := dr.entities()
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		for _, p := range e.People {
			if len(p.Names) == 0 {
				t.Fatalf("a person without names: %+v", p)
			}
			for _, n := range p.Names {
				if strings.TrimSpace(n) != n || n == "" {
					t.Fatalf("an untrimmed name %q", n)
				}
			}
		}
	})
}

// FuzzFlattenAnswers: any answers file becomes rows, never a panic.
func FuzzFlattenAnswers(f *testing.F) {
	f.Add([]byte(`{"a": {"b": [1, "x", null, true]}, "c": "d"}`))
	f.Add([]byte(`[[[[]]]]`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows := flattenAnswers(b)
		if len(b) > 0 && len(rows) == 0 && !strings.HasPrefix(strings.TrimSpace(string(b)), "{") && !strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
			t.Fatalf("%q gave no rows", b)
		}
	})
}

// FuzzFold: search folding gives valid text without spaces or marks, and
// folding twice changes nothing.
func FuzzFold(f *testing.F) {
	f.Add("Kim Sŏk-han 김석한은")
	f.Add("ＫＩＭ　ｓｅｏｋ\u200b")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		out := fold(s)
		if !utf8.ValidString(out) {
			t.Fatalf("fold(%q) is not UTF-8", s)
		}
		if strings.ContainsFunc(out, unicode.IsSpace) {
			t.Fatalf("fold(%q) = %q keeps a space", s, out)
		}
		if again := fold(out); again != out {
			t.Fatalf("fold is not stable: %q → %q → %q", s, out, again)
		}
	})
}

// FuzzSafeNext: where the desk sends a person after unlocking stays on
// the desk.
func FuzzSafeNext(f *testing.F) {
	f.Add("/t/abc")
	f.Add("//evil.example")
	f.Add("/\\evil.example")
	f.Add("https://evil.example")
	f.Fuzz(func(t *testing.T, s string) {
		n := safeNext(s)
		if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.HasPrefix(n, "/\\") {
			t.Fatalf("safeNext(%q) = %q leaves the desk", s, n)
		}
	})
}
