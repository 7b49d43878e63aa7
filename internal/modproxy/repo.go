package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// A module is one of the repository's Go modules.
type module struct {
	Dir      string            // slash path from the repository root; "." for the root module
	Path     string            // module path, from its go.mod
	Requires map[string]string // the repository's other modules it requires: path → version
	Replace  bool              // its go.mod has a replace directive
	Files    []string          // its files, slash paths from Dir, sorted; nested modules' files excluded
}

// A repo is the repository's modules, each after the modules it requires.
type repo struct {
	Root    string // absolute
	Modules []*module
}

// loadRepo reads the modules of the repository at root from the files git
// would commit there: the tracked files that exist and the untracked ones
// .gitignore does not hide.
func loadRepo(root string) (*repo, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); errors.Is(err, fs.ErrNotExist) {
		// A copy of the tree with no repository (an archive): every
		// regular file but the hidden ones and what git would ignore.
		files, err := walkFiles(root)
		if err != nil {
			return nil, err
		}
		return newRepo(root, files)
	}
	out, err := run(root, nil, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	var files []string
	for f := range strings.SplitSeq(strings.TrimSuffix(out, "\x00"), "\x00") {
		// Deleted files are still listed as tracked; symbolic links and
		// other irregular files never go into a module zip.
		if fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f))); err == nil && fi.Mode().IsRegular() {
			files = append(files, f)
		}
	}
	return newRepo(root, files)
}

// newRepo groups files (slash paths from root) into modules: every
// directory holding a go.mod is a module, and a file belongs to the deepest
// module directory above it, as in a module zip.
func newRepo(root string, files []string) (*repo, error) {
	slices.Sort(files)
	files = slices.Compact(files)
	byDir := map[string]*module{}
	var dirs []string
	for _, f := range files {
		if path.Base(f) == "go.mod" {
			d := path.Dir(f)
			byDir[d] = &module{Dir: d}
			dirs = append(dirs, d)
		}
	}
	if byDir["."] == nil {
		return nil, errors.New("modproxy: no go.mod at the repository root " + root)
	}
	for _, f := range files {
		for d := path.Dir(f); ; d = path.Dir(d) {
			if m := byDir[d]; m != nil {
				m.Files = append(m.Files, strings.TrimPrefix(f, d+"/"))
				break
			}
		}
	}
	ours := map[string]bool{}
	reqs := map[*module]map[string]string{}
	for _, d := range dirs {
		m := byDir[d]
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(d), "go.mod"))
		if err != nil {
			return nil, err
		}
		var r map[string]string
		m.Path, r, m.Replace = parseGoMod(data)
		if m.Path == "" {
			return nil, fmt.Errorf("modproxy: %s/go.mod: no module line", d)
		}
		ours[m.Path] = true
		reqs[m] = r
	}
	for m, r := range reqs {
		m.Requires = map[string]string{}
		for p, v := range r {
			if ours[p] {
				m.Requires[p] = v
			}
		}
	}
	r := &repo{Root: root}
	byPath := map[string]*module{}
	for _, m := range byDir {
		byPath[m.Path] = m
	}
	// Each module after those it requires; otherwise in directory order.
	seen := map[*module]int{} // 1: being visited, 2: done
	var visit func(m *module) error
	visit = func(m *module) error {
		switch seen[m] {
		case 1:
			return fmt.Errorf("modproxy: the modules require each other in a cycle through %s", m.Path)
		case 2:
			return nil
		}
		seen[m] = 1
		for _, p := range slices.Sorted(maps.Keys(m.Requires)) {
			if err := visit(byPath[p]); err != nil {
				return err
			}
		}
		seen[m] = 2
		r.Modules = append(r.Modules, m)
		return nil
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		if err := visit(byDir[d]); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// parseGoMod returns a go.mod's module path, its requirements (path →
// version) and whether it has a replace directive. It reads the simple form
// the go command writes, which is all this repository holds.
func parseGoMod(data []byte) (modPath string, reqs map[string]string, replace bool) {
	reqs = map[string]string{}
	block := ""
	for line := range strings.SplitSeq(string(data), "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if block != "" {
			switch {
			case f[0] == ")":
				block = ""
			case block == "require" && len(f) >= 2:
				reqs[unquote(f[0])] = f[1]
			}
			continue
		}
		switch f[0] {
		case "module":
			if len(f) >= 2 {
				modPath = unquote(f[1])
			}
		case "require", "replace":
			if f[0] == "replace" {
				replace = true
			}
			if len(f) == 2 && f[1] == "(" {
				block = f[0]
			} else if f[0] == "require" && len(f) >= 3 {
				reqs[unquote(f[1])] = f[2]
			}
		case "exclude", "retract", "tool", "ignore", "godebug":
			if len(f) == 2 && f[1] == "(" {
				block = f[0]
			}
		}
	}
	return modPath, reqs, replace
}

func unquote(s string) string { return strings.Trim(s, "\"`") }

// version returns the one version at which the modules require each other.
func (r *repo) version() (string, error) {
	vs := map[string][]string{}
	for _, m := range r.Modules {
		for p, v := range m.Requires {
			vs[v] = append(vs[v], m.Dir+" requires "+p+" "+v)
		}
	}
	switch len(vs) {
	case 0:
		return "", errors.New("modproxy: no module requires another, so there is no version to take; give one")
	case 1:
		for v := range vs {
			return v, nil
		}
	}
	var lines []string
	for _, l := range vs {
		lines = append(lines, l...)
	}
	slices.Sort(lines)
	return "", fmt.Errorf("modproxy: the modules must require each other at one version:\n  %s", strings.Join(lines, "\n  "))
}

// ours reports whether modPath is one of the repository's modules.
func (r *repo) ours(modPath string) bool {
	for _, m := range r.Modules {
		if m.Path == modPath {
			return true
		}
	}
	return false
}

// root returns the root module.
func (r *repo) root() *module {
	for _, m := range r.Modules {
		if m.Dir == "." {
			return m
		}
	}
	panic("modproxy: no root module") // newRepo checked
}

// tag returns the git tag that gives m the version v: a module in a
// subdirectory is tagged with the directory as a prefix.
func (m *module) tag(v string) string {
	if m.Dir == "." {
		return v
	}
	return m.Dir + "/" + v
}

// walkFiles lists the regular files under root, as slash paths, leaving
// out hidden files and directories and the build outputs .gitignore names
// (test binaries, profiles, benchmark output, Python builds).
func walkFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != root && strings.HasPrefix(name, ".") || name == "__pycache__" || name == "build" || strings.HasSuffix(name, ".egg-info") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasSuffix(name, ".test") || strings.HasSuffix(name, ".out") || strings.HasSuffix(name, ".prof") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel == filepath.Join("cmd", "imgstream", "imgstream") {
			return nil // the binary go build leaves there
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	return files, err
}

// gitSafe lets git work in a checkout another user owns, as CI's may be:
// git otherwise refuses it ("detected dubious ownership").
var gitSafe = []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=safe.directory", "GIT_CONFIG_VALUE_0=*"}

// run runs a command in dir with env added to the environment and returns
// its standard output; a failure's error carries its standard error.
func run(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if name == "git" {
		cmd.Env = append(cmd.Env, gitSafe...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s (in %s): %w\n%s", name, strings.Join(args, " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
