package testkit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// The reference OMV IMG STR files in testdata/golden are copied unchanged
// from the project's shared reference set; their manifest holds the answers
// a correct reader gives for each file.

// A Frame is one frame as the manifest describes it.
type Frame struct {
	Index      int    `json:"index"`
	Offset     int64  `json:"offset"`
	DataOffset int64  `json:"data_offset"`
	Elapsed    int64  `json:"elapsed"` // in the file's unit
	W          int    `json:"w"`
	H          int    `json:"h"`
	PixFmt     string `json:"pixfmt"`
	Size       int    `json:"size"`
	Padding    int    `json:"padding"`
	SHA256     string `json:"sha256"` // of the payload as a reader returns it
}

// A File is one golden file with the answers for it.
type File struct {
	Name           string   `json:"name"`
	Valid          bool     `json:"valid"`
	Version        string   `json:"version"`
	TimeUnit       string   `json:"time_unit"`
	Count          int      `json:"count"`
	Canonical      bool     `json:"canonical"`
	Frames         []Frame  `json:"frames"`
	Error          string   `json:"error"`
	ErrorFrame     *int     `json:"error_frame"`
	ErrorOffset    int64    `json:"error_offset"`
	AlsoAcceptable []string `json:"also_acceptable"`
	StrictOnly     bool     `json:"strict_only"`
	Lenient        *struct {
		Count  int     `json:"count"`
		Frames []Frame `json:"frames"`
	} `json:"lenient"`
	Render *struct {
		File string `json:"file"`
		Mode string `json:"mode"`
		W    int    `json:"w"`
		H    int    `json:"h"`
	} `json:"render"`
}

// Root is the repository's root directory, found from this file's place in
// it, so that tests in any package or module can reach testdata.
var Root = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}()

// GoldenDir is the directory of the golden files.
var GoldenDir = filepath.Join(Root, "testdata", "golden")

// Golden returns the golden files' manifest, failing t if it cannot be read.
func Golden(t testing.TB) []File {
	t.Helper()
	files, err := LoadGolden(GoldenDir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// GoldenPath returns the path of the golden file name.
func GoldenPath(name string) string { return filepath.Join(GoldenDir, name) }

// LoadGolden reads dir/manifest.json.
func LoadGolden(dir string) ([]File, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m struct {
		Files []File `json:"files"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if len(m.Files) == 0 {
		return nil, fmt.Errorf("testkit: no golden files in %s", dir)
	}
	return m.Files, nil
}
