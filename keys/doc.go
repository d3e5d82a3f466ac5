// Package keys holds every piece of private key material testimony uses, and
// the signed roster that says which public keys belong to the organisation.
//
// Nothing outside this package constructs or parses an age identity, an
// ed25519 signing key or a key file. Secret types ([Identity], [SigningKey],
// [Passphrase]) print as "**redacted**" through fmt and log/slog, so a key
// cannot reach a log line by accident.
//
// # Key files
//
// A key file is a standard age identity file (for [Identity]) or a text file
// holding a golang.org/x/mod/sumdb/note private key (for [SigningKey]). By
// default the file is encrypted to a passphrase with age's scrypt recipient
// and ASCII-armored, so that stock `age -d -i FILE` still accepts an identity
// file: it asks for the passphrase. Files are created with O_EXCL and mode
// 0600 and are never overwritten.
//
// # Rosters
//
// A [Roster] is a signed note naming the organisation, a strictly increasing
// version, the reviewer and custodian age recipients and the enrolled devices.
// It is signed by the admin key, which lives offline. [VerifyRoster] is the
// only way to obtain a Roster from bytes that are meant to be trusted.
package keys
