package intake_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"testimony/internal/intake"
	"testimony/internal/pseudonym"
	"testimony/keys"
)

// BenchmarkOpenReid opens a re-identification record of a note naming three
// people and a place, sealed to one post-quantum custodian: signed and bound
// to its submission (format 2), against the same record unsigned (format
// 1). The difference is what binding a record costs a custodian.
func BenchmarkOpenReid(b *testing.B) {
	o := &reidOrg{}
	keys.ScryptWorkFactor = 10
	o.custodian, _ = keys.GenerateIdentity(keys.Hybrid)
	o.laptop1, _ = keys.GenerateSigningKey("laptop-1")
	o.roster, _ = keys.NewRoster("Test NGO")
	o.roster.Add(keys.Custodian, "c", o.custodian.Recipient())
	v, _ := keys.ParseVerifier(o.laptop1.Verifier())
	o.roster.AddDevice("laptop-1", v)
	var people []pseudonym.ReidEntry
	for _, n := range []string{"박영수", "김영철", "리영희"} {
		people = append(people, pseudonym.ReidEntry{Entity: n, Pseudonym: "김병일", Declared: []string{n}, Found: []string{n, n + "는"}})
	}
	parts := []pseudonym.Reid{{Format: pseudonym.ReidFormat, People: people, Places: []pseudonym.ReidEntry{{Entity: "l1", Pseudonym: "량강도", Declared: []string{"혜산"}}}}}
	var signed bytes.Buffer
	if _, err := intake.SealReid(&signed, o.roster, parts, intake.ReidBinding{ID: subA, DeviceID: "laptop-1", Device: o.laptop1}); err != nil {
		b.Fatal(err)
	}
	v1, _ := json.Marshal(intake.Bundle{Format: intake.BundleFormat, Parts: parts})
	var unsigned bytes.Buffer
	if err := intake.SealTo(&unsigned, o.roster.Custodians, v1); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		file []byte
	}{{"unsigned", unsigned.Bytes()}, {"signed", signed.Bytes()}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := intake.OpenReid(c.file, o.custodian, o.roster, subA); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
