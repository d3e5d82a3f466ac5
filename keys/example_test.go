package keys_test

import (
	"errors"
	"fmt"
	"log"

	"testimony/keys"
)

// An admin signs the organisation's roster with the offline admin key; a
// client verifies it against the admin verifier key it pinned at enrollment,
// and refuses to go back to an older roster.
func ExampleVerifyRoster() {
	// Once, offline: the admin key. Its verifier is given to every client.
	admin, err := keys.GenerateSigningKey("admin.example-ngo")
	if err != nil {
		log.Fatal(err)
	}
	// A reviewer makes a key pair and hands over the public half.
	reviewer, err := keys.GenerateIdentity(keys.Hybrid)
	if err != nil {
		log.Fatal(err)
	}

	roster, err := keys.NewRoster("Example NGO")
	if err != nil {
		log.Fatal(err)
	}
	if err := roster.Add(keys.Reviewer, "reviewer 1", reviewer.Recipient()); err != nil {
		log.Fatal(err)
	}
	signed, err := roster.Sign(admin)
	if err != nil {
		log.Fatal(err)
	}

	// On a client, with the pinned admin verifier key.
	pinned, err := keys.ParseVerifier(admin.Verifier())
	if err != nil {
		log.Fatal(err)
	}
	verified, err := keys.VerifyRoster(signed, pinned, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("org:", verified.Org)
	fmt.Println("version:", verified.Version)
	fmt.Println("keys:", verified.Kind())
	for _, m := range verified.Reviewers {
		fmt.Println("reviewer:", m.Label)
	}

	// The same roster again, once it is pinned, is a rollback.
	_, err = keys.VerifyRoster(signed, pinned, verified)
	fmt.Println("replayed:", errors.Is(err, keys.ErrRosterRollback))

	// Output:
	// org: Example NGO
	// version: 1
	// keys: post-quantum hybrid (ML-KEM-768 + X25519)
	// reviewer: reviewer 1
	// replayed: true
}
