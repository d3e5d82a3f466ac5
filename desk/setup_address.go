package desk

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"testimony/internal/durable"
)

// addressFile keeps a desk's address across launches, in its home.
//
// Why the secret is kept: a person bookmarks the desk, or starts it again
// and expects the tab they had open to keep working. So the port, the
// secret of the printed address and the session cookie's name and value
// stay the same from one launch to the next. What guards the desk does not
// change: it listens on loopback only, refuses other host names (DNS
// rebinding) and cross-site requests, and its keys stay locked behind the
// passphrase. The secret keeps other accounts of this computer, and web
// pages, from reaching the pages at all; it is kept in this file, mode
// 0600, readable only by the person's own account — which can read their
// browser's bookmarks and cookies anyway. Deleting the file draws a new
// address and secret at the next launch (old bookmarks then stop working).
const addressFile = "address.json"

// addressFormat is the format of address.json.
const addressFormat = "testimony-desk-address-v1"

// keptAddress is the content of address.json.
type keptAddress struct {
	Format  string `json:"format"`
	Port    int    `json:"port"` // 0 until the first ListenKept
	Secret  string `json:"secret"`
	Session string `json:"session"`
	Cookie  string `json:"cookie"`
}

// keepAddress reads the home's address.json, or makes one (and the home,
// mode 0700, if it does not exist: a desk in setup mode starts from
// nothing).
func keepAddress(home string) (*keptAddress, error) {
	path := filepath.Join(home, addressFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		a := &keptAddress{Format: addressFormat, Secret: randomString(24), Session: randomString(32), Cookie: randomString(6)}
		if err := os.MkdirAll(home, 0o700); err != nil {
			return nil, fmt.Errorf("failed to create the desk's folder: %w", err)
		}
		return a, a.save(home, false)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the desk's address: %w", err)
	}
	var a keptAddress
	if err := json.Unmarshal(b, &a); err != nil || a.Format != addressFormat || len(a.Secret) < 32 || len(a.Session) < 32 || a.Cookie == "" || a.Port < 0 || a.Port > 65535 {
		return nil, fmt.Errorf("%s is damaged; delete it and start the desk again (it draws a new address)", path)
	}
	return &a, nil
}

func (a *keptAddress) save(home string, replace bool) error {
	b, _ := json.MarshalIndent(a, "", "  ")
	path := filepath.Join(home, addressFile)
	if replace {
		return durable.Replace(path, append(b, '\n'), 0o600)
	}
	return durable.WriteNew(path, append(b, '\n'), 0o600)
}

// ListenKept listens on 127.0.0.1 at the port kept in the desk's home, so
// that its address (see [Desk.URL]) stays the same from one launch to the
// next and bookmarks keep working. The first launch takes a free port and
// keeps it. If the kept port is taken now (by another program), it takes
// another free port and keeps that one from now on, and moved is true: say
// so to the person, as their bookmark has changed.
func (d *Desk) ListenKept() (ln net.Listener, moved bool, err error) {
	if d.kept.Port != 0 {
		ln, err = Listen("127.0.0.1:" + strconv.Itoa(d.kept.Port))
		if err == nil {
			return ln, false, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, false, err
		}
		moved = true
	}
	if ln, err = Listen("127.0.0.1:0"); err != nil {
		return nil, false, err
	}
	d.kept.Port = ln.Addr().(*net.TCPAddr).Port
	if err := d.kept.save(d.cfg.Home, true); err != nil {
		ln.Close()
		return nil, false, err
	}
	return ln, moved, nil
}
