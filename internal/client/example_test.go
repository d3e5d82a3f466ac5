package client_test

import (
	"context"
	"fmt"
	"os"
	"strings"

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

// An interviewer's laptop reaches the organisation's onion service through
// the Tor daemon's SOCKS port. The proxy resolves the .onion name; if Tor is
// not running, every request fails with ErrProxyUnreachable and nothing is
// sent directly.
func ExampleWithProxy() {
	token, _ := os.ReadFile("token.txt")
	c, err := client.New("http://"+strings.Repeat("a", 56)+".onion", strings.TrimSpace(string(token)), nil,
		client.WithProxy("socks5h://127.0.0.1:9050"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("through", c.Proxy())
	// Output: through socks5h://127.0.0.1:9050
}

// A proxy of another kind is refused, without repeating its password.
func ExampleParseProxy() {
	_, err := client.ParseProxy("http://user:secret@proxy.example:3128")
	fmt.Println(err)
	// Output: testimony uses only SOCKS5 proxies, not http://…: the proxy must be a SOCKS5 URL like socks5h://127.0.0.1:9050 (Tor's SOCKS port)
}
