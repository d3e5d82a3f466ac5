package s3

import (
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	good := []struct {
		url  string
		want Config
	}{
		// The minimal form: Amazon S3, path-style, defaults filled in.
		{"s3://blobs", Config{Bucket: "blobs", Endpoint: "https://s3.amazonaws.com", PartSize: 16 << 20, StaleUploadAge: 24 * time.Hour}},
		// A local server over plain http: allowed for loopback.
		{"s3://blobs/?endpoint=http://127.0.0.1:7070&region=us-east-1",
			Config{Bucket: "blobs", Endpoint: "http://127.0.0.1:7070", Region: "us-east-1", PartSize: 16 << 20, StaleUploadAge: 24 * time.Hour}},
		{"s3://blobs?endpoint=http://[::1]:7070", Config{Bucket: "blobs", Endpoint: "http://[::1]:7070", PartSize: 16 << 20, StaleUploadAge: 24 * time.Hour}},
		{"s3://blobs?endpoint=http://localhost:7070", Config{Bucket: "blobs", Endpoint: "http://localhost:7070", PartSize: 16 << 20, StaleUploadAge: 24 * time.Hour}},
		// Every parameter.
		{"s3://ngo-archive/testimony/blobs/?endpoint=http://10.0.0.5:9000&region=eu-central-1&virtual-hosted=true&sse=s3" +
			"&credentials=/etc/testimony/s3&profile=intake&part-size=64MiB&stale-upload-age=72h&insecure-http=true&insecure-unconditional-writes=true",
			Config{Bucket: "ngo-archive", Prefix: "testimony/blobs/", Endpoint: "http://10.0.0.5:9000", Region: "eu-central-1",
				VirtualHosted: true, ServerSideEncryption: true, CredentialsFile: "/etc/testimony/s3", Profile: "intake",
				PartSize: 64 << 20, StaleUploadAge: 72 * time.Hour, InsecureHTTP: true, InsecureUnconditionalWrites: true}},
	}
	for _, tc := range good {
		got, err := ParseURL(tc.url)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.url, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseURL(%q) =\n%+v, want\n%+v", tc.url, got, tc.want)
		}
	}

	bad := []struct {
		url, why string
	}{
		{"", "scheme"},
		{"blobs", "scheme"},
		{"https://blobs", "scheme"},
		{"s3://", "bucket"},
		{"s3://Blobs", "bucket"},
		{"s3://b", "bucket"},
		{"s3://bl_obs", "bucket"},
		{"s3://AKIAEXAMPLE:secretvalue@blobs", "credentials"},
		{"s3://AKIAEXAMPLE@blobs", "credentials"},
		{"s3://blobs/prefix", "end in /"},
		{"s3://blobs//", "prefix"},
		{"s3://blobs/a/../b/", "prefix"},
		{"s3://blobs/a/./", "prefix"},
		{"s3://blobs/a b/", "prefix"},
		{"s3://blobs/?prefix=x/", "path"},
		{"s3://blobs?access_key=AKIA", "unknown"},
		{"s3://blobs?secret_key=x", "unknown"},
		{"s3://blobs?region=a&region=b", "2 times"},
		{"s3://blobs?sse=kms", "SSE-S3"},
		{"s3://blobs?part-size=4MiB", "between"},
		{"s3://blobs?part-size=16", "MiB"},
		{"s3://blobs?part-size=-1MiB", "MiB"},
		{"s3://blobs?part-size=6GiB", "MiB"},
		{"s3://blobs?stale-upload-age=10m", "at least an hour"},
		{"s3://blobs?stale-upload-age=soon", "stale-upload-age"},
		{"s3://blobs?virtual-hosted=maybe", "virtual-hosted"},
		{"s3://blobs?endpoint=http://s3.example.org", "plain http"},
		{"s3://blobs?endpoint=http://10.0.0.5:9000", "plain http"},
		{"s3://blobs?endpoint=ftp://127.0.0.1", "scheme"},
		{"s3://blobs?endpoint=https://s3.example.org/path", "without a path"},
		{"s3://blobs?endpoint=https://key:secretvalue@s3.example.org", "without a path or credentials"},
		{"s3://blobs?endpoint=s3.example.org", "endpoint"},
		{"s3://blobs#frag", "want"},
		{"s3://blobs?%zz", "parameters"},
		{"s3://bl%zzobs", "invalid"},
	}
	for _, tc := range bad {
		_, err := ParseURL(tc.url)
		if err == nil {
			t.Errorf("ParseURL(%q) succeeded", tc.url)
			continue
		}
		if !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ParseURL(%q): %v, want it to mention %q", tc.url, err, tc.why)
		}
		if strings.Contains(err.Error(), "secretvalue") {
			t.Errorf("ParseURL(%q): the error shows the secret: %v", tc.url, err)
		}
	}
}

// FuzzParseURL: ParseURL never panics, and what it accepts is a Config
// that Open's checks accept unchanged.
func FuzzParseURL(f *testing.F) {
	f.Add("s3://blobs/p/?endpoint=http://127.0.0.1:7070&region=us-east-1&part-size=32MiB")
	f.Add("s3://ngo/a/b/?sse=s3&credentials=/x&profile=y&stale-upload-age=48h")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseURL(s)
		if err != nil {
			return
		}
		c2 := c
		if err := c2.check(); err != nil || c2 != c {
			t.Fatalf("ParseURL(%q) = %+v, which check changes to %+v (%v)", s, c, c2, err)
		}
	})
}
