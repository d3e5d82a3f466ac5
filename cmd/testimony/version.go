package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is the release this binary was built as. scripts/release sets it
// with -ldflags "-X main.version=VERSION"; a plain go build leaves it empty,
// and versionString then reports the module version go install recorded,
// or "devel".
var version string

const versionHelp = `
Usage:
  testimony version
  testimony --version

Prints the release this binary was built as, the Go toolchain that built
it, and the system it runs on, like:

  testimony 1.0.0 (go1.26.8, linux/amd64)

A release built with scripts/release from the same version's source and the
same toolchain is byte for byte the same file whoever builds it: compare its
SHA-256 with the published SHA256SUMS (the README's "Install" section says
how).
`

func init() {
	extraCommands["version"] = runVersion
	extraCommands["--version"] = runVersion
}

func runVersion(e *env, args []string) error {
	fs := e.flagSet("version", versionHelp)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "testimony %s (%s, %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// versionString is the version to show: the release's, else the module
// version go install recorded, else "devel".
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
