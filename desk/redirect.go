package desk

import (
	"net/url"
	"path"
	"strings"
)

// deskPages are the pages a person may be sent back to (after unlocking,
// after switching language): the desk's own GET pages, "*" standing for
// one path segment. Keep it in step with the route table in routes.go; a
// page that is missing here only sends the person to the start page.
var deskPages = []string{"/", "/outbox", "/pull", "/verify", "/interview/*", "/survey/*", "/surveys", "/surveys/*", "/t/*"}

// maxTarget is the longest redirect target the desk follows.
const maxTarget = 2048

// deskPath returns target if it names one of the desk's own pages, and "/"
// otherwise. Every redirect target that comes from a request (back=,
// next=, the page a locked desk was asked for) goes through it.
//
// A browser reads more into a Location than net/url does: it drops tabs
// and newlines anywhere ("/\t/evil.example" becomes "//evil.example", an
// address on another host), trims spaces and control characters, and
// takes "\" for "/". So the target is held to a strict shape before it is
// parsed: printable ASCII without spaces, backslashes or "#"; then a path
// of plain segments only (letters, digits, "-", "_", ".", "~": no "%",
// so nothing a browser or a second decoding could turn into "/", "\" or a
// control character), already clean (no "//", ".", ".."), that matches a
// page in deskPages; and an optional query, re-encoded.
func deskPath(target string) string {
	if target == "" || len(target) > maxTarget || target[0] != '/' {
		return "/"
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c >= 0x7f || c == '\\' || c == '#' {
			return "/"
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Opaque != "" || u.User != nil || u.Host != "" || u.Fragment != "" {
		return "/"
	}
	p := u.Path
	if p == "" || p[0] != '/' || path.Clean(p) != p || !deskPage(p) {
		return "/"
	}
	for i := 0; i < len(p); i++ {
		if !segmentByte(p[i]) && p[i] != '/' {
			return "/"
		}
	}
	if u.RawQuery == "" && !u.ForceQuery {
		return p
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "/"
	}
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

// deskPage reports whether the clean path p matches a page in deskPages.
func deskPage(p string) bool {
	for _, page := range deskPages {
		if page == p {
			return true
		}
		prefix, ok := strings.CutSuffix(page, "*")
		if !ok {
			continue
		}
		seg, ok := strings.CutPrefix(p, prefix)
		if ok && seg != "" && !strings.Contains(seg, "/") {
			return true
		}
	}
	return false
}

// segmentByte reports whether c may appear in a path segment of a desk
// page: URL-unreserved characters only.
func segmentByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}
