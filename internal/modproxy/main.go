// Command modproxy serves this repository's Go modules at one version as a
// module proxy on disk (GOPROXY=file://DIR), and with it tidies the modules,
// makes a release and checks one, all without fetching our own modules from
// the network. Each module requires the others at their next (or last)
// release, v0.1.0 for the first; go.work joins them for development.
// The Makefile's targets call it from the repository root:
//
//	go run ./internal/modproxy modules          # the module directories, each after those it requires
//	go run ./internal/modproxy proxy -o DIR [V] # the proxy, at V or at the version the modules require
//	go run ./internal/modproxy tidy [-diff]     # go mod tidy in every module, our modules from the working tree
//	go run ./internal/modproxy release V        # require the others at V, update go.sum, print the tags
//	go run ./internal/modproxy check [-rev REV] [-as-is] [V]  # the release check (make release-check)
//
// A module zip holds the module's files as git would commit them (tracked,
// or untracked and not ignored) under "path@version/", without the
// subdirectories that hold a go.mod of their own. It uses only the standard
// library, so the root module gains no dependency.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if err := realMain(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func realMain(args []string) error {
	usage := fmt.Errorf("usage: modproxy modules | proxy -o DIR [V] | tidy [-diff] | release V | check [-rev REV] [-as-is] [V]")
	if len(args) == 0 {
		return usage
	}
	fs := flag.NewFlagSet("modproxy "+args[0], flag.ContinueOnError)
	out := fs.String("o", "", "proxy: the directory to write the proxy to")
	diff := fs.Bool("diff", false, "tidy: change nothing, fail if a module is not tidy")
	rev := fs.String("rev", "HEAD", "check: the commit to release")
	asIs := fs.Bool("as-is", false, "check: tag the commit as it is, without the release procedure's edits")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	v := fs.Arg(0)
	r, err := loadRepo(".")
	if err != nil {
		return err
	}
	switch args[0] {
	case "modules":
		for _, m := range r.Modules {
			fmt.Println(m.Dir)
		}
		return nil
	case "proxy":
		if *out == "" {
			return usage
		}
		if v == "" {
			if v, err = r.version(); err != nil {
				return err
			}
		}
		return writeProxy(r, *out, v, time.Now())
	case "tidy":
		for _, m := range r.Modules {
			if m.Replace {
				return fmt.Errorf("modproxy: %s/go.mod has a replace directive; users' go install rejects it and go get ignores it: go.work joins the modules", m.Dir)
			}
		}
		v, err := r.version()
		if err != nil {
			return err
		}
		if err := syncWork(r, v, !*diff); err != nil {
			return err
		}
		return tidy(r, *diff)
	case "release":
		if v == "" {
			return usage
		}
		return releaseCmd(r.Root, v)
	case "check":
		return check(r.Root, *rev, v, *asIs)
	}
	return usage
}
