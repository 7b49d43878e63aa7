package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// syncWork makes go.work replace each module another requires, at the
// version v it is required at, by its directory: a workspace module is a
// root of the module graph but does not stand in for the version the others
// require, so without the replace the go command fetches that version's
// go.mod, which no proxy serves before the release (golang/go#66516).
// Unless write, it changes nothing and reports what go.work lacks.
func syncWork(r *repo, v string, write bool) error {
	out, err := run(r.Root, nil, "go", "work", "edit", "-json", "go.work")
	if err != nil {
		return err
	}
	var work struct {
		Replace []struct {
			Old, New struct{ Path, Version string }
		}
	}
	if err := json.Unmarshal([]byte(out), &work); err != nil {
		return err
	}
	have := map[string]bool{}
	var drop []string
	for _, rep := range work.Replace {
		if r.ours(rep.Old.Path) {
			key := rep.Old.Path + "@" + rep.Old.Version + "=" + rep.New.Path
			have[key] = true
			drop = append(drop, "-dropreplace="+rep.Old.Path+"@"+rep.Old.Version)
			if rep.Old.Version == "" {
				drop[len(drop)-1] = "-dropreplace=" + rep.Old.Path
			}
		}
	}
	required := map[string]bool{}
	for _, m := range r.Modules {
		for p := range m.Requires {
			required[p] = true
		}
	}
	var want []string
	for _, m := range r.Modules {
		if required[m.Path] {
			want = append(want, m.Path+"@"+v+"="+strings.TrimSuffix("./"+m.Dir, "."))
		}
	}
	if len(want) == len(have) && !slices.ContainsFunc(want, func(w string) bool { return !have[w] }) {
		return nil
	}
	if !write {
		var lines []string
		for _, w := range want {
			modPath, rest, _ := strings.Cut(w, "@")
			ver, dir, _ := strings.Cut(rest, "=")
			lines = append(lines, "replace "+modPath+" "+ver+" => "+dir)
		}
		return fmt.Errorf("modproxy: go.work must replace each module the others require, at the version they require, by its directory (make tidy writes it):\n  %s", strings.Join(lines, "\n  "))
	}
	args := []string{"work", "edit"}
	args = append(args, drop...)
	for _, w := range want {
		args = append(args, "-replace="+w)
	}
	_, err = run(r.Root, nil, "go", append(args, "go.work")...)
	return err
}
