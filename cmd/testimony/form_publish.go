package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"testimony/internal/client"
	"testimony/internal/durable"
	"testimony/internal/survey"
	"testimony/internal/survey/xlsform"
	"testimony/keys"
)

const formPublishHelp = `
Usage:
  testimony form publish FORM.xlsx --admin-key F (--server URL --token-file ADMIN-TOKEN | --out FILE)
        [--roster R] [--min-cell N] [--min-cell-sensitive M] [--proxy URL] [--passphrase-file F]
  testimony form publish --signed FILE --admin-pub PUB --server URL --token-file ADMIN-TOKEN [--proxy URL]
  testimony form list --server URL --token-file TOKEN [--admin-pub PUB] [--proxy URL]

publish reads an XLSForm, checks it as 'form check' does, signs it with the
organisation's admin key for the organisation the roster names, and puts it
on the server. Desks fetch it with the roster and verify the signature
against the admin key they pinned: a server cannot change a question, a
choice or a skip rule, serve another organisation's form, or swap a version
without every desk refusing it. Every answer set names the form's ID,
version and digest.

A form's version (the settings sheet's "version" column) only goes up: the
server refuses other content under a version already published, and a
version below the newest. Write versions without leading zeros; a date and
a counter (2026120601) is a common choice.

--min-cell and --min-cell-sensitive set the smallest count statistics and
exports of this form show (smaller counts show as "<N"), for all questions
and for those marked sensitive; the defaults are 5 and 10, and neither may
be below 3. The organisation's own rule goes here.

The organisation's name comes from the roster: --roster R (the admin's
roster file), or else the server's roster, checked against the admin key.
On an offline admin machine, --out FILE writes the signed form instead of
uploading it (--roster is then needed); carry FILE to a connected machine
and upload it there with --signed FILE, which checks it against the admin
verifier key and needs no admin key.

list prints the forms the server publishes, every version of each, with
their digests. With --admin-pub it also fetches each and checks it as a
desk would, printing "verified" or why it was refused.

Examples:
  testimony form publish household.xlsx --admin-key admin.key --roster roster.txt \
      --server https://intake.example.org --token-file admin.token --min-cell 5
  testimony form publish household.xlsx --admin-key admin.key --roster roster.txt \
      --out household-signed.txt
  testimony form publish --signed household-signed.txt --admin-pub admin.pub \
      --server https://intake.example.org --token-file admin.token
  testimony form list --server https://intake.example.org --token-file admin.token --admin-pub admin.pub
`

func init() {
	formCommands["publish"] = formPublish
	formCommands["list"] = formList
}

// formPublish signs a form and uploads it, or writes it to a file.
func formPublish(e *env, args []string) error {
	fs := e.flagSet("form publish", formPublishHelp)
	adminKey := fs.String("admin-key", "", "the admin signing key `FILE`")
	passFile := fs.String("passphrase-file", "", "read the admin key's passphrase from `F`")
	signedPath := fs.String("signed", "", "upload this signed form `FILE` (made with --out) instead of an XLSForm")
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` (or a file holding it), to check a --signed form")
	rosterPath := fs.String("roster", "", "the organisation's roster `R`, whose organisation the form is signed for")
	srv := fs.String("server", "", "server `URL`")
	proxy := proxyFlag(fs)
	tokenFile := fs.String("token-file", "", "an admin token `FILE`")
	out := fs.String("out", "", "write the signed form to `FILE` instead of uploading it")
	minCell := fs.Int("min-cell", 0, "the smallest count shown, `N` (default: the form's, else 5)")
	minSensitive := fs.Int("min-cell-sensitive", 0, "the smallest count shown for sensitive questions, `M` (default: the form's, else 10)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	upload := *out == ""
	switch {
	case *signedPath != "":
		if len(rest) > 0 || *adminKey != "" || *out != "" {
			return usagef("form publish: --signed uploads a signed form: give no XLSForm, --admin-key or --out")
		}
		if err := need(fs, "admin-pub", "server", "token-file"); err != nil {
			return err
		}
		return publishSigned(e, *signedPath, *adminPub, *srv, *proxy, *tokenFile)
	case len(rest) != 1:
		return usagef("form publish: give one XLSForm file (.xlsx)")
	case upload && (*srv == "" || *tokenFile == ""):
		return usagef("form publish: give --server and --token-file to upload, or --out FILE to write the signed form")
	case !upload && (*srv != "" || *tokenFile != ""):
		return usagef("form publish: --out writes the signed form without uploading it: give no --server or --token-file")
	case !upload && *rosterPath == "":
		return usagef("form publish: --out needs --roster (the form is signed for the organisation it names)")
	}
	if err := need(fs, "admin-key"); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"min-cell", *minCell}, {"min-cell-sensitive", *minSensitive}} {
		if c.n != 0 && c.n < survey.MinCellFloor {
			return badInputError{fmt.Errorf("--%s %d: counts below %d would let a reader pick out a person; give %d or more", c.name, c.n, survey.MinCellFloor, survey.MinCellFloor)}
		}
	}

	f, err := readXLSForm(e, rest[0])
	if err != nil {
		return err
	}
	if *minCell != 0 {
		f.MinCell = *minCell
	}
	if *minSensitive != 0 {
		f.MinCellSensitive = *minSensitive
	}
	if f.MinCellSensitive < f.MinCell {
		if *minSensitive != 0 {
			return badInputError{fmt.Errorf("--min-cell-sensitive %d is below the minimum cell %d: sensitive questions need at least as much", f.MinCellSensitive, f.MinCell)}
		}
		e.info("sensitive questions get the minimum cell %d too (it was %d, below the form's %d)", f.MinCell, f.MinCellSensitive, f.MinCell)
		f.MinCellSensitive = f.MinCell
	}
	if err := checkVersion(f.Version); err != nil {
		return err
	}

	admin, err := keys.LoadSigningKey(*adminKey, e.unlock(*passFile))
	if err != nil {
		return err
	}
	var c *serverClient
	if upload {
		if c, err = newClient(*srv, *proxy, *tokenFile, e); err != nil {
			return err
		}
	}
	org, err := formOrg(e, c, *rosterPath, admin.Verifier())
	if err != nil {
		return err
	}
	signed, err := survey.Sign(f, org, admin)
	if err != nil {
		return badInputError{fmt.Errorf("%s: %w", rest[0], err)}
	}
	digest, err := f.Digest()
	if err != nil {
		return err
	}
	if !upload {
		if err := durable.WriteNew(*out, signed, 0o644); err != nil {
			return fmt.Errorf("failed to write the signed form: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\tsigned\n", f.ID, f.Version, digest)
		e.info("signed form %s version %s for %q into %s; upload it with 'testimony form publish --signed %s'", f.ID, f.Version, org, *out, *out)
		return nil
	}
	return putForm(e, c, f.ID, f.Version, digest, signed)
}

// readXLSForm reads and checks an XLSForm, printing what it ignores. A
// refused form is bad input, with the sheet, row and column the reader
// names.
func readXLSForm(e *env, path string) (*survey.Form, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, badInputError{fmt.Errorf("failed to read the form: %w", err)}
	}
	defer file.Close()
	f, warnings, err := xlsform.Read(file, filepath.Base(path))
	if err != nil {
		var fe *survey.FormError
		if errors.As(err, &fe) {
			return nil, badInputError{fmt.Errorf("%s: the form was refused: %w", path, err)}
		}
		return nil, err
	}
	for _, w := range warnings {
		e.warn(fmt.Sprintf("%s: %s (ignored)", path, w))
	}
	return f, nil
}

// checkVersion refuses a version with leading zeros: the server names
// versions by their number, so 007 and 7 would be one version.
func checkVersion(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != v {
		return badInputError{fmt.Errorf("the form's version %q has a leading zero: write it as a plain number (%d) in the settings sheet's version column", v, n)}
	}
	return nil
}

// formOrg returns the organisation a form is signed for: the roster at
// rosterPath's, or else the server's, each checked against the admin key.
func formOrg(e *env, c *serverClient, rosterPath, adminPub string) (string, error) {
	if rosterPath != "" {
		r, err := loadRoster(rosterPath, adminPub, "", false)
		if err != nil {
			return "", err
		}
		return r.Org, nil
	}
	signed, err := c.Roster(e.ctx)
	if err != nil {
		return "", fmt.Errorf("failed to read the server's roster: %w", err)
	}
	admin, err := keys.ParseVerifier(valueOrFile(adminPub))
	if err != nil {
		return "", fmt.Errorf("--admin-pub: %w", err)
	}
	r, err := keys.VerifyRoster(signed, admin, nil)
	if err != nil {
		return "", fmt.Errorf("the server's roster: %w", err)
	}
	return r.Org, nil
}

// publishSigned uploads a form signed with --out, after checking it.
func publishSigned(e *env, path, adminPub, srv, proxy, tokenFile string) error {
	signed, err := os.ReadFile(path)
	if err != nil {
		return badInputError{fmt.Errorf("failed to read the signed form: %w", err)}
	}
	c, err := newClient(srv, proxy, tokenFile, e)
	if err != nil {
		return err
	}
	org, err := formOrg(e, c, "", adminPub)
	if err != nil {
		return err
	}
	admin, _ := keys.ParseVerifier(valueOrFile(adminPub))
	p, err := survey.Verify(signed, admin, org)
	if err != nil {
		return badInputError{fmt.Errorf("%s: %w", path, err)}
	}
	return putForm(e, c, p.Form.ID, p.Form.Version, p.Digest, signed)
}

// putForm uploads a signed form and says what the server did, or why it
// refused.
func putForm(e *env, c *serverClient, id, version, digest string, signed []byte) error {
	got, created, err := c.PutForm(e.ctx, id, version, signed)
	var se *client.StatusError
	if errors.As(err, &se) {
		switch se.Code {
		case "form_conflict":
			return fmt.Errorf("version %s of form %s is already published with other content: raise the version in the settings sheet and publish again", version, id)
		case "form_older":
			return fmt.Errorf("the server has a higher version of form %s than %s: give the form a version above the newest ('testimony form list' shows it) and publish again", id, version)
		case "form_refused":
			return fmt.Errorf("the server refused form %s version %s: %s (is this the admin key and roster the server pinned?)", id, version, se.Message)
		}
	}
	if err != nil {
		return err
	}
	if got.SHA256 != digest {
		return fmt.Errorf("the server answered with digest %s for form %s version %s, not %s", got.SHA256, id, version, digest)
	}
	state := "published"
	if !created {
		state = "already published"
	}
	fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\n", id, version, digest, state)
	e.info("form %s version %s is %s; desks fetch it when they next sync or pull", id, version, state)
	return nil
}

// formList prints the server's forms, checking each with --admin-pub.
func formList(e *env, args []string) error {
	fs := e.flagSet("form list", formPublishHelp)
	srv := fs.String("server", "", "server `URL`")
	proxy := proxyFlag(fs)
	tokenFile := fs.String("token-file", "", "your token `FILE`")
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` (or a file holding it): check each form as a desk would")
	if err := parseFlags(fs, args, "server", "token-file"); err != nil {
		return err
	}
	c, err := newClient(*srv, *proxy, *tokenFile, e)
	if err != nil {
		return err
	}
	forms, err := c.Forms(e.ctx)
	if err != nil {
		return err
	}
	status := map[string]string{}
	refusals := 0
	if *adminPub != "" {
		org, err := formOrg(e, c, "", *adminPub)
		if err != nil {
			return err
		}
		admin, _ := keys.ParseVerifier(valueOrFile(*adminPub))
		ok, refused, err := c.PublishedForms(e.ctx, admin, org, nil)
		if err != nil {
			return err
		}
		for _, p := range ok {
			status[p.Form.ID+"@"+p.Form.Version] = "verified"
		}
		for _, r := range refused {
			status[r.ID+"@"+r.Version] = "REFUSED: " + strings.TrimPrefix(r.Err.Error(), survey.ErrForm.Error()+": ")
		}
		refusals = len(refused)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tVERSION\tSHA-256\tPUBLISHED\t"+map[bool]string{true: "CHECK", false: ""}[*adminPub != ""])
	for _, f := range forms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.ID, f.Version, f.SHA256, f.Day, status[f.ID+"@"+f.Version])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(forms) == 0 {
		e.info("the server publishes no forms")
	}
	if refusals > 0 {
		return fmt.Errorf("%w: %d of the server's forms would be refused by every desk", errVerify, refusals)
	}
	return nil
}
