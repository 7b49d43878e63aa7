package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// release makes r's working tree the release v: every module requires the
// others at v, and each go.sum has their hashes, taken from a proxy of the
// working tree at v (as the tags will give them). The modules are tidied
// each after those it requires, so that a go.sum inside a module zip is
// final before another module's go.sum records the zip's hash. The
// third-party modules come from the local module cache first and then from
// GOPROXY. It returns the module cache it used (in tmp), which then holds
// every module the release needs.
func release(r *repo, v, tmp string) (modcache string, err error) {
	if err := checkVersion(v); err != nil {
		return "", err
	}
	for _, m := range r.Modules {
		if m.Replace {
			return "", fmt.Errorf("modproxy: %s/go.mod has a replace directive, which go install ...@version rejects and go get ignores; go.work joins the modules for development", m.Dir)
		}
	}
	for _, m := range r.Modules {
		if len(m.Requires) == 0 {
			continue
		}
		args := []string{"mod", "edit"}
		for p := range m.Requires {
			args = append(args, "-require="+p+"@"+v)
		}
		if _, err := run(filepath.Join(r.Root, filepath.FromSlash(m.Dir)), []string{"GOWORK=off"}, "go", args...); err != nil {
			return "", err
		}
	}
	if err := syncWork(r, v, true); err != nil {
		return "", err
	}
	hostCache, err := run(r.Root, nil, "go", "env", "GOMODCACHE")
	if err != nil {
		return "", err
	}
	goproxy, err := run(r.Root, nil, "go", "env", "GOPROXY")
	if err != nil {
		return "", err
	}
	proxy := filepath.Join(tmp, "release-proxy")
	modcache = filepath.Join(tmp, "release-modcache")
	env := []string{
		"GOWORK=off",
		"GOFLAGS=-modcacherw",
		"GOMODCACHE=" + modcache,
		"GOPROXY=" + fileURL(proxy) + "," + fileURL(filepath.Join(strings.TrimSpace(hostCache), "cache", "download")) + "," + strings.TrimSpace(goproxy),
		// Our modules at v are not in the checksum database before the
		// tags are pushed; every other module is checked as usual.
		"GONOSUMDB=" + r.root().Path,
	}
	for _, m := range r.Modules {
		// Reread: go.mod and the go.sum files of the modules before
		// this one have changed.
		cur, err := loadRepo(r.Root)
		if err != nil {
			return "", err
		}
		if err := os.RemoveAll(proxy); err != nil {
			return "", err
		}
		if err := writeProxy(cur, proxy, v, time.Now()); err != nil {
			return "", err
		}
		fmt.Printf("release %s: go mod tidy in %s\n", v, m.Dir)
		if _, err := run(filepath.Join(r.Root, filepath.FromSlash(m.Dir)), env, "go", "mod", "tidy"); err != nil {
			return "", err
		}
	}
	return modcache, nil
}

// fileURL returns the file:// URL of an absolute path, as GOPROXY takes it.
func fileURL(p string) string { return "file://" + filepath.ToSlash(p) }

// tags returns the git tags that release every module of r at v.
func (r *repo) tags(v string) []string {
	var tags []string
	for _, m := range r.Modules {
		tags = append(tags, m.tag(v))
	}
	return tags
}

// releaseCmd is `modproxy release V`: release, then say what to commit,
// tag and push.
func releaseCmd(root, v string) error {
	r, err := loadRepo(root)
	if err != nil {
		return err
	}
	for _, t := range r.tags(v) {
		if _, err := run(root, nil, "git", "rev-parse", "-q", "--verify", "refs/tags/"+t); err == nil {
			return fmt.Errorf("modproxy: the tag %s exists already: a version is released once", t)
		}
	}
	tmp, err := os.MkdirTemp("", "modproxy-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, err := release(r, v, tmp); err != nil {
		return err
	}
	tags := strings.Join(r.tags(v), " ")
	fmt.Printf(`
Every module now requires the others at %[1]s, and its go.sum has their hashes.
Check that it builds (make test), then commit, tag that commit and push it:

  git commit -am 'release %[1]s: every module requires the others at %[1]s'
  for t in %[2]s; do git tag "$t"; done
  git push origin HEAD %[2]s
`, v, tags)
	return nil
}

// nextVersion returns the version to check a release at: the version the
// modules require, or, when it is tagged already, the next minor version.
func nextVersion(r *repo) (string, error) {
	v, err := r.version()
	if err != nil {
		return "", err
	}
	if checkVersion(v) != nil {
		return "", fmt.Errorf("modproxy: the modules require each other at %s, not at a release; give the version to check", v)
	}
	if _, err := run(r.Root, nil, "git", "rev-parse", "-q", "--verify", "refs/tags/"+v); err != nil {
		return v, nil
	}
	var major, minor int
	if _, err := fmt.Sscanf(v, "v%d.%d.", &major, &minor); err != nil {
		return "", errors.New("modproxy: cannot read version " + v)
	}
	return fmt.Sprintf("v%d.%d.0", major, minor+1), nil
}
