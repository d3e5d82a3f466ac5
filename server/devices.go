package server

import (
	"testimony/internal/store"
	"testimony/keys"
)

// A device token is bound at enrollment to the device ID the admin chose
// for its code and to the key the laptop sent. The server trusts neither
// the name nor the key on the token's word: what a device token may do
// beyond reading the roster and the log's checkpoints (pushing, fetching
// back what it pushed) it may do only while the current roster, signed by
// the offline admin key, lists that device ID with exactly that key. A
// token enrolled with another key under a listed device's ID (a stolen or
// guessed code, a compromised server's own) is refused at enrollment; one
// enrolled before the roster listed the device, with a key the roster does
// not list, gets nothing.

// listedDevice reports whether the current roster lists the token's device
// ID with the token's key: the same public key, whatever name the token's
// verifier string carries.
func (s *Server) listedDevice(t store.Token) bool {
	if t.Device == "" || t.DevicePub == "" {
		return false
	}
	v, err := keys.ParseVerifier(t.DevicePub)
	if err != nil {
		return false
	}
	listed, ok := s.roster.Load().r.Device(t.Device)
	return ok && listed.SameKey(v)
}

// checkPusher refuses an interviewer token whose device the roster does
// not list with the token's key.
func (s *Server) checkPusher(t store.Token) error {
	if t.Role == store.Interviewer && !s.listedDevice(t) {
		return errNotListed
	}
	return nil
}

// mayFetch reports whether the token may fetch the files of sub: any
// reviewer or custodian the route lets in, and an interviewer's device only
// for what it submitted itself and only while the roster lists it with the
// token's key.
func (s *Server) mayFetch(t store.Token, sub store.Submission) bool {
	if t.Role != store.Interviewer {
		return true
	}
	return t.Device != "" && t.Device == sub.Device && s.listedDevice(t)
}
