package client_test

import (
	"context"
	"fmt"
	"os"

	"testimony/internal/client"
	"testimony/keys"
)

// A reviewer's machine pulls what is new and checks that the server still
// holds everything it has receipts for. The roster is the one pinned at
// enrollment, verified with the admin key.
func Example() {
	ctx := context.Background()
	signed, _ := os.ReadFile("roster.txt")
	admin, _ := keys.ParseVerifier("admin+0123abcd+…")
	roster, err := keys.VerifyRoster(signed, admin, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	logKey, err := client.LogKey(roster)
	if err != nil {
		fmt.Println(err)
		return
	}
	token, _ := os.ReadFile("token.txt")
	c, err := client.New("https://intake.example.org", string(token), func(w string) { fmt.Println("warning:", w) })
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.Pull(ctx, "inbox", "inbox/receipts", logKey, func(p client.Progress) {
		fmt.Printf("\r%s: %d of %d bytes", p.ID, p.Bytes, p.Size)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("pulled %d new file(s), %d already there\n", len(res.New), res.Already)
	rep, err := c.Verify(ctx, "inbox/receipts", logKey)
	if err != nil {
		fmt.Println("verify could not run:", err)
		return
	}
	for _, p := range rep.Problems {
		fmt.Println("PROBLEM:", p)
	}
}
