package main

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testRepo writes files (slash path → content) into a new directory and
// returns them as a repo, as loadRepo would from git's list.
func testRepo(t *testing.T, files map[string]string) *repo {
	t.Helper()
	root := t.TempDir()
	var names []string
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
		names = append(names, name)
	}
	r, err := newRepo(root, names)
	require.NoError(t, err)
	return r
}

// twoModules is a library and a module in a subdirectory that requires it
// at its next release, v0.3.0, which no proxy serves.
func twoModules() map[string]string {
	return map[string]string{
		"go.mod":          "module example.com/lib\n\ngo 1.25\n",
		"lib.go":          "package lib\n\n// Hello greets.\nfunc Hello() string { return \"hello\" }\n",
		"testdata/x.txt":  "data\n",
		"sub/go.mod":      "module example.com/lib/sub\n\ngo 1.25\n\nrequire example.com/lib v0.3.0 // the next release\n",
		"sub/sub.go":      "package sub\n\nimport \"example.com/lib\"\n\n// Hello greets twice.\nfunc Hello() string { return lib.Hello() + lib.Hello() }\n",
		"sub/inner/in.go": "package inner\n",
	}
}

func TestNewRepoGroupsFilesByModuleAndOrdersByRequirement(t *testing.T) {
	r := testRepo(t, twoModules())
	require.Len(t, r.Modules, 2)
	lib, sub := r.Modules[0], r.Modules[1]
	assert.Equal(t, ".", lib.Dir)
	assert.Equal(t, "example.com/lib", lib.Path)
	assert.Equal(t, []string{"go.mod", "lib.go", "testdata/x.txt"}, lib.Files, "the nested module's files are not the root's")
	assert.Equal(t, []string{"go.mod", "inner/in.go", "sub.go"}, sub.Files)
	assert.Equal(t, map[string]string{"example.com/lib": "v0.3.0"}, sub.Requires)
	v, err := r.version()
	require.NoError(t, err)
	assert.Equal(t, "v0.3.0", v)
	assert.Equal(t, []string{"v0.3.0", "sub/v0.3.0"}, r.tags("v0.3.0"))
}

func TestNewRepoPutsAModuleAfterThoseItRequires(t *testing.T) {
	files := twoModules()
	// "a" sorts first but requires "sub", which requires the root.
	files["a/go.mod"] = "module example.com/lib/a\n\ngo 1.25\n\nrequire (\n\texample.com/lib/sub v0.3.0\n\tgolang.org/x/sys v0.1.0 // indirect\n)\n"
	r := testRepo(t, files)
	var dirs []string
	for _, m := range r.Modules {
		dirs = append(dirs, m.Dir)
	}
	assert.Equal(t, []string{".", "sub", "a"}, dirs)
	assert.Equal(t, map[string]string{"example.com/lib/sub": "v0.3.0"}, r.Modules[2].Requires, "third-party requirements are not ours")
}

func TestVersionWantsOneVersion(t *testing.T) {
	files := twoModules()
	files["a/go.mod"] = "module example.com/lib/a\n\ngo 1.25\n\nrequire example.com/lib v0.2.0\n"
	_, err := testRepo(t, files).version()
	assert.ErrorContains(t, err, "one version")
}

func TestParseGoMod(t *testing.T) {
	p, reqs, replace := parseGoMod([]byte("module \"example.com/m\" // the module\n\ngo 1.25\n\nrequire (\n\ta.com/x v1.0.0\n\tb.com/y v0.2.0 // indirect\n)\n\nrequire c.com/z v0.0.1\n\nexclude (\n\td.com/w v1.0.0\n)\n"))
	assert.Equal(t, "example.com/m", p)
	assert.Equal(t, map[string]string{"a.com/x": "v1.0.0", "b.com/y": "v0.2.0", "c.com/z": "v0.0.1"}, reqs)
	assert.False(t, replace)
	for _, mod := range []string{"module m\nreplace a.com/x => ../x\n", "module m\nreplace (\n\ta.com/x v1.0.0 => ../x\n)\n"} {
		_, _, replace = parseGoMod([]byte(mod))
		assert.True(t, replace, mod)
	}
}

func TestCheckVersion(t *testing.T) {
	for _, v := range []string{"v0.1.0", "v1.2.3", "v0.10.0-rc.1"} {
		assert.NoError(t, checkVersion(v), v)
	}
	for _, v := range []string{"0.1.0", "v0.1", "v2.0.0", "v0.01.0", "v0.0.0-00010101000000-000000000000x/"} {
		assert.Error(t, checkVersion(v), v)
	}
}

func TestEscapePath(t *testing.T) {
	p, err := escapePath("github.com/Azure/azure-sdk")
	require.NoError(t, err)
	assert.Equal(t, "github.com/!azure/azure-sdk", p)
}

func TestWriteProxyLaysOutEveryModule(t *testing.T) {
	r := testRepo(t, twoModules())
	dir := t.TempDir()
	require.NoError(t, writeProxy(r, dir, "v0.3.0", time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)))
	list, err := os.ReadFile(filepath.Join(dir, "example.com/lib/sub/@v/list"))
	require.NoError(t, err)
	assert.Equal(t, "v0.3.0\n", string(list))
	info, err := os.ReadFile(filepath.Join(dir, "example.com/lib/@v/v0.3.0.info"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"v0.3.0","Time":"2026-12-02T14:00:00Z"}`, string(info))
	mod, err := os.ReadFile(filepath.Join(dir, "example.com/lib/sub/@v/v0.3.0.mod"))
	require.NoError(t, err)
	assert.Equal(t, twoModules()["sub/go.mod"], string(mod))

	zr, err := zip.OpenReader(filepath.Join(dir, "example.com/lib/@v/v0.3.0.zip"))
	require.NoError(t, err)
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	assert.Equal(t, []string{"example.com/lib@v0.3.0/go.mod", "example.com/lib@v0.3.0/lib.go", "example.com/lib@v0.3.0/testdata/x.txt"}, names)
}

// goEnv is the environment of a go command that reaches no network: the
// modules come from proxy only, and the checksum database is off.
func goEnv(t *testing.T, proxy string) []string {
	return append(os.Environ(),
		"GOPROXY="+fileURL(proxy), "GOSUMDB=off", "GOFLAGS=-mod=mod -modcacherw",
		"GOMODCACHE="+t.TempDir(), "GOWORK=off", "GOTOOLCHAIN=local", "GONOSUMDB=", "GOPRIVATE=", "GONOPROXY=")
}

func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

func TestProxyServesAUserOfTheGoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	r := testRepo(t, twoModules())
	proxy := t.TempDir()
	require.NoError(t, writeProxy(r, proxy, "v0.3.0", time.Now()))
	user := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(user, "main.go"), []byte("package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib/sub\"\n)\n\nfunc main() { fmt.Println(sub.Hello()) }\n"), 0o644))
	env := goEnv(t, proxy)
	goCmd(t, user, env, "mod", "init", "example.com/user")
	goCmd(t, user, env, "get", "example.com/lib/sub@v0.3.0")
	assert.Equal(t, "hellohello\n", goCmd(t, user, env, "run", "."))
	sum, err := os.ReadFile(filepath.Join(user, "go.sum"))
	require.NoError(t, err)
	assert.Contains(t, string(sum), "example.com/lib v0.3.0 h1:")
	assert.Contains(t, string(sum), "example.com/lib/sub v0.3.0 h1:")
	// The release check's own hashes of the zips are the go command's.
	for _, m := range r.Modules {
		lines, err := zipSums(proxy, m, "v0.3.0")
		require.NoError(t, err)
		for _, l := range lines {
			assert.Contains(t, string(sum), l+"\n")
		}
	}
}

func TestTidyLeavesOurModulesToTheWorkingTree(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	// Nothing may be fetched: example.com/lib v0.3.0 exists nowhere.
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-modcacherw")
	files := twoModules()
	// A go.sum line of the last release, which the working tree's
	// content no longer matches.
	files["sub/go.sum"] = "example.com/lib v0.3.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nexample.com/lib v0.3.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	r := testRepo(t, files)
	require.NoError(t, tidy(r, true))

	// Write mode changes nothing that is tidy, and keeps the release's lines.
	require.NoError(t, tidy(r, false))
	for _, name := range []string{"sub/go.mod", "sub/go.sum"} {
		data, err := os.ReadFile(filepath.Join(r.Root, name))
		require.NoError(t, err)
		assert.Equal(t, files[name], string(data), name)
	}

	// A module whose imports its go.mod does not cover is not tidy.
	require.NoError(t, os.WriteFile(filepath.Join(r.Root, "sub/go.mod"), []byte("module example.com/lib/sub\n\ngo 1.25\n"), 0o644))
	assert.ErrorContains(t, tidy(r, true), "not tidy: sub")
}

func TestSyncWorkReplacesRequiredVersions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	files := twoModules()
	files["go.work"] = "go 1.25\n\nuse (\n\t.\n\t./sub\n)\n\nreplace example.com/lib v0.2.0 => ./\n"
	r := testRepo(t, files)
	assert.ErrorContains(t, syncWork(r, "v0.3.0", false), "replace example.com/lib v0.3.0 => ./")
	require.NoError(t, syncWork(r, "v0.3.0", true))
	work, err := os.ReadFile(filepath.Join(r.Root, "go.work"))
	require.NoError(t, err)
	assert.Contains(t, string(work), "replace example.com/lib v0.3.0 => ./\n")
	assert.NotContains(t, string(work), "v0.2.0")
	assert.NoError(t, syncWork(r, "v0.3.0", false))
}

func TestMergeSumKeepsTheGoCommandsOrder(t *testing.T) {
	others := []string{"a.com/x v1.0.0 h1:x\n", "github.com/z/z v1.0.0 h1:z\n"}
	ours := []string{"example.com/lib v0.3.0 h1:l\n", "example.com/lib v0.3.0/go.mod h1:m\n"}
	assert.Equal(t, []string{others[0], ours[0], ours[1], others[1]}, mergeSum(others, ours))
	assert.Equal(t, slices.Concat(others, []string{"zz.com/q v1 h1:q\n"}), mergeSum(others, []string{"zz.com/q v1 h1:q\n"}))
}

func TestThirdPartyDiffLeavesOutOurGoSumLines(t *testing.T) {
	r := testRepo(t, twoModules())
	out := "diff current/go.sum tidy/go.sum\n--- current/go.sum\n+++ tidy/go.sum\n@@ -1,2 +1,3 @@\n a.com/x v1.0.0 h1:x\n+example.com/lib v0.3.0 h1:new\n-example.com/lib v0.3.0 h1:old\n+b.com/y v1.0.0/go.mod h1:y\n"
	assert.Equal(t, []string{"+b.com/y v1.0.0/go.mod h1:y"}, thirdPartyDiff(r, out))
	// A requirement in go.mod is never left out.
	assert.Equal(t, []string{"-\texample.com/lib v0.3.0"}, thirdPartyDiff(r, "-\texample.com/lib v0.3.0\n"))
}

// TestLoadRepoWithoutGit: a tree with no .git (an archive of the
// repository) is read from its files, leaving out hidden ones and build
// outputs, so that tidy-check works there too.
func TestLoadRepoWithoutGit(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"go.mod", "a.go", "sub/go.mod", "sub/b.go", ".hidden/x.go", "pkg.test", "bench.out", "cmd/imgstream/imgstream", "python/__pycache__/m.pyc"} {
		p := filepath.Join(root, filepath.FromSlash(f))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		content := "package a\n"
		if strings.HasSuffix(f, "go.mod") {
			content = "module example.com/" + strings.TrimSuffix(strings.TrimSuffix(f, "go.mod"), "/") + "\n\ngo 1.25\n"
		}
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	files, err := walkFiles(root)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.go", "go.mod", "sub/b.go", "sub/go.mod"}, files)
	r, err := loadRepo(root)
	require.NoError(t, err)
	assert.Len(t, r.Modules, 2)
}
