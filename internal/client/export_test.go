package client

import (
	"context"
	"net"
)

// SetDial replaces the dialer every new Client's transport uses (to the
// server, or to the proxy), until the returned function restores it.
func SetDial(f func(ctx context.Context, network, addr string) (net.Conn, error)) (restore func()) {
	old := dialContext
	dialContext = f
	return func() { dialContext = old }
}
