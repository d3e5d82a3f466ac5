package keys_test

import (
	"os"
	"testing"

	"testimony/keys"
)

// TestMain turns the scrypt work factor down so that passphrase-protected key
// files are written and unlocked in milliseconds instead of about a second.
func TestMain(m *testing.M) {
	keys.ScryptWorkFactor = 10
	os.Exit(m.Run())
}
