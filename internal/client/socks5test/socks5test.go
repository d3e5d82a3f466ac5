// Package socks5test is a small SOCKS5 server (RFC 1928, with the
// username/password method of RFC 1929) for tests of clients that reach
// their server through a proxy such as Tor.
//
// It listens on loopback, accepts CONNECT only, and records every address
// it is asked for exactly as the client sent it: a host name stays a name,
// so a test can tell a client that resolved the name itself (and so
// looked it up on its own machine) from one that let the proxy resolve
// it. It resolves no name through DNS: names are looked up in the Hosts
// table only, as an onion address would be by Tor, and it connects only to
// loopback addresses.
package socks5test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Request is one CONNECT a client asked for.
type Request struct {
	// Host is the host as the client sent it: a name, or an IP address.
	Host string
	// Name is whether the client sent a host name (address type 3)
	// rather than an IP address.
	Name bool
	Port int
	// User is the user name the client authenticated with, if any.
	User string
}

// Server is a running SOCKS5 server. Its methods are safe for concurrent
// use.
type Server struct {
	// Addr is the server's address, 127.0.0.1:PORT.
	Addr string

	hosts          map[string]string
	user, password string
	ln             net.Listener

	mu       sync.Mutex
	requests []Request
	conns    map[net.Conn]bool
	closed   bool
	wg       sync.WaitGroup
}

// Options configures a Server.
type Options struct {
	// Hosts maps host names to the loopback HOST:PORT to connect to for
	// them, whatever port the client asked for. Other names are answered
	// "host unreachable".
	Hosts map[string]string
	// User and Password, if User is set, are required (RFC 1929); the
	// no-authentication method is then refused.
	User, Password string
}

// Start starts a server on a free loopback port. Close stops it.
func Start(o Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), hosts: o.Hosts, user: o.User, password: o.Password, ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Requests returns the CONNECT requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Close stops the server and closes every connection it holds, and
// returns when all its goroutines have ended.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.conns[c] = true
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if !s.track(c) {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.handle(c)
		}()
	}
}

// Reply codes (RFC 1928, section 6).
const (
	replyOK             = 0
	replyFailure        = 1
	replyHostUnreach    = 4
	replyCmdUnsupported = 7
	replyAddrUnsupport  = 8
)

func (s *Server) handle(c net.Conn) {
	// The handshake is short; a client that stalls in it is cut.
	c.SetDeadline(time.Now().Add(10 * time.Second))
	user, err := s.negotiate(c)
	if err != nil {
		return
	}
	req, code := s.readRequest(c)
	if code != replyOK {
		reply(c, code)
		return
	}
	req.User = user
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	target := ""
	if req.Name {
		target = s.hosts[req.Host]
	} else if ip, err := netip.ParseAddr(req.Host); err == nil && ip.IsLoopback() {
		target = net.JoinHostPort(req.Host, strconv.Itoa(req.Port))
	}
	if target == "" {
		reply(c, replyHostUnreach)
		return
	}
	up, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		reply(c, replyHostUnreach)
		return
	}
	if !s.track(up) {
		return
	}
	defer s.untrack(up)
	if reply(c, replyOK) != nil {
		return
	}
	c.SetDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		io.Copy(up, c)
		up.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, up)
	c.(*net.TCPConn).CloseWrite()
	<-done
}

// negotiate picks an authentication method and runs it, returning the
// user name a client authenticated with.
func (s *Server) negotiate(c net.Conn) (string, error) {
	var h [2]byte
	if _, err := io.ReadFull(c, h[:]); err != nil || h[0] != 5 {
		return "", errors.New("not SOCKS5")
	}
	methods := make([]byte, h[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return "", err
	}
	want := byte(0) // no authentication
	if s.user != "" {
		want = 2 // username/password
	}
	offered := false
	for _, m := range methods {
		offered = offered || m == want
	}
	if !offered {
		c.Write([]byte{5, 0xff})
		return "", errors.New("no acceptable method")
	}
	if _, err := c.Write([]byte{5, want}); err != nil || want == 0 {
		return "", err
	}
	// RFC 1929: VER=1, ULEN, UNAME, PLEN, PASSWD.
	var v [2]byte
	if _, err := io.ReadFull(c, v[:]); err != nil || v[0] != 1 {
		return "", errors.New("bad authentication request")
	}
	name := make([]byte, v[1])
	if _, err := io.ReadFull(c, name); err != nil {
		return "", err
	}
	if _, err := io.ReadFull(c, v[:1]); err != nil {
		return "", err
	}
	pass := make([]byte, v[0])
	if _, err := io.ReadFull(c, pass); err != nil {
		return "", err
	}
	if string(name) != s.user || string(pass) != s.password {
		c.Write([]byte{1, 1})
		return "", errors.New("wrong user name or password")
	}
	_, err := c.Write([]byte{1, 0})
	return string(name), err
}

// readRequest reads VER CMD RSV ATYP DST.ADDR DST.PORT.
func (s *Server) readRequest(c net.Conn) (Request, byte) {
	var h [4]byte
	if _, err := io.ReadFull(c, h[:]); err != nil || h[0] != 5 {
		return Request{}, replyFailure
	}
	var r Request
	switch h[3] {
	case 1, 4: // IPv4, IPv6
		b := make([]byte, map[byte]int{1: 4, 4: 16}[h[3]])
		if _, err := io.ReadFull(c, b); err != nil {
			return r, replyFailure
		}
		ip, _ := netip.AddrFromSlice(b)
		r.Host = ip.Unmap().String()
	case 3: // a name
		var n [1]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return r, replyFailure
		}
		b := make([]byte, n[0])
		if _, err := io.ReadFull(c, b); err != nil {
			return r, replyFailure
		}
		r.Host, r.Name = string(b), true
	default:
		return r, replyAddrUnsupport
	}
	var p [2]byte
	if _, err := io.ReadFull(c, p[:]); err != nil {
		return r, replyFailure
	}
	r.Port = int(binary.BigEndian.Uint16(p[:]))
	if h[1] != 1 { // CONNECT only
		return r, replyCmdUnsupported
	}
	return r, replyOK
}

// reply answers a request with code and a zero bound address.
func reply(c net.Conn, code byte) error {
	_, err := c.Write([]byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0})
	return err
}
