package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// tidy runs go mod tidy in every module of r (with diff, go mod tidy -diff)
// without fetching the repository's own modules, which a module requires at
// their next release and which no proxy serves before it: each module's
// go.mod and go.sum are copied, the copy of go.mod gains replace directives
// to the working tree's modules, the copy of go.sum loses its lines for our
// modules (their hashes are those of a release, not of the working tree),
// and go mod tidy runs on the copies (-modfile). Then only lines for
// third-party modules count: with diff, a difference in them fails; without,
// they are written back, with the go.sum lines for our modules kept as they
// were. Every module is tidied; the failures come together at the end.
func tidy(r *repo, diff bool) error {
	var failed []string
	for _, m := range r.Modules {
		fmt.Printf("go mod tidy%s: %s\n", map[bool]string{true: " -diff"}[diff], m.Dir)
		if err := tidyModule(r, m, diff); err != nil {
			fmt.Fprintln(os.Stderr, err)
			failed = append(failed, m.Dir)
		}
	}
	if failed != nil {
		return fmt.Errorf("modproxy: go mod tidy: these modules are not tidy: %s (make tidy fixes go.mod and go.sum)", strings.Join(failed, " "))
	}
	return nil
}

func tidyModule(r *repo, m *module, diff bool) error {
	dir := filepath.Join(r.Root, filepath.FromSlash(m.Dir))
	tmp, err := os.MkdirTemp("", "modproxy-tidy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	tmpMod, tmpSum := filepath.Join(tmp, "go.mod"), filepath.Join(tmp, "go.sum")
	if err := os.WriteFile(tmpMod, mod, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(tmpSum, []byte(strings.Join(sumLines(r, sum, false), "")), 0o644); err != nil {
		return err
	}
	var replace, drop []string
	for _, o := range r.Modules {
		if o != m {
			replace = append(replace, "-replace="+o.Path+"="+filepath.Join(r.Root, filepath.FromSlash(o.Dir)))
			drop = append(drop, "-dropreplace="+o.Path)
		}
	}
	if len(replace) > 0 {
		if _, err := run(dir, []string{"GOWORK=off"}, "go", append(append([]string{"mod", "edit"}, replace...), tmpMod)...); err != nil {
			return err
		}
	}
	args := []string{"mod", "tidy", "-modfile=" + tmpMod}
	if diff {
		args = append(args, "-diff")
	}
	out, err := run(dir, []string{"GOWORK=off"}, "go", args...)
	if diff {
		if err != nil && out == "" {
			return err
		}
		if rest := thirdPartyDiff(r, out); rest != nil {
			return fmt.Errorf("%s: go mod tidy would change go.mod or go.sum (lines for our own modules left out):\n%s", m.Dir, strings.Join(rest, "\n"))
		}
		return nil
	}
	if err != nil {
		return err
	}
	if len(drop) > 0 {
		if _, err := run(dir, []string{"GOWORK=off"}, "go", append(append([]string{"mod", "edit"}, drop...), tmpMod)...); err != nil {
			return err
		}
	}
	newMod, err := os.ReadFile(tmpMod)
	if err != nil {
		return err
	}
	newSum, err := os.ReadFile(tmpSum)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	_, reqs, _ := parseGoMod(newMod)
	merged := mergeSum(sumLines(r, newSum, false), keepRequired(sumLines(r, sum, true), reqs))
	if err := writeIfChanged(filepath.Join(dir, "go.mod"), mod, newMod); err != nil {
		return err
	}
	if len(merged) == 0 && len(sum) == 0 {
		return nil
	}
	return writeIfChanged(filepath.Join(dir, "go.sum"), sum, []byte(strings.Join(merged, "")))
}

func writeIfChanged(name string, old, data []byte) error {
	if string(old) == string(data) {
		return nil
	}
	fmt.Println("  wrote", name)
	return os.WriteFile(name, data, 0o644)
}

// sumLines returns the lines of a go.sum (each with its newline) for our
// modules (ours) or for the others (!ours).
func sumLines(r *repo, sum []byte, ours bool) []string {
	var lines []string
	for _, l := range strings.SplitAfter(string(sum), "\n") {
		if l == "" {
			continue
		}
		if f := strings.Fields(l); len(f) > 0 && r.ours(f[0]) == ours {
			lines = append(lines, l)
		}
	}
	return lines
}

// keepRequired keeps the go.sum lines of a module version still required.
func keepRequired(lines []string, reqs map[string]string) []string {
	return slices.DeleteFunc(lines, func(l string) bool {
		f := strings.Fields(l)
		return len(f) < 2 || reqs[f[0]] != strings.TrimSuffix(f[1], "/go.mod")
	})
}

// mergeSum puts the go.sum lines for our modules, in their order, among the
// others where the go command sorts them: by module path first.
func mergeSum(others, ours []string) []string {
	if len(ours) == 0 {
		return others
	}
	first := strings.Fields(ours[0])[0]
	i := slices.IndexFunc(others, func(l string) bool { return strings.Fields(l)[0] > first })
	if i < 0 {
		i = len(others)
	}
	return slices.Concat(others[:i], ours, others[i:])
}

// thirdPartyDiff returns the changed lines of go mod tidy -diff's output
// other than go.sum lines for our modules.
func thirdPartyDiff(r *repo, out string) []string {
	var rest []string
	for l := range strings.SplitSeq(out, "\n") {
		if !strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "-") ||
			strings.HasPrefix(l, "+++ ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		// A go.sum line starts with the module path; a go.mod line
		// inside a block starts with a tab.
		if f := strings.Fields(l[1:]); len(f) == 3 && !strings.HasPrefix(l[1:], "\t") && r.ours(f[0]) {
			continue
		}
		rest = append(rest, l)
	}
	return rest
}
