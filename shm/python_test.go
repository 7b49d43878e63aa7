//go:build linux

package shm_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/shm"
)

// python is Debian's interpreter, which python3-numpy belongs to (a python3
// earlier on PATH may be another one, without numpy).
const python = "/usr/bin/python3"

// peer returns a command running the Python package's test peer
// (python/tests/peer.py) with args.
func peer(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	if err := exec.Command(python, "-c", "import numpy").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Debian's python3-numpy is needed: %v", err)
		}
		t.Skipf("Debian's python3-numpy is not installed: %v", err)
	}
	cmd := exec.Command(python, append([]string{filepath.Join(testkit.Root, "python", "tests", "peer.py")}, args...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

type pythonResult struct {
	Frames       uint64 `json:"frames"`
	TornAccepted uint64 `json:"torn_accepted"`
	TornSeen     uint64 `json:"torn_seen"`
	Skipped      uint64 `json:"skipped"`
	Last         uint64 `json:"last"`
}

// TestGoWriterPythonReader: a Go writer process publishes frames as fast
// as it can; Python readers, copying and reading views, check every frame
// they accept: none is torn, and the last one published arrives.
func TestGoWriterPythonReader(t *testing.T) {
	frames := uint64(20_000)
	if testing.Short() {
		frames = 2_000
	}
	for _, mode := range []string{"copy", "view"} {
		t.Run(mode, func(t *testing.T) {
			const size = 64 << 10
			name := uniqueName(t)
			writer := childCmd("writer", name, size, frames)
			stdin, stdout := testkit.Start(t, writer)
			require.True(t, stdout.Scan())

			reader := peer(t, "read", name, mode)
			out, err := reader.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, reader.Start())
			lines := bufio.NewScanner(out)
			require.True(t, lines.Scan())
			require.Equal(t, "ready", lines.Text(), "the reader has attached")
			io.WriteString(stdin, "go\n")
			require.True(t, lines.Scan(), "the reader's summary")
			var res pythonResult
			require.NoError(t, json.Unmarshal(lines.Bytes(), &res), "%s", lines.Text())
			require.NoError(t, reader.Wait())
			require.NoError(t, writer.Wait())
			t.Logf("%s: %+v", mode, res)
			assert.Zero(t, res.TornAccepted, "torn frames accepted")
			assert.Positive(t, res.Frames)
			assert.Equal(t, frames, res.Last, "the last frame arrives")
			assert.Equal(t, frames, res.Frames+res.Skipped+res.TornSeen, "every frame is read, skipped or refused")
		})
	}
}

// TestPythonWriterGoReader: a Python writer publishes frames as fast as it
// can; a Go reader checks every frame it accepts.
func TestPythonWriterGoReader(t *testing.T) {
	frames := 20_000
	if testing.Short() {
		frames = 2_000
	}
	const size = 64 << 10
	name := uniqueName(t)
	writer := peer(t, "write", name, fmt.Sprint(frames), fmt.Sprint(size))
	stdin, sc := testkit.Start(t, writer)
	require.True(t, sc.Scan())
	require.Equal(t, "ready", sc.Text())
	r, err := shm.Open(name)
	require.NoError(t, err)
	defer r.Close()
	io.WriteString(stdin, "go\n")
	var got, skipped, last uint64
	buf := make([]byte, size)
	for {
		f, err := r.NextInto(context.Background(), buf)
		if err == io.EOF {
			break
		}
		if errors.Is(err, shm.ErrTorn) {
			continue // lapped again and again (the race detector slows copies): go on, as the doc says
		}
		require.NoError(t, err)
		require.True(t, intactFast(f.Data, f.Number), "frame %d is whole", f.Number)
		got++
		skipped += f.Skipped
		last = f.Number
	}
	require.NoError(t, writer.Wait())
	t.Logf("%d frames read, %d skipped", got, skipped)
	assert.Equal(t, uint64(frames), last)
	assert.Equal(t, uint64(frames), got+skipped, "every frame is read or counted as skipped")
}

// TestPythonReaderNoticesDeadWriter: a Go writer is killed in the middle of
// a frame; the waiting Python reader raises WriterGone.
func TestPythonReaderNoticesDeadWriter(t *testing.T) {
	name := uniqueName(t)
	writer := childCmd("killwriter", name, 4096, 3)
	stdout, err := writer.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, writer.Start())
	defer writer.Process.Kill()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "acquired" {
	}
	reader := peer(t, "wait-gone", name)
	out, err := reader.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, reader.Start())
	rs := bufio.NewScanner(out)
	require.True(t, rs.Scan())
	require.Equal(t, "waiting", rs.Text())
	require.NoError(t, writer.Process.Kill())
	writer.Wait()
	require.True(t, rs.Scan(), "the reader says the writer is gone")
	assert.Equal(t, "gone 1", rs.Text(), "after the one frame published")
	require.NoError(t, reader.Wait())
}

// TestPythonReaderFollowsRestarts: Go writer processes of one name come and
// go (the first closes, the second is killed); a Python reader with
// follow=True reads each one's frames in turn.
func TestPythonReaderFollowsRestarts(t *testing.T) {
	name := uniqueName(t)
	reader := peer(t, "follow", name, "3")
	out, err := reader.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, reader.Start())
	defer reader.Process.Kill()
	rs := bufio.NewScanner(out)
	for run := 1; run <= 3; run++ {
		cmd := childCmd("runwriter", name, 0, 0)
		cmd.Env = append(cmd.Env, fmt.Sprintf("IMGSTREAM_SHM_RUN=%d", run))
		if run == 2 {
			cmd.Env = append(cmd.Env, "IMGSTREAM_SHM_DIE=1")
		}
		in, err := cmd.StdinPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		require.True(t, rs.Scan(), "run %d", run)
		want := fmt.Sprintf("run %d first", run)
		if run > 1 {
			want = fmt.Sprintf("run %d restarted", run)
		}
		assert.Equal(t, want, rs.Text())
		in.Close()
		cmd.Wait()
	}
	require.NoError(t, reader.Wait())
}

// TestPythonPackage runs the package's own tests (Python writer and reader
// together) with Debian's python3.
func TestPythonPackage(t *testing.T) {
	peer(t) // skips without numpy
	cmd := exec.Command(python, "-W", "error::ResourceWarning", "-m", "unittest", "discover", "-v", "-s", filepath.Join(testkit.Root, "python", "tests"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "OK")
	assert.NotContains(t, strings.ToLower(string(out)), "skipped")
}

// TestPipInstall installs the package as its README says (offline, with
// Debian's pip and setuptools) into a scratch directory, from a copy of
// python/ so that the build leaves nothing in the tree, and uses the
// installed copy for a frame.
func TestPipInstall(t *testing.T) {
	peer(t) // skips without numpy
	if err := exec.Command(python, "-m", "pip", "--version").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Debian's python3-pip is needed: %v", err)
		}
		t.Skipf("no pip: %v", err)
	}
	src, target := filepath.Join(t.TempDir(), "python"), t.TempDir()
	require.NoError(t, os.CopyFS(src, os.DirFS(filepath.Join(testkit.Root, "python"))))
	out, err := exec.Command(python, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
		"--target", target, src).CombinedOutput()
	require.NoError(t, err, "%s", out)
	name := uniqueName(t)
	w, err := shm.Create(name, 4, 2)
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Write(container.Header{Width: 2, Height: 2, Format: container.Grayscale}, []byte{1, 2, 3, 4}))
	cmd := exec.Command(python, "-c", `import imgstream, sys
r = imgstream.Reader(sys.argv[1]); f = r.next(timeout=5)
print(imgstream.__file__.startswith(sys.argv[2]), f.number, f.image().tolist()); r.close()`, name, target)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+target)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "True 1 [[1, 2], [3, 4]]", strings.TrimSpace(string(out)))
}
