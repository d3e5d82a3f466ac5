package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	tests := []struct {
		name    string
		set     string // main.version, as -ldflags -X sets it
		args    []string
		want    string // the whole output
		wantErr bool
	}{
		// A release names its version, the toolchain and the system.
		{"release", "1.2.3", []string{"version"}, "testimony 1.2.3 (" + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")\n", false},
		// --version is the same command, as people expect it.
		{"flag", "1.2.3-rc.1", []string{"--version"}, "testimony 1.2.3-rc.1 (" + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")\n", false},
		// A go build or go test binary has no release version.
		{"devel", "", []string{"version"}, "testimony devel (" + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")\n", false},
		// version takes no arguments.
		{"extra", "1.2.3", []string{"version", "now"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func(v string) { version = v }(version)
			version = tt.set
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, strings.NewReader(""), &out, &errOut)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if code := exitCode(err, &errOut); code != exitUsage {
					t.Errorf("exit code %d, want %d", code, exitUsage)
				}
				return
			}
			if out.String() != tt.want {
				t.Errorf("output %q, want %q", out.String(), tt.want)
			}
		})
	}
}
