package desk

import "testing"

// redirectCases are redirect targets a page can be given (back=, next=):
// the desk's own pages are kept; everything else becomes "/". They also
// seed FuzzDeskPath.
var redirectCases = []struct {
	in, want string
}{
	// The desk's own pages.
	{"/", "/"},
	{"/outbox", "/outbox"},
	{"/pull", "/pull"},
	{"/t/0123456789abcdef0123456789abcdef", "/t/0123456789abcdef0123456789abcdef"},
	{"/interview/0123456789abcdef0123456789abcdef", "/interview/0123456789abcdef0123456789abcdef"},
	{"/?q=%EA%B9%80", "/?q=%EA%B9%80"},                   // a search, in Korean
	{"/outbox?sealed=abc&x=1", "/outbox?sealed=abc&x=1"}, // the query is re-encoded
	{"/?q=a+b", "/?q=a+b"},
	{"/outbox?", "/outbox"},

	// Other hosts, as a browser reads them.
	{"//evil.example", "/"},
	{"///evil.example", "/"},
	{"/\\evil.example", "/"},
	{"\\\\evil.example", "/"},
	{"/\t/evil.example", "/"},        // tab: browsers drop it, leaving //evil.example
	{"/\n/evil.example", "/"},        // newline, likewise
	{"/\r\n/evil.example", "/"},      // and CR LF (also a header split)
	{"/%09/evil.example", "/"},       // the tab encoded, as in the issue
	{"/%0a/evil.example", "/"},       // newline encoded
	{"/%0d/evil.example", "/"},       // CR encoded
	{"/%5cevil.example", "/"},        // backslash encoded
	{"/%5C%5Cevil.example", "/"},     // two, upper case
	{"/%2F%2Fevil.example", "/"},     // slashes encoded
	{"/%2f/evil.example", "/"},       // one of them
	{"/%252F%252Fevil.example", "/"}, // encoded twice
	{"https://evil.example", "/"},
	{"http://127.0.0.1:1234@evil.example/", "/"},
	{"//127.0.0.1:1234@evil.example/", "/"},
	{"/@evil.example", "/"},
	{"javascript:alert(1)", "/"},
	{"JaVaScRiPt:alert(1)", "/"},
	{"/javascript:alert(1)", "/"}, // a path on the desk, but not a page
	{"data:text/html,<script>alert(1)</script>", "/"},
	{" /outbox", "/"}, // leading space: trimmed by browsers, refused here
	{"\x00/outbox", "/"},
	{"/outbox\x00", "/"},
	{"/outbox\x7f", "/"},
	{"/outbox ", "/"},
	{"\u2215\u2215evil.example", "/"},        // division slashes
	{"/\uFF0F/evil.example", "/"},            // fullwidth solidus
	{"/\u2044evil.example", "/"},             // fraction slash
	{"/%E2%88%95%E2%88%95evil.example", "/"}, // division slashes encoded
	{"/\u200b/evil.example", "/"},            // zero-width space

	// Pages the desk does not have, and paths that are not clean.
	{"", "/"},
	{"outbox", "/"},
	{"./outbox", "/"},
	{"../outbox", "/"},
	{"/outbox/", "/"},
	{"/t/../lang?to=ko&back=//evil.example", "/"},
	{"/t/%2e%2e", "/"},
	{"/t/..", "/"},
	{"/t/.", "/"},
	{"/t/", "/"},
	{"/t/a/b", "/"},
	{"/t/a%2Fb", "/"},
	{"/lang?to=ko&back=//evil.example", "/"},
	{"/unlock?next=//evil.example", "/"},
	{"/static/desk.css", "/"},
	{"/outbox#x", "/"},
	{"/outbox?a=%zz", "/"},
}

func TestDeskPath(t *testing.T) {
	for _, tc := range redirectCases {
		if got := deskPath(tc.in); got != tc.want {
			t.Errorf("deskPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if u := browserResolve(t, tc.in, deskPath(tc.in)); u.Host != "127.0.0.1:1234" {
			t.Errorf("deskPath(%q): a browser goes to %s", tc.in, u)
		}
	}
}
