package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"
)

// version is the release, set at build time with
// -ldflags "-X main.version=v1.2.3"; else the module's version, if the
// binary was built from a tagged module (go install …@v1.2.3).
var version = ""

// commit is the VCS revision, set at build time with
// -ldflags "-X main.commit=…" where the toolchain cannot stamp it (a
// container build without .git); else read from the build info.
var commit = ""

// versionCmd prints the version, the commit and the Go version.
func versionCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "", stdout)
	if err := fs.parse(args); err != nil {
		return err
	}
	v, rev := buildVersion()
	fmt.Fprintf(stdout, "partnerd %s\ncommit %s\n%s\n", v, rev, runtime.Version())
	return nil
}

// buildVersion reads the version and the VCS commit (with "-dirty" when
// the tree had changes) the Go toolchain stamped into the binary.
func buildVersion() (v, rev string) {
	v, rev = version, cmpOr(commit, "unknown")
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return cmpOr(v, "unknown"), rev
	}
	if v == "" && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && rev != "unknown" {
		rev += "-dirty"
	}
	return cmpOr(v, "unknown"), rev
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// healthcheck GETs url and fails unless it answers 2xx within 5 s: the
// container image's HEALTHCHECK, which has no curl.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck", "URL", stdout)
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := fs.parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fs.Arg(0), nil)
	if err != nil {
		return usageError{fmt.Sprintf("healthcheck URL %q: %v", fs.Arg(0), err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", fs.Arg(0), resp.Status)
	}
	fmt.Fprintf(stdout, "%s answered %s\n", fs.Arg(0), resp.Status)
	return nil
}
