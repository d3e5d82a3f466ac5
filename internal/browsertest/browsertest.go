// Package browsertest starts the headless Chromium that the tests of the
// desk's pages run in, the same way for every package.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Required reports whether tests must fail, not skip, when a tool they
// need is missing: TESTIMONY_REQUIRE_TOOLS=1, as .ci/run sets.
func Required() bool { return os.Getenv("TESTIMONY_REQUIRE_TOOLS") == "1" }

// Start starts Debian's chromium headless, without sandbox, GPU or
// background traffic, for the test, and returns its browser context,
// which lives until the test ends or limit passes. Without chromium the
// test is skipped, or fails if [Required].
func Start(t testing.TB, limit time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if Required() {
			t.Fatal("chromium is not installed, and TESTIMONY_REQUIRE_TOOLS=1 requires it (apt-get install chromium)")
		}
		t.Skip("chromium is not installed (apt-get install chromium); skipping the browser test")
	}
	ctx, stop := context.WithTimeout(context.Background(), limit)
	t.Cleanup(stop)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("failed to start chromium: %v", err)
	}
	return browser
}
