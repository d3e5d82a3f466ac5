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
//
// # Backwards compatibility
//
// Roster format 2 ("testimony roster v2", [RosterV2]) adds each reviewer's
// signing key, or "-" while the admin does not have it yet:
//
//	reviewer RECIPIENT SIGNER LABEL
//
// Every other line is as in format 1. A format 1 roster is still read, and
// keeps its format and its exact text, so its signature keeps verifying;
// [Roster.Upgrade] turns it into format 2. The files in testdata/v1 and
// testdata/v2/roster are frozen: tests read them on every run.
//
// # Reviewer signing keys
//
// A reviewer signs their annotations with a key derived from their age
// identity ([Identity.ReviewerSigner]), so they keep no second key file. The
// roster lists its verifier key, named "reviewer-" and the first 16 hex
// digits of the reviewer recipient's fingerprint; a signer under another name
// (another reviewer's key pasted by mistake), or equal to a device's, the
// log's or another reviewer's key, is refused.
package keys
