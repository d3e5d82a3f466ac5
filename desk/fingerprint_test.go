package desk_test

import (
	"net/http"
	"strings"
	"testing"

	"testimony/desk"
	"testimony/keys"
)

// TestOutboxShowsFingerprint: the interviewer's outbox shows the laptop's
// device ID and its key's fingerprint, which the interviewer reads to the
// admin, in English and in Korean.
func TestOutboxShowsFingerprint(t *testing.T) {
	o := newOrg(t)
	want := must(keys.ParseVerifier(o.device.Verifier())).Fingerprint()
	lap := start(t, o.homes["laptop 1"], desk.Config{})
	lap.unlock()
	for lang, label := range map[string]string{"en": "key fingerprint", "ko": "키 지문"} {
		lap.lang = lang
		code, _, page := lap.get("/outbox")
		if code != http.StatusOK || !strings.Contains(page, "<code>laptop-1</code>") || !strings.Contains(page, label+` <code class="fingerprint">`+want+"</code>") {
			t.Errorf("outbox in %s: %d; want laptop-1 and fingerprint %s\n%s", lang, code, want, page)
		}
	}
}
