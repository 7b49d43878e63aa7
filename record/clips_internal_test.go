package record

import (
	"os"
	"path/filepath"
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
