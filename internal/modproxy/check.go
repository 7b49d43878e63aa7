package main

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// check is the release check: what a user gets from the release v of the
// commit rev. In a temporary clone it follows the release procedure
// (release, commit, tag every module; asIs skips release and commit, to
// see a commit tagged as it is), serves the tags through a proxy on disk,
// and then, as a user in a clean GOPATH with the network closed, installs
// every command (go install path@v) and, for each module with packages,
// gets it in a new module whose program imports them all, builds it and
// runs it. Every step runs; the failures come together at the end.
func check(root, rev, v string, asIs bool) error {
	if _, err := os.Stat(filepath.Join(root, ".git")); errors.Is(err, fs.ErrNotExist) {
		fmt.Println("release-check: SKIPPED: this tree is not a git checkout, and the check releases a clone of the repository")
		return nil
	}
	here, err := loadRepo(root)
	if err != nil {
		return err
	}
	if v == "" {
		if v, err = nextVersion(here); err != nil {
			return err
		}
	}
	if err := checkVersion(v); err != nil {
		return err
	}
	sha, err := run(root, nil, "git", "rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return err
	}
	sha = strings.TrimSpace(sha)
	if st, _ := run(root, nil, "git", "status", "--porcelain", "--untracked-files=no"); st != "" && rev == "HEAD" {
		fmt.Println("release-check: the check takes the last commit; the uncommitted changes are not part of it")
	}
	tmp, err := os.MkdirTemp("", "release-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// The maintainer's side: a clone at rev, released at v and tagged.
	clone := filepath.Join(tmp, "repo")
	git := func(args ...string) error {
		_, err := run(clone, nil, "git", append([]string{"-c", "user.name=release-check", "-c", "user.email=release-check@localhost"}, args...)...)
		return err
	}
	if _, err := run(tmp, nil, "git", "clone", "-q", "--no-checkout", root, clone); err != nil {
		return err
	}
	if err := git("checkout", "-q", "--detach", sha); err != nil {
		return err
	}
	r, err := loadRepo(clone)
	if err != nil {
		return err
	}
	fmt.Printf("release-check: %s (%.12s) released as %s in %s\n", rev, sha, v, clone)
	thirdParty := ""
	if asIs {
		out, err := run(clone, nil, "go", "env", "GOMODCACHE")
		if err != nil {
			return err
		}
		thirdParty = filepath.Join(strings.TrimSpace(out), "cache", "download")
	} else {
		modcache, err := release(r, v, tmp)
		if err != nil {
			return err
		}
		thirdParty = filepath.Join(modcache, "cache", "download")
		if err := git("add", "-A"); err != nil {
			return err
		}
		if err := git("commit", "-q", "-m", "release "+v); err != nil {
			return err
		}
	}
	for _, t := range r.tags(v) {
		if err := git("tag", t); err != nil {
			return err
		}
	}
	if r, err = loadRepo(clone); err != nil {
		return err
	}
	proxy := filepath.Join(tmp, "proxy")
	if err := writeProxy(r, proxy, v, time.Now()); err != nil {
		return err
	}

	// The user's side.
	gopath := filepath.Join(tmp, "gopath")
	u := user{
		env: []string{
			"GOENV=off", // no settings from this machine's go env file
			"GOPATH=" + gopath,
			"GOMODCACHE=" + filepath.Join(gopath, "pkg", "mod"),
			"GOBIN=" + filepath.Join(tmp, "bin"),
			// Our modules from the tags; every other module from the
			// module cache the release filled. No https:// entry and no
			// "direct": nothing is fetched from the network.
			"GOPROXY=" + fileURL(proxy) + "," + fileURL(thirdParty),
			// The checksum database is a network service, so it is off:
			// instead, every go.sum line the user's go command writes
			// must be one of the released go.sum files' lines, which the
			// database checked when they were added (and, for our
			// modules, which the release recorded from these zips).
			"GOSUMDB=off", "GONOSUMDB=", "GOPRIVATE=", "GONOPROXY=", "GOINSECURE=",
			// -trimpath: the build cache serves a later check, whose
			// module cache is elsewhere.
			"GOFLAGS=-mod=mod -modcacherw -trimpath",
			"GOWORK=off",
			"GOTOOLCHAIN=local",
			// Should anything still try, it meets a closed port.
			"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9", "NO_PROXY=",
		},
	}
	// A network namespace with no interface but loopback closes the
	// network for certain, where the kernel allows one.
	if err := exec.Command("unshare", "-rn", "true").Run(); err == nil {
		u.wrap = []string{"unshare", "-rn", "--"}
		fmt.Println("release-check: the user's go commands run without a network (unshare -rn)")
	} else {
		fmt.Println("release-check: no network namespace here (unshare -rn: " + err.Error() + "); GOPROXY and GOSUMDB alone keep the go command off the network")
	}
	for _, e := range u.env {
		if strings.HasPrefix(e, "GO") {
			fmt.Println("  " + e)
		}
	}

	var failed []string
	step := func(name string, f func() error) {
		fmt.Println("== " + name)
		if err := f(); err != nil {
			fmt.Println(err)
			failed = append(failed, name)
		}
	}
	var sums []string
	for _, m := range r.Modules {
		if slices.Contains(testOnly, m.Dir) {
			continue
		}
		pkgs, cmds, err := packages(clone, m)
		if err != nil {
			return err
		}
		for _, c := range cmds {
			step("go install "+c+"@"+v, func() error {
				if err := u.run(tmp, "go", "install", c+"@"+v); err != nil {
					return err
				}
				return u.run(tmp, filepath.Join(tmp, "bin", path.Base(c)), "--help")
			})
		}
		if len(pkgs) == 0 {
			continue
		}
		step("go get "+m.Path+"@"+v+" in a new module, whose program imports its "+fmt.Sprint(len(pkgs))+" packages", func() error {
			dir := filepath.Join(tmp, "user", filepath.FromSlash(m.Dir))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "main.go"), userProgram(m, v, pkgs), 0o644); err != nil {
				return err
			}
			for _, args := range [][]string{
				{"go", "mod", "init", "example.com/user"},
				{"go", "get", m.Path + "@" + v},
				{"go", "build", "-o", "prog", "."},
				{filepath.Join(dir, "prog")},
			} {
				if err := u.run(dir, args[0], args[1:]...); err != nil {
					return err
				}
			}
			sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
			sums = append(sums, string(sum))
			return err
		})
	}
	if !asIs {
		step("every go.sum line the user got is in a released go.sum", func() error {
			return sumsReleased(clone, r, proxy, v, sums)
		})
	}
	if failed != nil {
		return fmt.Errorf("release-check: %s at %s fails for a user:\n  %s", rev, v, strings.Join(failed, "\n  "))
	}
	fmt.Printf("release-check: %s at %s installs and builds for a user, offline\n", rev, v)
	return nil
}

// testOnly are the modules that hold only tests and benchmarks. They are
// released with the others, at the same version, but no user imports them,
// so the check does not build them as a user.
var testOnly = []string{"bench", "e2e"}

// A user runs commands in a clean environment.
type user struct {
	env  []string
	wrap []string // a command that runs the user's commands, or nothing
}

func (u user) run(dir, name string, args ...string) error {
	argv := slices.Concat(u.wrap, []string{name}, args)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), u.env...)
	out, err := cmd.CombinedOutput()
	fmt.Printf("$ %s\n", strings.Join(append([]string{name}, args...), " "))
	if len(out) > 0 {
		lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
		if len(lines) > 8 && err == nil {
			lines = append(lines[:8], fmt.Sprintf("(%d more lines)", len(lines)-8))
		}
		fmt.Println("  " + strings.Join(lines, "\n  "))
	}
	return err
}

// packages returns the import paths of m's packages a user can import (not
// internal, not main) and of its commands (main packages) that build here.
func packages(root string, m *module) (pkgs, cmds []string, err error) {
	dirs := map[string]bool{}
	for _, f := range m.Files {
		if strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go") {
			dirs[path.Dir(f)] = true
		}
	}
	for _, d := range slices.Sorted(func(yield func(string) bool) {
		for d := range dirs {
			if !yield(d) {
				return
			}
		}
	}) {
		if d != "." && slices.ContainsFunc(strings.Split(d, "/"), func(e string) bool {
			return e == "internal" || e == "testdata" || strings.HasPrefix(e, ".") || strings.HasPrefix(e, "_")
		}) {
			continue
		}
		p, err := build.Default.ImportDir(filepath.Join(root, filepath.FromSlash(m.Dir), filepath.FromSlash(d)), 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				continue // not for this system
			}
			return nil, nil, err
		}
		ip := m.Path
		if d != "." {
			ip += "/" + d
		}
		if p.Name == "main" {
			if strings.HasPrefix(d, "examples/") || d == "examples" {
				continue // examples are read, not installed
			}
			cmds = append(cmds, ip)
		} else {
			pkgs = append(pkgs, ip)
		}
	}
	return pkgs, cmds, nil
}

// userProgram is a user's program that imports pkgs, from m at v.
func userProgram(m *module, v string, pkgs []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "// A user's program: it imports every package of %s %s.\npackage main\n\nimport (\n\t\"fmt\"\n\n", m.Path, v)
	for _, p := range pkgs {
		fmt.Fprintf(&b, "\t_ %q\n", p)
	}
	fmt.Fprintf(&b, ")\n\nfunc main() { fmt.Println(\"%d packages of %s %s imported\") }\n", len(pkgs), m.Path, v)
	return []byte(b.String())
}

// sumsReleased checks that every line of the users' go.sum files is a line
// of a released go.sum, or the line of one of our modules at v, which the
// release vouches for by the zip it serves from proxy (a module no other
// module requires, such as rtsp, is in no go.sum of ours).
func sumsReleased(clone string, r *repo, proxy, v string, sums []string) error {
	released := map[string]bool{}
	for _, m := range r.Modules {
		ours, err := zipSums(proxy, m, v)
		if err != nil {
			return err
		}
		for _, l := range ours {
			released[l] = true
		}
		data, err := os.ReadFile(filepath.Join(clone, filepath.FromSlash(m.Dir), "go.sum"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			released[l] = true
		}
	}
	var missing []string
	for _, s := range sums {
		for _, l := range strings.Split(s, "\n") {
			if l != "" && !released[l] && !slices.Contains(missing, l) {
				missing = append(missing, l)
			}
		}
	}
	if missing != nil {
		return fmt.Errorf("these go.sum lines are in no released go.sum, so no checksum database or release vouches for them:\n  %s", strings.Join(missing, "\n  "))
	}
	fmt.Printf("  %d go.sum files, every line released\n", len(sums))
	return nil
}
