package s3

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Config says where the blobs are and how to reach them. It holds no secret:
// the credentials come from the environment or from the file it names, so a
// Config may be printed and logged.
type Config struct {
	// Bucket is the bucket the blobs are stored in. It must exist: Open
	// does not create it.
	Bucket string

	// Prefix is put before every key, so that one bucket can hold other
	// things or the blobs of several servers: empty, or a path of plain
	// segments ending in "/", such as "testimony/blobs/".
	Prefix string

	// Endpoint is the URL of the S3 API without a path, such as
	// "https://s3.example.org" or "http://127.0.0.1:7070". Empty means
	// Amazon S3 ("https://s3.amazonaws.com"). Plain http is accepted only
	// for a loopback address unless InsecureHTTP is set.
	Endpoint string

	// Region is the region requests are signed for. Empty asks the server
	// (most S3-compatible servers answer "us-east-1").
	Region string

	// VirtualHosted addresses the bucket as a host name
	// (bucket.s3.example.org) instead of in the path (s3.example.org/bucket),
	// which is the default because Versity S3 Gateway, MinIO and most other
	// self-hosted servers need it.
	VirtualHosted bool

	// ServerSideEncryption asks the server to encrypt every blob with its
	// own keys (SSE-S3, "x-amz-server-side-encryption: AES256"). The blobs
	// are age ciphertext already: this protects only against someone who
	// takes the server's disks, not against the server. Open checks that
	// the server does encrypt, and fails if it ignores the request (as
	// Versity S3 Gateway v1.8.0 does).
	ServerSideEncryption bool

	// CredentialsFile names an AWS shared credentials file (the INI format
	// of ~/.aws/credentials: aws_access_key_id, aws_secret_access_key,
	// optionally aws_session_token). Empty means the environment:
	// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optionally
	// AWS_SESSION_TOKEN. Open refuses a file that every user can read.
	CredentialsFile string

	// Profile is the section of CredentialsFile to read; empty means
	// "default".
	Profile string

	// PartSize is the size of the parts a large blob is uploaded in, and so
	// the memory one Put holds at most (one part). Blobs up to PartSize are
	// sent in one request. S3 allows at most 10,000 parts, so PartSize
	// bounds the largest blob: 10,000 × 16 MiB (the default) = 156 GiB.
	// Zero means 16 MiB; it must be between 5 MiB and 5 GiB.
	PartSize int64

	// StaleUploadAge is how old an unfinished multipart upload (left by a
	// Put that crashed) must be before Open aborts it. Zero means 24 hours.
	// It must be longer than the longest upload any server process using
	// the same bucket and prefix may be running.
	StaleUploadAge time.Duration

	// InsecureHTTP allows a plain http Endpoint that is not a loopback
	// address. Requests stay signed, but blobs, keys and metadata cross the
	// network in clear and an attacker on the path sees every submission's
	// size and time.
	InsecureHTTP bool

	// InsecureUnconditionalWrites lets Open accept a server that ignores
	// "If-None-Match: *". Within one process Puts of the same key are still
	// serialised, but two server processes storing different blobs under
	// the same key at the same moment could both succeed, the later one
	// replacing the earlier. Leave it off when more than one process writes.
	InsecureUnconditionalWrites bool
}

const (
	defaultPartSize       = 16 << 20
	minPartSize           = 5 << 20
	maxPartSize           = 5 << 30
	maxParts              = 10000
	defaultStaleUploadAge = 24 * time.Hour
)

// ParseURL parses a blob store URL:
//
//	s3://BUCKET[/PREFIX/][?PARAMETERS]
//
// The path, if any, is the prefix, and ends in "/". The parameters are the
// other fields of [Config]:
//
//	endpoint=URL                      Endpoint, e.g. http://127.0.0.1:7070
//	region=NAME                       Region
//	virtual-hosted=true               VirtualHosted
//	sse=s3                            ServerSideEncryption (SSE-S3)
//	credentials=PATH                  CredentialsFile
//	profile=NAME                      Profile
//	part-size=NMiB                    PartSize, e.g. 32MiB
//	stale-upload-age=DURATION         StaleUploadAge, e.g. 48h
//	insecure-http=true                InsecureHTTP
//	insecure-unconditional-writes=true InsecureUnconditionalWrites
//
// For example:
//
//	s3://testimony-blobs/?endpoint=http://127.0.0.1:7070&region=us-east-1
//	s3://ngo-archive/testimony/?endpoint=https://s3.example.org&sse=s3&credentials=/etc/testimony/s3-credentials
//
// A URL never carries credentials: one with a user name or password, or an
// unknown parameter, is refused. The returned Config is checked as Open
// checks it.
func ParseURL(s string) (Config, error) {
	var c Config
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the URL, which may hold something secret that
		// was put there by mistake: say only what was wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return c, fmt.Errorf("invalid blob store URL: %w", err)
	}
	if u.Scheme != "s3" {
		return c, fmt.Errorf("invalid blob store URL: scheme %q, want s3://BUCKET/PREFIX/", u.Scheme)
	}
	if u.User != nil {
		return c, errors.New("invalid blob store URL: it must not hold credentials; name a credentials file with credentials=PATH or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if u.Opaque != "" || u.Fragment != "" || u.RawFragment != "" {
		return c, errors.New("invalid blob store URL: want s3://BUCKET/PREFIX/")
	}
	c.Bucket = u.Host
	c.Prefix = strings.TrimPrefix(u.Path, "/")
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("invalid blob store URL: bad parameters: %w", err)
	}
	for name, values := range q {
		if len(values) != 1 {
			return c, fmt.Errorf("invalid blob store URL: parameter %q given %d times", name, len(values))
		}
		v := values[0]
		var err error
		switch name {
		case "endpoint":
			c.Endpoint = v
		case "region":
			c.Region = v
		case "virtual-hosted":
			c.VirtualHosted, err = strconv.ParseBool(v)
		case "sse":
			if v != "s3" {
				err = errors.New(`the only server-side encryption is "s3" (SSE-S3)`)
			}
			c.ServerSideEncryption = true
		case "credentials":
			c.CredentialsFile = v
		case "profile":
			c.Profile = v
		case "part-size":
			var n int64
			mib, ok := strings.CutSuffix(v, "MiB")
			if n, err = strconv.ParseInt(mib, 10, 64); !ok || err != nil || n <= 0 || n > maxPartSize>>20 {
				err = errors.New("want a whole number of MiB, such as 16MiB")
			}
			c.PartSize = n << 20
		case "stale-upload-age":
			c.StaleUploadAge, err = time.ParseDuration(v)
		case "insecure-http":
			c.InsecureHTTP, err = strconv.ParseBool(v)
		case "insecure-unconditional-writes":
			c.InsecureUnconditionalWrites, err = strconv.ParseBool(v)
		case "prefix":
			err = errors.New("put the prefix in the path: s3://BUCKET/PREFIX/")
		default:
			err = errors.New("unknown parameter")
		}
		if err != nil {
			return c, fmt.Errorf("invalid blob store URL: parameter %q: %w", name, err)
		}
	}
	if err := c.check(); err != nil {
		return c, err
	}
	return c, nil
}

// check validates c and fills in its defaults.
func (c *Config) check() error {
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		return fmt.Errorf("invalid bucket name %q: %w", c.Bucket, err)
	}
	if c.Prefix != "" {
		if !strings.HasSuffix(c.Prefix, "/") {
			return fmt.Errorf("invalid prefix %q: it must end in /", c.Prefix)
		}
		for _, seg := range strings.Split(strings.TrimSuffix(c.Prefix, "/"), "/") {
			if !validSegment(seg) {
				return fmt.Errorf("invalid prefix %q: each part must be letters, digits, '-', '_' or '.', and not . or ..", c.Prefix)
			}
		}
	}
	if c.PartSize == 0 {
		c.PartSize = defaultPartSize
	}
	if c.PartSize < minPartSize || c.PartSize > maxPartSize {
		return fmt.Errorf("invalid part size %d: it must be between 5 MiB and 5 GiB", c.PartSize)
	}
	if c.StaleUploadAge == 0 {
		c.StaleUploadAge = defaultStaleUploadAge
	}
	if c.StaleUploadAge < time.Hour {
		return fmt.Errorf("invalid stale upload age %v: at least an hour, longer than any upload takes", c.StaleUploadAge)
	}
	if c.Endpoint == "" {
		c.Endpoint = "https://s3.amazonaws.com"
	}
	if _, _, err := c.endpoint(); err != nil {
		return err
	}
	return nil
}

// endpoint returns the host[:port] of c.Endpoint and whether it uses TLS.
func (c *Config) endpoint() (host string, secure bool, err error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false, errors.New("invalid endpoint: want a URL such as https://s3.example.org or http://127.0.0.1:7070, without a path or credentials")
	}
	switch u.Scheme {
	case "https":
		return u.Host, true, nil
	case "http":
		if !c.InsecureHTTP && !isLoopback(u.Hostname()) {
			return "", false, fmt.Errorf("endpoint %s is plain http to a host that is not this machine: use https, or set insecure-http if the network path is protected otherwise", u.Host)
		}
		return u.Host, false, nil
	default:
		return "", false, fmt.Errorf("invalid endpoint: scheme %q, want https or http", u.Scheme)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}
