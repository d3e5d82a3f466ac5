package desk

import (
	"strings"
	"testing"
)

func TestAlign(t *testing.T) {
	for _, tc := range []struct {
		src, out string
		// a span of out, and the text of src it comes from
		span [2]string // the text in out, and the text expected in src
	}{
		// A place generalized, its particle re-agreed.
		{"김영철 씨가 회령에서 왔다.", "김영철 씨가 함경북도에서 왔다.", [2]string{"함경북도", "회령"}},
		{"혜산은 추웠다. 혜산은.", "량강도는 추웠다. 혜산은.", [2]string{"량강도는", "혜산은"}},
		// A flag that changes nothing.
		{"Pak met 김영철 there.", "Han met 김영철 there.", [2]string{"김영철", "김영철"}},
		// A replacement at the very end.
		{"I met Pak Yong-su", "I met Han Ji-hun", [2]string{"Han Ji-hun", "Pak Yong-su"}},
	} {
		cs, ok := align(tc.src, tc.out)
		if !ok {
			t.Errorf("%q → %q: not aligned", tc.src, tc.out)
			continue
		}
		o := strings.Index(tc.out, tc.span[0])
		a, b := srcOffset(cs, o, false), srcOffset(cs, o+len(tc.span[0]), true)
		if a < 0 || b > len(tc.src) || a > b || tc.src[a:b] != tc.span[1] {
			t.Errorf("%q → %q: %q came from %d:%d, want %q", tc.src, tc.out, tc.span[0], a, b, tc.span[1])
		}
	}
}

// FuzzAlign: whatever the two texts, the changes found are in order and in
// range, and the texts agree outside them.
func FuzzAlign(f *testing.F) {
	f.Add("김영철 씨가 회령에서 왔다.", "김영철 씨가 함경북도에서 왔다.")
	f.Add("abc", "abd")
	f.Add("", "x")
	f.Add("같은 글", "같은 글")
	f.Fuzz(func(t *testing.T, src, out string) {
		cs, ok := align(src, out)
		if !ok {
			return
		}
		i, j := 0, 0
		for _, c := range cs {
			if c.srcStart < i || c.outStart < j || c.srcEnd < c.srcStart || c.outEnd < c.outStart || c.srcEnd > len(src) || c.outEnd > len(out) {
				t.Fatalf("change %+v out of order or range (%q, %q)", c, src, out)
			}
			if src[i:c.srcStart] != out[j:c.outStart] {
				t.Fatalf("the texts differ outside the changes: %q vs %q", src[i:c.srcStart], out[j:c.outStart])
			}
			i, j = c.srcEnd, c.outEnd
		}
		if src[i:] != out[j:] {
			t.Fatalf("the texts differ after the last change: %q vs %q", src[i:], out[j:])
		}
	})
}
