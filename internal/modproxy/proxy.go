package main

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// releaseVersion is the form of a version this tool releases: a semantic
// version with major version 0 or 1, since the module paths have no /vN.
var releaseVersion = regexp.MustCompile(`^v[01]\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

func checkVersion(v string) error {
	if !releaseVersion.MatchString(v) {
		return fmt.Errorf("modproxy: version %q: want vMAJOR.MINOR.PATCH with major 0 or 1, as v0.1.0", v)
	}
	return nil
}

// writeProxy writes every module of r at version v into dir, laid out as a
// module proxy (GOPROXY=file://dir): for each module, @v/list, and the
// version's .info, .mod and .zip. It replaces what dir held for them.
func writeProxy(r *repo, dir, v string, now time.Time) error {
	if err := checkVersion(v); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{v, now.UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	for _, m := range r.Modules {
		ep, err := escapePath(m.Path)
		if err != nil {
			return err
		}
		d := filepath.Join(dir, filepath.FromSlash(ep), "@v")
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		mod, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(m.Dir), "go.mod"))
		if err != nil {
			return err
		}
		for name, data := range map[string][]byte{"list": []byte(v + "\n"), v + ".info": info, v + ".mod": mod} {
			if err := os.WriteFile(filepath.Join(d, name), data, 0o644); err != nil {
				return err
			}
		}
		if err := writeZip(filepath.Join(d, v+".zip"), filepath.Join(r.Root, filepath.FromSlash(m.Dir)), m, v); err != nil {
			return err
		}
	}
	return nil
}

// writeZip writes m's module zip: each of its files under "path@version/".
// m.Files already leaves out the files of modules in subdirectories.
func writeZip(name, dir string, m *module, v string) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	for _, rel := range m.Files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.Path + "@" + v + "/" + rel, Method: zip.Deflate})
		if err != nil {
			return err
		}
		src, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		_, err = io.Copy(w, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// escapePath returns a module path as a proxy spells it: each capital
// letter as "!" and its lower case, since file systems may fold case.
func escapePath(p string) (string, error) {
	var b strings.Builder
	for _, c := range p {
		switch {
		case c == '!' || c >= unicode.MaxASCII:
			return "", fmt.Errorf("modproxy: module path %q: unexpected %q", p, c)
		case 'A' <= c && c <= 'Z':
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(c))
		default:
			b.WriteRune(c)
		}
	}
	return b.String(), nil
}

// zipSums returns the go.sum lines of module m at v as the go command
// writes them for the proxy in dir: the h1 hash of its zip and of its
// go.mod (Go's dirhash.Hash1: the SHA-256, in base64, of the sorted lines
// "SHA256-IN-HEX  NAME" of the files).
func zipSums(dir string, m *module, v string) ([]string, error) {
	ep, err := escapePath(m.Path)
	if err != nil {
		return nil, err
	}
	at := filepath.Join(dir, filepath.FromSlash(ep), "@v", v)
	zr, err := zip.OpenReader(at + ".zip")
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		files[f.Name] = data
	}
	mod, err := os.ReadFile(at + ".mod")
	if err != nil {
		return nil, err
	}
	return []string{
		m.Path + " " + v + " " + hash1(files),
		m.Path + " " + v + "/go.mod " + hash1(map[string][]byte{"go.mod": mod}),
	}, nil
}

// hash1 is Go's dirhash.Hash1 of files, by name.
func hash1(files map[string][]byte) string {
	var summary strings.Builder
	for _, name := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(&summary, "%x  %s\n", sha256.Sum256(files[name]), name)
	}
	sum := sha256.Sum256([]byte(summary.String()))
	return "h1:" + base64.StdEncoding.EncodeToString(sum[:])
}
