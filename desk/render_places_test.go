package desk

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"

	"testimony/internal/pseudonym"
)

type placesTestKey []byte

func (k placesTestKey) MAC(msg []byte) [32]byte {
	m := hmac.New(sha256.New, k)
	m.Write(msg)
	return [32]byte(m.Sum(nil))
}

// TestFlagReasonsOfPlacesInKorean: the flags of the place checks (a name in
// Chinese characters, a town that is also a river, a generalized place)
// are shown in Korean on a Korean desk.
func TestFlagReasonsOfPlacesInKorean(t *testing.T) {
	e, err := pseudonym.ParseEntities([]byte(`{"people": [{"id": "p1", "names": ["박철"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pseudonym.New(e, placesTestKey("desk places test key"))
	if err != nil {
		t.Fatal(err)
	}
	res := r.Redact("박철과 朴永洙가 왔다. We went from Tumen to Chungjin. 청진교화소에서.")
	if len(res.Report.Flags) < 4 {
		t.Fatalf("flags %+v, want at least 4", res.Report.Flags)
	}
	for _, f := range res.Report.Flags {
		if flagReason("ko", f.Reason) == f.Reason {
			t.Errorf("reason %q is not translated", f.Reason)
		}
	}
}
