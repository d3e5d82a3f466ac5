package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"testimony/examples/forms"
	"testimony/internal/durable"
	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/internal/survey"
	"testimony/keys"
)

// The demo's survey: the sample form is published by the admin, and the
// laptop's outbox holds made-up responses to it, sealed like real ones, so
// that the reviewer has enough answers for statistics once the laptop syncs
// (with a handful, every table is withheld: that is the disclosure rule).
const (
	demoFormFile   = "defector-survey.xlsx"
	demoFormSigned = "defector-survey.signed.txt"
	demoResponses  = 60
)

// publishDemoForm writes the sample XLSForm and signs it with the admin key
// for the roster r, as an admin on an offline machine would.
func (d demo) publishDemoForm(e *env, r string, admin []string) error {
	if err := durable.WriteNew(d.path(demoFormFile), forms.DefectorSurvey, 0o644); err != nil {
		return err
	}
	_, err := d.step(e, "the admin signs the sample survey form (an XLSForm) for the organisation",
		append([]string{"form", "publish", d.path(demoFormFile), "--roster", r, "--out", d.path(demoFormSigned)}, admin...)...)
	return err
}

// demoSurveyResponses makes n made-up answer sets to the demo form, each
// checked by the same rules the desk applies before sealing.
func demoSurveyResponses(p *survey.Published, n int, seed uint64) ([]*survey.Response, []string, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f := p.Form
	pick := func(weights map[string]int) string {
		total := 0
		keys := make([]string, 0, len(weights))
		for k, w := range weights {
			keys = append(keys, k)
			total += w
		}
		slices.Sort(keys)
		x := rng.IntN(total)
		for _, k := range keys {
			if x < weights[k] {
				return k
			}
			x -= weights[k]
		}
		return keys[len(keys)-1]
	}
	counties := map[string][]string{}
	for _, c := range f.Choices["county"] {
		counties[c.Extra["province"]] = append(counties[c.Extra["province"]], c.Name)
	}
	var out []*survey.Response
	var days []string
	for len(out) < n {
		a := survey.NewAnswers()
		set := func(k, v string) { a.Values[k] = v }
		set("consent_given", "yes")
		set("sex", pick(map[string]int{"female": 78, "male": 20, "pns": 2}))
		left := 1998 + rng.IntN(22)
		age := 2026 - left + 18 + rng.IntN(40)
		set("age", strconv.Itoa(min(age, 90)))
		prov := pick(map[string]int{"hamgyong_bukto": 55, "ryanggang": 25, "hamgyong_namdo": 7, "jagang": 4, "pyongan_bukto": 3, "pyongyang": 3, "kangwon": 3})
		set("home_province", prov)
		if cs := counties[prov]; len(cs) > 0 {
			set("home_county", cs[rng.IntN(len(cs))])
		}
		set("year_left", strconv.Itoa(left))
		arrived := time.Date(left+rng.IntN(3), time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
		set("arrival_date", arrived.Format(time.DateOnly))
		var reasons []string
		for _, r := range []string{"food", "economic", "persecution", "family", "freedom", "education"} {
			if rng.IntN(100) < map[string]int{"food": 45, "economic": 55, "persecution": 20, "family": 35, "freedom": 40, "education": 15}[r] {
				reasons = append(reasons, r)
			}
		}
		if len(reasons) == 0 {
			reasons = []string{"economic"}
		}
		set("reasons", strings.Join(reasons, " "))
		detained := pick(map[string]int{"yes": 40, "no": 55, "pns": 5})
		set("detained", detained)
		if detained == "yes" {
			set("detention_country", pick(map[string]int{"north_korea": 60, "china": 38, "elsewhere": 2}))
			set("facility", pick(map[string]int{"police": 30, "security": 30, "holding_center": 25, "labor_camp": 10, "prison": 5}))
			set("ill_treatment", pick(map[string]int{"yes": 60, "no": 25, "pns": 15}))
		}
		set("food_access", pick(map[string]int{"very_hard": 40, "hard": 35, "neither": 15, "easy": 8, "very_easy": 2}))
		set("health_access", pick(map[string]int{"very_hard": 45, "hard": 30, "neither": 15, "easy": 8, "very_easy": 2}))
		family := pick(map[string]int{"yes": 65, "no": 30, "pns": 5})
		set("has_family", family)
		if family == "yes" {
			for range 1 + rng.IntN(3) {
				m := survey.NewAnswers()
				m.Values["relationship"] = pick(map[string]int{"parent": 30, "sibling": 40, "child": 20, "spouse": 5, "relative": 5})
				m.Values["contact"] = pick(map[string]int{"never": 35, "yearly": 35, "monthly": 20, "rarely": 10})
				a.Repeats["family"] = append(a.Repeats["family"], m)
			}
		}
		day := time.Date(2026, time.Month(1+rng.IntN(11)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		prepared, err := survey.Prepare(f, a, day)
		if err != nil {
			return nil, nil, err
		}
		if problems := survey.Validate(f, prepared, day); len(problems) > 0 {
			return nil, nil, fmt.Errorf("a made-up response does not fit the demo form: %s", problems[0].Error())
		}
		out = append(out, &survey.Response{Format: survey.AnswersFormat, Form: f.ID, Version: f.Version,
			FormSHA256: p.Digest, Language: "ko", Answers: prepared})
		days = append(days, day)
	}
	return out, days, nil
}

// sealDemoResponses seals the made-up responses into the laptop's outbox,
// each with its (empty) re-identification record, as the desk seals a
// survey: they go to the server when the laptop syncs.
func (d demo) sealDemoResponses(signedRoster, signedForm []byte) error {
	pub, err := os.ReadFile(d.path("admin.pub"))
	if err != nil {
		return err
	}
	admin, err := keys.ParseVerifier(string(pub))
	if err != nil {
		return err
	}
	roster, err := keys.VerifyRoster(signedRoster, admin, nil)
	if err != nil {
		return err
	}
	p, err := survey.Verify(signedForm, admin, roster.Org)
	if err != nil {
		return err
	}
	device, err := keys.LoadSigningKey(d.path("laptop-1.key"), d.unlock("laptop-1"))
	if err != nil {
		return err
	}
	responses, days, err := demoSurveyResponses(p, demoResponses, 1)
	if err != nil {
		return err
	}
	outbox := d.path("desks/laptop-1/outbox")
	if err := os.MkdirAll(outbox, 0o700); err != nil {
		return err
	}
	for i, r := range responses {
		answers, err := survey.MarshalResponse(r)
		if err != nil {
			return err
		}
		id := envelope.NewID()
		var reid bytes.Buffer
		digest, err := intake.SealReid(&reid, roster, nil, intake.ReidBinding{ID: id, DeviceID: "laptop-1", Device: device})
		if err != nil {
			return err
		}
		var sealed bytes.Buffer
		if _, err := envelope.Seal(&sealed, envelope.Contents{Answers: answers}, envelope.Options{Roster: roster, Device: device,
			DeviceID: "laptop-1", Day: days[i], Language: r.Language, ID: id, Form: p.Form.Ref(), Reid: digest}); err != nil {
			return err
		}
		if err := durable.WriteNew(filepath.Join(outbox, id+".reid.age"), reid.Bytes(), 0o600); err != nil {
			return err
		}
		if err := durable.WriteNew(filepath.Join(outbox, id+".age"), sealed.Bytes(), 0o600); err != nil {
			return err
		}
	}
	return nil
}
