package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestServerCannotReadPseudonymKey: nothing the server is built from can
// load the pseudonym key or pseudonymize: server/ imports neither the
// pseudonymizer nor any function of package keys that reads the key
// (public case 49).
func TestServerCannotReadPseudonymKey(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "testimony/internal/pseudonym" || strings.HasPrefix(dep, "testimony/desk") {
			t.Errorf("the server depends on %s", dep)
		}
	}
	src, err := exec.Command("sh", "-c", "cat $(go list -f '{{range .GoFiles}}{{$.Dir}}/{{.}} {{end}}' .)").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"PseudonymKey", "LoadPseudonymKey", "LoadIdentity", "Unlock{"} {
		if strings.Contains(string(src), name) {
			t.Errorf("server code mentions %s", name)
		}
	}
}
