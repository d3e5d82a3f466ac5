package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The scale-out tests run `testimony serve` on a real PostgreSQL and a real
// S3-compatible server, named by TESTIMONY_TEST_POSTGRES (a connection URL
// whose user may create databases) and TESTIMONY_TEST_S3 (an endpoint URL,
// with the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY);
// scripts/test-servers starts both on loopback. Each test makes a database
// and a bucket of its own and removes them at the end. Without the
// variables the tests skip, or fail with TESTIMONY_REQUIRE_TOOLS=1.

// scaleServers returns the test PostgreSQL URL and S3 endpoint, or skips.
func scaleServers(t testing.TB) (pg, s3 string) {
	t.Helper()
	pg, s3 = os.Getenv("TESTIMONY_TEST_POSTGRES"), os.Getenv("TESTIMONY_TEST_S3")
	if pg == "" || s3 == "" {
		const msg = "no PostgreSQL or no S3-compatible server: set TESTIMONY_TEST_POSTGRES and TESTIMONY_TEST_S3 (and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), as eval \"$(scripts/test-servers start)\" does"
		if requireTools() {
			t.Fatal(msg + "; TESTIMONY_REQUIRE_TOOLS=1 requires them")
		}
		t.Skip(msg)
	}
	return pg, s3
}

// testDatabase makes an empty database on the test PostgreSQL and returns
// its URL; it is dropped when the test ends.
func testDatabase(t testing.TB, pg string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg)
	if err != nil {
		t.Fatalf("failed to connect to TESTIMONY_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(ctx)
	name := "testimony_cmd_" + strings.ToLower(rand.Text()[:16])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("failed to create the test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pg)
		if err != nil {
			t.Errorf("dropping the test database: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping the test database: %v", err)
		}
	})
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// s3Admin returns a client of the test S3 server, outside any Store.
func s3Admin(t testing.TB, endpoint string) *minio.Client {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("TESTIMONY_TEST_S3: %v", err)
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewEnvAWS(), Secure: u.Scheme == "https", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testBucket makes an empty bucket on the test S3 server and returns its
// name; it is emptied and removed when the test ends.
func testBucket(t testing.TB, endpoint string) string {
	t.Helper()
	c := s3Admin(t, endpoint)
	name := "testimony-cmd-" + strings.ToLower(rand.Text()[:16])
	if err := c.MakeBucket(t.Context(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("failed to make the test bucket: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for o := range c.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err == nil {
				c.RemoveObject(ctx, name, o.Key, minio.RemoveObjectOptions{})
			}
		}
		for u := range c.ListIncompleteUploads(ctx, name, "", true) {
			if u.Err == nil {
				c.RemoveIncompleteUpload(ctx, name, u.Key)
			}
		}
		if err := c.RemoveBucket(ctx, name); err != nil {
			t.Errorf("removing the test bucket: %v", err)
		}
	})
	return name
}

// buildTestimony builds the testimony command into a temporary directory
// and returns its path.
func buildTestimony(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "testimony")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("failed to build testimony: %v\n%s", err, out)
	}
	return bin
}

// serveProc is a `testimony serve` process.
type serveProc struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	done chan struct{}
	mu   sync.Mutex
	logs strings.Builder
}

// startServe runs bin serve with args on a free loopback port and waits
// until it answers; the process is killed when the test ends.
func startServe(t testing.TB, bin string, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--rate-per-address", "-1", "--rate-per-token", "-1"}, args...)...)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("stderr of testimony serve at %s:\n%s", p.base, p.stderr())
		}
	})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			if p.logs.Len() < 1<<20 {
				p.logs.WriteString(sc.Text() + "\n")
			}
			p.mu.Unlock()
		}
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addr <- a
			}
		}
		io.Copy(io.Discard, stdout)
		p.cmd.Wait()
		close(p.done)
	}()
	select {
	case p.base = <-addr:
		return p
	case <-p.done:
		t.Fatalf("testimony serve exited before listening:\n%s", p.stderr())
	case <-time.After(60 * time.Second):
		t.Fatalf("testimony serve did not start within a minute:\n%s", p.stderr())
	}
	return nil
}

func (p *serveProc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// kill sends SIGKILL and waits for the process to end.
func (p *serveProc) kill() {
	p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
	}
}
