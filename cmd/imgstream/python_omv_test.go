package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
)

// The Python package's OMV module (python/imgstream/omv.py) against this
// program and the container package: the golden tests in Python, Go's
// files read in Python byte for byte, and Python's files verified here.

// debianPython is Debian's interpreter, which python3-numpy belongs to (a python3
// earlier on PATH may be another one, without numpy).
const debianPython = "/usr/bin/python3"

// pythonTests is the directory of the Python package's tests.
var pythonTests = filepath.Join(testkit.Root, "python", "tests")

// needPython skips t when Debian's python3 with numpy is missing (and
// fails it in CI, where it must be there).
func needPython(t *testing.T) {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import numpy").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Debian's python3-numpy is needed: %v", err)
		}
		t.Skipf("Debian's python3-numpy is not installed: %v", err)
	}
}

// omvPeer runs python/tests/omv_peer.py with args and decodes its JSON.
func omvPeer(t *testing.T, v any, args ...string) {
	t.Helper()
	cmd := exec.Command(debianPython, append([]string{filepath.Join(pythonTests, "omv_peer.py")}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "omv_peer.py %v: %s", args, stderr.String())
	require.NoError(t, json.Unmarshal(out, v), "%s", out)
}

// TestPythonOMV runs the Python module's own tests: every golden file
// against its manifest, the writer, the limits. None may be skipped.
func TestPythonOMV(t *testing.T) {
	needPython(t)
	cmd := exec.Command(debianPython, "-W", "error::ResourceWarning", "-m", "unittest", "-v", "test_omv")
	cmd.Dir = pythonTests
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "\nOK")
	assert.NotContains(t, strings.ToLower(string(out)), "skipped")
}

type pyFrame struct {
	Index     int    `json:"index"`
	Offset    int64  `json:"offset"`
	W         int    `json:"w"`
	H         int    `json:"h"`
	Format    string `json:"format"`
	Code      uint32 `json:"code"`
	Size      int    `json:"size"`
	ElapsedUS int64  `json:"elapsed_us"`
	TimeUS    int64  `json:"time_us"`
	SHA256    string `json:"sha256"`
}

type pyError struct {
	Kind    string `json:"kind"`
	Frame   *int   `json:"frame"`
	Offset  int64  `json:"offset"`
	Message string `json:"message"`
}

// pyRead is what omv_peer.py read prints.
type pyRead struct {
	Version string    `json:"version"`
	Frames  []pyFrame `json:"frames"`
	Random  []string  `json:"random"`
	Error   *pyError  `json:"error"`
	Damage  *pyError  `json:"damage"`
	Len     int       `json:"len"`
	End     int64     `json:"end"`
}

// pyKinds are the Python exception classes and the errors they stand for.
var pyKinds = map[string]error{
	"BadMagic":           container.ErrBadMagic,
	"UnsupportedVersion": container.ErrUnsupportedVersion,
	"TruncatedHeader":    container.ErrTruncatedHeader,
	"TruncatedPayload":   container.ErrTruncatedPayload,
	"InvalidPixFormat":   container.ErrInvalidPixFormat,
	"InvalidDimensions":  container.ErrInvalidDimensions,
	"InvalidSize":        container.ErrInvalidSize,
	"NonZeroPadding":     container.ErrNonZeroPadding,
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// goRecordings writes, with the container package, one recording per
// version holding every format the version carries, at odd sizes (so
// there is padding), with random payloads and times, and returns their
// paths.
func goRecordings(t *testing.T, dir string) []string {
	rng := rand.New(rand.NewPCG(18, 2026))
	jpeg := testkit.SolidJPEG(24, 8, color.RGBA{200, 30, 90, 255})
	var paths []string
	for _, v := range []container.Version{container.V1_0, container.V1_1, container.V2_0, container.V2_1} {
		formats := []container.PixFormat{container.Binary, container.Grayscale, container.RGB565, container.BayerBGGR, container.JPEG}
		if v>>8 == 2 {
			formats = append(formats, container.BayerGBRG, container.BayerGRBG, container.BayerRGGB,
				container.YUV422, container.YVU422, container.PNG, container.RGB565)
		}
		var out bytes.Buffer
		zw := container.NewWriter(&out)
		zw.Version = v
		for i, f := range formats {
			h := container.Header{Width: 13 + i*7, Height: 3 + i, Format: f,
				Elapsed: time.Duration(rng.IntN(200_000)) * v.TimeUnit()}
			var payload []byte
			switch f {
			case container.JPEG:
				payload = jpeg
			case container.PNG:
				payload = make([]byte, 1+rng.IntN(300))
			default:
				n, _ := f.PayloadSize(h.Width, h.Height)
				payload = make([]byte, n)
			}
			for j := range payload {
				if f != container.JPEG {
					payload[j] = byte(rng.Uint32())
				}
			}
			require.NoError(t, zw.WriteFrame(&h, payload))
		}
		require.NoError(t, zw.Close())
		p := filepath.Join(dir, fmt.Sprintf("go_%s.omv", v))
		require.NoError(t, os.WriteFile(p, out.Bytes(), 0o644))
		paths = append(paths, p)
	}
	return paths
}

// goRead reads path with a Go Reader in the given mode, and returns its
// frames as the Python peer reports them, and the error (nil at the end).
func goRead(t *testing.T, path string, strict bool) (string, []pyFrame, error) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := container.NewReader(f)
	if err != nil {
		return "", []pyFrame{}, err
	}
	zr.Strict = strict
	frames := []pyFrame{}
	var buf []byte
	for i := 0; ; i++ {
		var h *container.Header
		h, buf, err = zr.ReadFrame(buf)
		if err == io.EOF {
			return zr.Version().String(), frames, nil
		}
		if err != nil {
			return zr.Version().String(), frames, err
		}
		frames = append(frames, pyFrame{
			Index: i, Offset: zr.Offset(), W: h.Width, H: h.Height, Format: h.Format.String(),
			Code: uint32(h.Format), Size: h.Size, ElapsedUS: h.Elapsed.Microseconds(),
			TimeUS: zr.Time().Microseconds(), SHA256: sha256Hex(buf),
		})
	}
}

// checkSameError asserts that the Python error py is Go's err: the same
// kind, frame and offset.
func checkSameError(t *testing.T, err error, py *pyError) {
	t.Helper()
	if err == nil {
		assert.Nil(t, py, "Python found an error Go did not")
		return
	}
	require.NotNil(t, py, "Python found no error; Go: %v", err)
	want, ok := pyKinds[py.Kind]
	require.True(t, ok, "unknown Python error %s", py.Kind)
	assert.ErrorIs(t, err, want, "Python says %s: %s", py.Kind, py.Message)
	var fe *container.FrameError
	if errors.As(err, &fe) {
		require.NotNil(t, py.Frame, "Python's %s has no frame", py.Kind)
		assert.Equal(t, fe.Index, *py.Frame, "error frame")
		assert.Equal(t, fe.Offset, py.Offset, "error offset")
	} else {
		assert.Nil(t, py.Frame)
		assert.Zero(t, py.Offset)
	}
}

// TestPythonReadsGoFiles: recordings written by the container package, of
// every version and format, whole and cut off at many places, read in
// Python as Go reads them: the same frames, bytes, times and errors.
func TestPythonReadsGoFiles(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	paths := goRecordings(t, dir)
	whole := len(paths)
	for _, p := range paths[:whole] {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		x, err := container.ReadIndex(bytes.NewReader(data))
		require.NoError(t, err)
		e := x.Entries[len(x.Entries)/2]
		hs := int64(x.Version.HeaderSize())
		for _, cut := range []int64{5, e.Offset + hs/2, e.Offset + hs + int64(e.Size)/2, x.End - 3} {
			c := strings.TrimSuffix(p, ".omv") + fmt.Sprintf("_cut%d.omv", cut)
			require.NoError(t, os.WriteFile(c, data[:cut], 0o644))
			paths = append(paths, c)
		}
	}
	// A padding byte and a reserved byte that are not zero: only strict
	// readers care.
	data, err := os.ReadFile(paths[2]) // V2.0
	require.NoError(t, err)
	x, err := container.ReadIndex(bytes.NewReader(data))
	require.NoError(t, err)
	for i, off := range []int64{x.DataOffset(0) + int64(x.Entries[0].Size), x.Entries[1].Offset + 25} {
		bad := bytes.Clone(data)
		bad[off] = 0xAA
		c := filepath.Join(dir, fmt.Sprintf("go_nonzero%d.omv", i))
		require.NoError(t, os.WriteFile(c, bad, 0o644))
		paths = append(paths, c)
	}
	for _, strict := range []bool{false, true} {
		args := []string{"read"}
		if strict {
			args = append(args, "--strict")
		}
		var pys []pyRead
		omvPeer(t, &pys, append(args, paths...)...)
		require.Len(t, pys, len(paths))
		for i, p := range paths {
			py := pys[i]
			t.Run(fmt.Sprintf("%s/strict=%v", filepath.Base(p), strict), func(t *testing.T) {
				v, frames, err := goRead(t, p, strict)
				assert.Equal(t, v, py.Version)
				assert.Equal(t, frames, py.Frames)
				checkSameError(t, err, py.Error)
				if v == "" {
					return
				}
				assert.Equal(t, len(frames), py.Len, "the index holds the complete frames")
				checkSameError(t, err, py.Damage)
				shas := make([]string, len(frames))
				for i := range frames {
					shas[i] = frames[i].SHA256
				}
				assert.Equal(t, shas, py.Random, "frames read at random")
				if !strict {
					f, err := os.Open(p)
					require.NoError(t, err)
					defer f.Close()
					x, _ := container.ReadIndex(f)
					assert.Equal(t, x.End, py.End)
				}
			})
		}
	}
	require.Greater(t, len(paths), whole*4)
}

// pyWritten is what omv_peer.py write prints for one recording.
type pyWritten struct {
	File    string `json:"file"`
	Version string `json:"version"`
	Frames  []struct {
		Format    string `json:"format"`
		W         int    `json:"w"`
		H         int    `json:"h"`
		ElapsedUS int64  `json:"elapsed_us"`
		TimeUS    int64  `json:"time_us"`
		Size      int    `json:"size"`
		SHA256    string `json:"sha256"`
	} `json:"frames"`
}

// TestGoReadsPythonFiles: recordings written by the Python Writer (every
// version, from numpy arrays of each kind, JPEG bytes, times given as
// intervals, times and elapsed) pass imgstream verify, read in Go as the
// Python side says it wrote them, and are what the Go Writer writes for
// the same frames, byte for byte.
func TestGoReadsPythonFiles(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	var written []pyWritten
	omvPeer(t, &written, "write", dir)
	require.Len(t, written, 4)
	for _, w := range written {
		t.Run(w.File, func(t *testing.T) {
			path := filepath.Join(dir, w.File)
			out, errOut, code := cli(t, "verify", path)
			require.Equal(t, 0, code, "%s%s", out, errOut)
			assert.Contains(t, out, fmt.Sprintf("ok, %d frames, OMV IMG STR %s", len(w.Frames), w.Version))

			orig, err := os.ReadFile(path)
			require.NoError(t, err)
			zr, err := container.NewReader(bytes.NewReader(orig))
			require.NoError(t, err)
			zr.Strict = true
			assert.Equal(t, w.Version, zr.Version().String())
			var again bytes.Buffer
			zw := container.NewWriter(&again)
			zw.Version = zr.Version()
			var buf []byte
			for i, want := range w.Frames {
				var h *container.Header
				h, buf, err = zr.ReadFrame(buf)
				require.NoError(t, err, "frame %d", i)
				assert.Equal(t, want.Format, h.Format.String(), "frame %d format", i)
				assert.Equal(t, [2]int{want.W, want.H}, [2]int{h.Width, h.Height}, "frame %d size", i)
				assert.Equal(t, want.ElapsedUS, h.Elapsed.Microseconds(), "frame %d elapsed", i)
				assert.Equal(t, want.TimeUS, zr.Time().Microseconds(), "frame %d time", i)
				assert.Equal(t, want.Size, h.Size, "frame %d bytes", i)
				assert.Equal(t, want.SHA256, sha256Hex(buf), "frame %d payload", i)
				require.NoError(t, zw.WriteFrame(h, buf))
			}
			_, _, err = zr.ReadFrame(buf)
			require.Equal(t, io.EOF, err, "no more frames than Python wrote")
			require.NoError(t, zw.Close())
			assert.Equal(t, orig, again.Bytes(), "Go's Writer writes the same bytes")
		})
	}
}

// TestPythonREADME installs the package as python/README.md says, offline
// (pip install --no-build-isolation, with Debian's setuptools and wheel),
// from a copy of python/ so that the build leaves nothing in the tree, and
// runs the README's first Python example, the five lines that read a
// recording, on testdata/sample.omv with the installed copy.
func TestPythonREADME(t *testing.T) {
	needPython(t)
	if err := exec.Command(debianPython, "-m", "pip", "--version").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Debian's python3-pip is needed: %v", err)
		}
		t.Skipf("no pip: %v", err)
	}
	readme, err := os.ReadFile(filepath.Join(testkit.Root, "python", "README.md"))
	require.NoError(t, err)
	_, block, ok := strings.Cut(string(readme), "```python\n")
	require.True(t, ok, "python/README.md has a Python example")
	block, _, _ = strings.Cut(block, "```")
	require.Contains(t, block, `"recording.omv"`)
	require.Equal(t, 5, strings.Count(block, "\n"), "five lines:\n%s", block)

	src, target := filepath.Join(t.TempDir(), "python"), t.TempDir()
	require.NoError(t, os.CopyFS(src, os.DirFS(filepath.Join(testkit.Root, "python"))))
	cmd := exec.Command(debianPython, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
		"--target", target, src)
	cmd.Env = append(os.Environ(), "PIP_NO_INDEX=1", "PIP_DISABLE_PIP_VERSION_CHECK=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	sample := filepath.Join(testkit.Root, "testdata", "sample.omv")
	script := "import imgstream, sys\nassert imgstream.__file__.startswith(sys.argv[1]), imgstream.__file__\n" +
		strings.ReplaceAll(block, `"recording.omv"`, "sys.argv[2]")
	cmd = exec.Command(debianPython, "-c", script, target, sample)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+target)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	f, err := os.Open(sample)
	require.NoError(t, err)
	defer f.Close()
	x, err := container.ReadIndex(f)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, len(x.Entries))
	last := x.Entries[len(x.Entries)-1]
	assert.Equal(t, fmt.Sprintf("%d %v %v %d %d", len(x.Entries)-1, last.Time.Seconds(), last.Format, last.Width, last.Height),
		lines[len(lines)-1])
}
