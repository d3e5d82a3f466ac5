package keys

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// ScryptWorkFactor is the scrypt work factor (log₂ N) for new
// passphrase-protected key files. Unlocking a file at 18 takes about a second.
// Tests lower it; nothing else should.
var ScryptWorkFactor = 18

// maxKeyFileSize bounds what is read from a key file. A hybrid identity file
// is under 4 KiB even when armored.
const maxKeyFileSize = 64 << 10

var (
	// ErrWrongPassphrase means the passphrase did not unlock the key file.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrPassphraseRequired means the key file is protected and no way to
	// ask for the passphrase was given.
	ErrPassphraseRequired = errors.New("key file is passphrase-protected")
)

// Unlock says how to read a key file.
type Unlock struct {
	// Passphrase is called only when the file is passphrase-protected.
	Passphrase PassphraseFunc
	// Warn receives warnings about the file, such as loose permissions.
	// Nil discards them.
	Warn func(msg string)
}

func (u Unlock) warn(format string, args ...any) {
	if u.Warn != nil {
		u.Warn(fmt.Sprintf(format, args...))
	}
}

// protect returns the bytes of a key file holding plain: plain itself when
// pass is nil, otherwise an armored age file encrypted to the passphrase.
func protect(plain []byte, pass *Passphrase) ([]byte, error) {
	if pass == nil {
		return plain, nil
	}
	r, err := age.NewScryptRecipient(pass.value())
	if err != nil {
		return nil, fmt.Errorf("failed to use passphrase: %w", err)
	}
	r.SetWorkFactor(ScryptWorkFactor)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	afterScrypt()
	if err != nil {
		return nil, fmt.Errorf("failed to encrypt key file: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("failed to encrypt key file: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("failed to encrypt key file: %w", err)
	}
	if err := aw.Close(); err != nil {
		return nil, fmt.Errorf("failed to encrypt key file: %w", err)
	}
	return buf.Bytes(), nil
}

// afterScrypt collects the garbage once a scrypt derivation (256 MiB at
// ScryptWorkFactor) is done with its buffer. Without it the heap's next
// collection waits until the heap has doubled past the buffer, so whatever
// a command does next (opening a 1 GiB file, unlocking the next key file)
// adds to the 256 MiB instead of reusing it: opening 1 GiB with a protected
// key peaked at 532 MiB without it, 277 MiB with it (docs/benchmarks.md).
func afterScrypt() { runtime.GC() }

// readKeyFile reads the key file at path and returns its plain contents,
// asking for the passphrase if the file is protected.
func readKeyFile(path string, u Unlock) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to open key file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		u.warn("key file %s can be read by other users (mode %04o); run: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read key file: %w", err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("key file %s is too large to be a key file", path)
	}
	return openKeyData(path, data, u)
}

// openKeyData returns the plain contents of the key file data, named path
// in errors, asking for the passphrase if it is protected.
func openKeyData(path string, data []byte, u Unlock) ([]byte, error) {
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("key file %s is too large to be a key file", path)
	}
	trimmed := bytes.TrimSpace(data)
	armored := bytes.HasPrefix(trimmed, []byte(armor.Header))
	if !armored && !bytes.HasPrefix(data, []byte("age-encryption.org/")) {
		return data, nil
	}
	if u.Passphrase == nil {
		return nil, fmt.Errorf("%s: %w", path, ErrPassphraseRequired)
	}
	pass, err := u.Passphrase(path)
	if err != nil {
		return nil, err
	}
	id, err := age.NewScryptIdentity(pass.value())
	if err != nil {
		return nil, fmt.Errorf("failed to use passphrase: %w", err)
	}
	var src io.Reader = bytes.NewReader(data)
	if armored {
		src = armor.NewReader(bytes.NewReader(trimmed))
	}
	r, err := age.Decrypt(src, id)
	afterScrypt()
	var noMatch *age.NoIdentityMatchError
	switch {
	case errors.As(err, &noMatch) && len(noMatch.StanzaTypes) == 1 && noMatch.StanzaTypes[0] == "scrypt":
		return nil, fmt.Errorf("%s: %w", path, ErrWrongPassphrase)
	case errors.As(err, &noMatch):
		return nil, fmt.Errorf("key file %s is encrypted with age, but not to a passphrase", path)
	case err != nil:
		return nil, fmt.Errorf("failed to decrypt key file %s: %w", path, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("failed to decrypt key file %s: %w", path, err)
	}
	return plain, nil
}

// keyLines returns the non-comment, non-empty lines of a plain key file.
func keyLines(plain []byte) []string {
	var lines []string
	s := bufio.NewScanner(bytes.NewReader(plain))
	s.Buffer(nil, maxKeyFileSize+1)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines = append(lines, line)
	}
	return lines
}
