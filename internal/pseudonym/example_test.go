package pseudonym_test

import (
	"fmt"

	"testimony/internal/pseudonym"
	"testimony/keys"
)

// An interviewer declares the people and places of an interview; the
// redactor replaces every spelling of them, masks the phone number, and
// flags the name nobody declared.
func Example() {
	entities, err := pseudonym.ParseEntities([]byte(`{
	  "people": [{"id": "p1", "names": ["김석한", "Kim Suk-Han"], "sex": "m"}],
	  "places": [{"id": "l1", "names": ["혜산", "Hyesan"], "generalize": "label"}]
	}`))
	if err != nil {
		panic(err)
	}
	key, _ := keys.GeneratePseudonymKey() // in practice: keys.LoadPseudonymKey
	r, err := pseudonym.New(entities, key)
	if err != nil {
		panic(err)
	}
	res := r.Redact("김석한은 2009년 혜산에서 떠났다. Kim Sŏk-han's phone: 010-1234-5678. 김영철 씨가 도왔다.")

	for _, rp := range res.Report.Replacements {
		fmt.Printf("%s (%s) replaced %d time(s)\n", rp.Entity, rp.Kind, len(rp.Spans))
	}
	for _, m := range res.Report.Masked {
		fmt.Println("masked:", m.Kind)
	}
	for _, f := range res.Report.Flags {
		fmt.Println("flag:", f.Reason)
	}
	// Output:
	// p1 (person) replaced 2 time(s)
	// l1 (place) replaced 1 time(s)
	// masked: phone
	// flag: looks like a Korean name that nobody declared
}
