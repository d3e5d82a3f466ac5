package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"testimony/keys"
)

const keygenHelp = `
Usage: testimony keygen --out FILE [--classic] [--passphrase-file F | --insecure-no-passphrase]
       testimony keygen --signing --out FILE [--name NAME] [...]
       testimony keygen --pseudonym --out FILE [...]
       testimony keygen --reviewer-signer-of IDENTITY [--passphrase-file F]

Makes a new key and writes it to FILE (mode 0600; never overwrites). The file
is protected by a passphrase, asked twice on the terminal or read from the
first line of --passphrase-file.

Without --signing it makes an age identity for a reviewer or a custodian:
post-quantum hybrid (ML-KEM-768 + X25519, age1pq1…) unless --classic asks for
X25519 (age1…, for organisations whose readers use age older than v1.3). It
prints the recipient (public key) on stdout: give it to the admin. Stock
'age -d -i FILE' accepts the file; it asks for the passphrase.

With --signing it makes an ed25519 signing key for the admin (to sign the
roster) or for a device (to sign what it seals), and prints the verifier key
on stdout: that string is what --admin-pub and 'roster add-device
--public-key' take. It prints the key's fingerprint on stderr: for a device,
the admin compares it, read over the phone or in person, before signing the
key into the roster ('roster add-device --fingerprint').

With --pseudonym it makes the organisation's 256-bit pseudonym key, which
picks each person's pseudonym (testimony redact, seal --entities). Make it
once and copy the file to every interviewer's desk; it never goes to the
server. Anyone holding it can test a guessed real name against a
pseudonym, so protect it like a reviewer key.

With --reviewer-signer-of it writes nothing: it prints the verifier key of
the signing key derived from a reviewer's identity file (asking for its
passphrase). A reviewer signs their annotations with it; give the printed
line to the admin, who lists it in the roster with 'roster set-signer' (or
'roster add-reviewer --signer'). It is public, like the recipient.

Examples:
  testimony keygen --out reviewer-1.key
  testimony keygen --reviewer-signer-of reviewer-1.key > reviewer-1.signer
  testimony keygen --pseudonym --out pseudonym.key
  testimony keygen --signing --name admin --out admin.key
  testimony keygen --signing --name laptop-1 --out laptop-1.key
`

func runKeygen(e *env, args []string) error {
	fs := e.flagSet("keygen", keygenHelp)
	out := fs.String("out", "", "`FILE` to write the new key to (must not exist)")
	classic := fs.Bool("classic", false, "make a classic X25519 identity instead of a post-quantum one")
	signing := fs.Bool("signing", false, "make an ed25519 signing key (admin or device) instead of an age identity")
	pseudonym := fs.Bool("pseudonym", false, "make the organisation's pseudonym key instead of an age identity")
	name := fs.String("name", "", "`NAME` embedded in a signing key (default: the file name without extension)")
	passFile := fs.String("passphrase-file", "", "read the new passphrase from the first line of `F`")
	insecure := fs.Bool("insecure-no-passphrase", false, "write the key unprotected (tests and demos only)")
	signerOf := fs.String("reviewer-signer-of", "", "print the reviewer signing key (verifier) derived from the identity `FILE`, and write nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *signerOf != "" {
		if *out != "" || *classic || *signing || *pseudonym || *name != "" || *insecure {
			return usagef("keygen: --reviewer-signer-of takes only --passphrase-file")
		}
		id, err := keys.LoadIdentity(*signerOf, e.unlock(*passFile))
		if err != nil {
			return err
		}
		k, err := id.ReviewerSigner()
		if err != nil {
			return err
		}
		e.info("the signing key of reviewer %s… follows on stdout; give it to the admin for 'roster set-signer'", id.Recipient().String()[:16])
		fmt.Fprintln(e.stdout, k.Verifier())
		return nil
	}
	if err := need(fs, "out"); err != nil {
		return err
	}
	if *signing && *classic {
		return usagef("keygen: --classic applies to age identities, not to --signing keys")
	}
	if *pseudonym && (*signing || *classic || *name != "") {
		return usagef("keygen: --pseudonym takes no --signing, --classic or --name")
	}
	if *name != "" && !*signing {
		return usagef("keygen: --name applies to --signing keys")
	}
	if *signing && *name == "" {
		*name = strings.TrimSuffix(filepath.Base(*out), filepath.Ext(*out))
		if !keys.ValidKeyName(*name) {
			return usagef("keygen: cannot name the key after %q; give --name", *out)
		}
	}
	pass, err := e.newPassphrase(*passFile, *insecure)
	if err != nil {
		return err
	}
	if *pseudonym {
		k, err := keys.GeneratePseudonymKey()
		if err != nil {
			return err
		}
		if err := keys.WritePseudonymKeyFile(*out, k, pass); err != nil {
			return err
		}
		e.info("wrote the pseudonym key to %s; copy it to every interviewer's desk, never to the server", *out)
		return nil
	}
	if *signing {
		k, err := keys.GenerateSigningKey(*name)
		if err != nil {
			return err
		}
		if err := keys.WriteSigningKeyFile(*out, k, pass); err != nil {
			return err
		}
		e.info("wrote signing key %q to %s; its verifier key follows on stdout", k.Name(), *out)
		v, err := keys.ParseVerifier(k.Verifier())
		if err != nil {
			return err
		}
		e.info("key fingerprint: %s (for a device: the admin checks it, read over the phone or in person, before adding the key to the roster)", v.Fingerprint())
		fmt.Fprintln(e.stdout, k.Verifier())
		return nil
	}
	kind := keys.Hybrid
	if *classic {
		kind = keys.Classic
	}
	id, err := keys.GenerateIdentity(kind)
	if err != nil {
		return err
	}
	if err := keys.WriteIdentityFile(*out, id, pass); err != nil {
		return err
	}
	e.info("wrote %s identity to %s; its recipient follows on stdout", kind, *out)
	fmt.Fprintln(e.stdout, id.Recipient())
	return nil
}
