package record

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestExpandAndGlob(t *testing.T) {
	at := time.Date(2026, 12, 1, 23, 5, 9, 0, time.Local)
	got, err := expand("clips/%Y/%m%d-%H%M%S-%j-%%.omv", at)
	if want := "clips/2026/1201-230509-335-%.omv"; err != nil || got != want {
		t.Fatalf("expand: %q, %v; want %q", got, err, want)
	}
	if g, want := glob("clips/%Y/%m%d-%H%M%S[1]*.omv"), `clips/*/**-***\[1]\**.omv`; g != want {
		t.Errorf("glob: %q, want %q", g, want)
	}
	for _, bad := range []string{"x%", "x%q.omv"} {
		if _, err := expand(bad, at); err == nil {
			t.Errorf("expand(%q): no error", bad)
		}
	}
}

// TestRetainAge: clips older than Keep.Age go, newer ones stay, and so
// does the clip being written, however old; files the pattern does not
// name are never touched.
func TestRetainAge(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	pattern := filepath.Join(dir, "%Y%m%d-%H%M%S.omv")
	files := map[string]time.Duration{"20260101-000000.omv": 10 * 24 * time.Hour, "20260102-000000.omv": 8 * 24 * time.Hour,
		"20260103-000000-1.omv": 6 * 24 * time.Hour, "20260104-000000.omv": time.Hour, "notes.txt": 30 * 24 * time.Hour, "20250101-000000.omv": 9 * 24 * time.Hour}
	for name, age := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	keep := filepath.Join(dir, "20250101-000000.omv") // being written
	removed, err := retain(pattern, Keep{Age: 7 * 24 * time.Hour}, keep, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 {
		t.Fatalf("removed %v, want the two older than 7 days", removed)
	}
	for _, name := range []string{"20260103-000000-1.omv", "20260104-000000.omv", "notes.txt", "20250101-000000.omv"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRetainSparesTheNewest: with no clip being written, retention
// leaves the newest clip, however far over the bound: before, record -
// k6.omv --keep 100KB removed the only recording it had just made.
func TestRetainSparesTheNewest(t *testing.T) {
	t.Chdir(t.TempDir())
	now := time.Now()
	for i, name := range []string{"a-1.omv", "a-2.omv", "a.omv"} {
		if err := os.WriteFile(name, make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
		at := now.Add(time.Duration(i-3) * time.Hour)
		if err := os.Chtimes(name, at, at); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := retain("a.omv", Keep{Size: 10, Age: time.Minute}, "", now)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := []string{"a-1.omv", "a-2.omv"}; !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	if _, err := os.Stat("a.omv"); err != nil {
		t.Errorf("the newest clip: %v", err)
	}
}

// TestRetainOnlyOurs: retention removes only names the pattern can
// produce, each verb's digits at its width and the -N of a taken name;
// the user's files beside the clips stay, however old, however close
// their names. The clip being written stays though its path is not
// clean (./clips/...), as Glob's paths are.
func TestRetainOnlyOurs(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		keep    string   // the clip being written, as commit named it
		ours    []string // other clips the recorder made: all go
		theirs  []string // the user's: all stay
	}{
		{
			"clips/%Y%m%d-%H%M%S.omv", "clips/20260102-000000.omv",
			[]string{"clips/20260101-000000.omv", "clips/20260101-000000-1.omv", "clips/20260101-000000-999.omv"},
			[]string{"clips/my-holiday.omv", "clips/20260101-000000-copy.omv", "clips/2026011-000000.omv",
				"clips/20260101-0000000.omv", "clips/x20260101-000000.omv", "clips/20260101-000000-0.omv",
				"clips/20260101-000000-01.omv", "clips/20260101-000000-1000.omv", "clips/ABCD0101-000000.omv",
				"clips/20260101-000000 (1).omv", "clips/20260101-000000.omv.omv"},
		},
		{
			"./cam/%Y/%m/%d/%H%M%S-%s.omv", "./cam/2026/01/02/000000-1767312000.omv",
			[]string{"cam/2026/01/01/000000-1767225600.omv", "cam/2026/12/31/235959-1.omv", "cam/2026/12/31/235959-1-2.omv"},
			[]string{"cam/2026/01/photos/000000-1767225600.omv", "cam/2026/1/01/000000-1.omv", "cam/2026/01/01/000000-.omv",
				"cam/2026/01/01/holiday-1767225600.omv", "cam/notes/01/01/000000-1.omv"},
		},
		{
			"rec-%j.%H", "rec-002.00",
			[]string{"rec-001.00", "rec-365-1.23"},
			[]string{"rec-001.0", "rec-01.00", "rec-001.00-1", "rec-001.omv", "rec-%j.00"},
		},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			t.Chdir(t.TempDir())
			old := time.Now().Add(-30 * 24 * time.Hour)
			for _, name := range slices.Concat([]string{tc.keep}, tc.ours, tc.theirs) {
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(name, old, old); err != nil {
					t.Fatal(err)
				}
			}
			removed, err := retain(tc.pattern, Keep{Size: 1, Age: time.Hour}, tc.keep, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(removed)
			if want := slices.Sorted(slices.Values(tc.ours)); !slices.Equal(removed, want) {
				t.Errorf("removed %q, want %q", removed, want)
			}
			for _, name := range append([]string{tc.keep}, tc.theirs...) {
				if _, err := os.Stat(name); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		})
	}
}

// TestCreateCommit: a clip's file has no name until commit gives it
// one, after its start is written; a taken name gets the first free -N,
// with hard links or without them; and only stale partials are removed.
func TestCreateCommit(t *testing.T) {
	for _, links := range []bool{true, false} {
		if !links {
			link = func(string, string) error { return &os.LinkError{Op: "link", Err: errors.ErrUnsupported} }
			t.Cleanup(func() { link = os.Link })
		}
		dir := t.TempDir()
		pattern := filepath.Join(dir, "sub", "%H%M%S.omv")
		at := time.Date(2026, 12, 2, 1, 2, 3, 0, time.Local)
		taken := filepath.Join(dir, "sub", "010203.omv")
		var names []string
		for i := range 3 {
			f, name, err := create(pattern, at)
			if err != nil {
				t.Fatal(err)
			}
			if name != taken {
				t.Fatalf("name %q, want %q", name, taken)
			}
			if i == 0 {
				if _, err := os.Stat(name); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("links %v: %s exists before commit: %v", links, name, err)
				}
			}
			if _, err := f.Write([]byte("OMV IMG STR V2.0")); err != nil {
				t.Fatal(err)
			}
			p, err := commit(f, name)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			names = append(names, filepath.Base(p))
			if b, err := os.ReadFile(p); err != nil || string(b) != "OMV IMG STR V2.0" {
				t.Fatalf("links %v: %s holds %q, %v", links, p, b, err)
			}
			if got, want := mode(t, p), mode(t, filepath.Join(dir, "plain")); got != want {
				t.Errorf("links %v: %s has mode %v, want %v as any file made 0644 under the umask", links, p, got, want)
			}
		}
		if want := []string{"010203.omv", "010203-1.omv", "010203-2.omv"}; !slices.Equal(names, want) {
			t.Errorf("links %v: names %v, want %v", links, names, want)
		}
		left, _ := filepath.Glob(filepath.Join(dir, "sub", ".*"))
		if len(left) != 0 {
			t.Errorf("links %v: partials left: %v", links, left)
		}
	}

	dir := t.TempDir()
	ours, err := clipName(filepath.Join(dir, "%H%M%S.omv"))
	if err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(dir, ".010203.omv.0000a0b1"+partialSuffix), filepath.Join(dir, ".010203.omv.0000a0b2"+partialSuffix)
	// Hidden ".partial" files that are not the partial of a clip name of
	// the pattern are the user's: before, every ".*.partial" went.
	users := []string{".thesis.partial", ".010203.omv.partial", ".holiday.omv.0000a0b1.partial",
		".0102.omv.0000a0b1.partial", ".010203.omv.xyz.partial", ".010203.omv.0000A0B1.partial"}
	for _, p := range append([]string{stale, fresh}, users...) {
		p = filepath.Join(dir, filepath.Base(p))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if p != fresh {
			now := time.Now()
			os.Chtimes(p, now.Add(-2*stalePartial), now.Add(-2*stalePartial))
		}
	}
	removeStale(dir, ours, time.Now())
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale partial kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a partial another process is writing was removed: %v", err)
	}
	for _, u := range users {
		if _, err := os.Stat(filepath.Join(dir, u)); err != nil {
			t.Errorf("the user's %s was removed: %v", u, err)
		}
	}
}

// mode returns p's permissions; a p that does not exist is first made
// with os.OpenFile's 0644, under the umask.
func mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}
