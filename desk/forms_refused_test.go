package desk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"testimony/keys"
)

// TestFormsRefusedShown: a form the desk refused at a sync is listed on
// the interviewer's home page and on the reviewer's surveys page, by ID and
// version with the reason in plain words, in English and in Korean, until
// a sync refuses none; the list kept in the desk's home holds no content
// of the form.
func TestFormsRefusedShown(t *testing.T) {
	ctx := context.Background()
	o := newFormsOrg(t)
	v1 := syncForm("household", "1", "Did you leave?")
	o.publish(v1)
	d, u := o.desk(Interviewer)
	sync := func() {
		t.Helper()
		if err := d.refreshRoster(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	sync()
	if got := d.formRefusals("en"); len(got) != 0 {
		t.Fatalf("an honest sync lists refusals: %v", got)
	}
	// home and surveys render the two pages in the language l.
	page := func(name, l string) string {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: "lang", Value: l})
		rec := httptest.NewRecorder()
		switch name {
		case "interviewer":
			d.render(rec, req, http.StatusOK, name, "Interviews", d.interviewerData(u, l))
		case "surveys":
			d.render(rec, req, http.StatusOK, name, "Surveys", &surveyListView{Refused: d.formRefusals(l)})
		}
		return rec.Body.String()
	}

	for _, c := range []struct {
		name   string
		attack func()
		en, ko string
	}{
		{"a forged form", func() {
			mallory, _ := keys.GenerateSigningKey("admin")
			forged := syncForm("forged", "1", "Who helped you?")
			o.list(syncEntry(v1), syncEntry(forged))
			o.serve("/api/v1/forms/forged/1", o.sign(forged, o.org, mallory))
		}, "forged version 1, because it is not signed by your organisation&#39;s admin key.", "forged 버전 1. 이유: 단체 관리자의 키로 서명되지 않았습니다."},
		{"a changed form", func() {
			v2 := syncForm("household", "2", "Did you leave?")
			o.list(syncEntry(v1), syncEntry(v2))
			o.serve("/api/v1/forms/household/2", []byte(strings.Replace(string(o.sign(v2, o.org, o.admin)), "Did you leave?", "Who helped you?", 1)))
		}, "household version 2, because it was changed after it was signed.", "household 버전 2. 이유: 서명된 뒤에 바뀌었습니다."},
		{"another organisation's form", func() {
			other := syncForm("household", "4", "Did you leave?")
			o.list(syncEntry(v1), syncEntry(other))
			o.serve("/api/v1/forms/household/4", o.sign(other, "Another NGO", o.admin))
		}, "household version 4, because it was published for another organisation.", "household 버전 4. 이유: 다른 단체를 위해 게시되었습니다."},
		{"another form under a version the desk holds", func() {
			draft := syncForm("household", "1", "A draft question")
			o.list(syncEntry(draft))
			o.serve("/api/v1/forms/household/1", o.sign(draft, o.org, o.admin))
		}, "household version 1, because another form was published under a version this desk already holds.", "household 버전 1. 이유: 이 데스크에 이미 있는 버전 번호로 다른 설문지가 게시되었습니다."},
		{"an older version listed as newer", func() {
			old := syncEntry(v1)
			old.Version = "3"
			o.list(syncEntry(v1), old)
			o.serve("/api/v1/forms/household/3", o.sign(v1, o.org, o.admin))
		}, "household version 3, because the server listed it as another form or version.", "household 버전 3. 이유: 서버가 다른 설문지나 버전으로 목록에 올렸습니다."},
	} {
		t.Run(c.name, func(t *testing.T) {
			o.honest()
			c.attack()
			sync()
			for _, name := range []string{"interviewer", "surveys"} {
				if p := page(name, "en"); !strings.Contains(p, "A form from the server was refused and not kept: "+c.en) {
					t.Errorf("the %s page does not say %q:\n%s", name, c.en, p)
				}
				if p := page(name, "ko"); !strings.Contains(p, "서버에서 받은 설문지를 거부하고 보관하지 않았습니다: "+c.ko) {
					t.Errorf("the %s page in Korean does not say %q", name, c.ko)
				}
			}
			kept, err := os.ReadFile(d.refusalsPath())
			if err != nil {
				t.Fatal(err)
			}
			for _, content := range []string{"Who helped you?", "A draft question", "Did you leave", "Another NGO"} {
				if strings.Contains(string(kept), content) {
					t.Errorf("the list of refused forms holds %q: %s", content, kept)
				}
			}
		})
	}
	// A sync that refuses nothing clears the list.
	o.honest()
	sync()
	if p := page("interviewer", "en"); strings.Contains(p, "was refused") {
		t.Errorf("after an honest sync the home page still lists a refusal")
	}
	if _, err := os.Stat(d.refusalsPath()); !os.IsNotExist(err) {
		t.Errorf("after an honest sync the list of refused forms is still there: %v", err)
	}
}
