package record_test

import (
	"bytes"
	"context"
	"errors"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/record"
)

// alive reports whether process pid runs: it exists and is not a zombie
// (an orphan's zombie is init's to reap, not ours).
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// waitDead waits for pid to stop running, up to a generous bound.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); alive(pid); {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return pid
}

// cameraProgram writes the frames to a file and returns a shell command line that
// starts a background child (its pid in dir/child.pid, its own in
// dir/sh.pid), writes the frames, says "ready" on stderr and then, unless
// exit is set, keeps running.
func cameraProgram(t *testing.T, frames [][]byte, extra string) (dir string, args []string) {
	dir = t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "frames"), bytes.Join(frames, nil), 0o644))
	script := `cd "$1"; ` + extra + `sleep 300 & echo $! > child.pid; echo $$ > sh.pid; cat frames; echo ready >&2; `
	return dir, []string{"sh", "-c", script + `exec sleep 300`, "camera", dir}
}

// TestProgramStops: a camera program's frames come through; when the
// context ends, the program and the child it started are killed and the
// program is reaped, even though the child holds stdout open.
func TestProgramStops(t *testing.T) {
	frames := stamped(3)
	dir, args := cameraProgram(t, frames, "")
	var logged lockedBuffer
	p := &record.Program{Args: args, Log: log.New(&logged, "", 0)}
	ctx, cancel := context.WithCancel(context.Background())
	var got [][]byte
	err := p.Run(ctx, func(f *record.Frame) error {
		got = append(got, bytes.Clone(f.Data))
		if len(got) == len(frames) {
			cancel()
		}
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, frames, got)
	sh, child := readPid(t, filepath.Join(dir, "sh.pid")), readPid(t, filepath.Join(dir, "child.pid"))
	assert.False(t, alive(sh), "the program is reaped at once")
	_, statErr := os.Stat(filepath.Join("/proc", strconv.Itoa(sh)))
	assert.True(t, errors.Is(statErr, os.ErrNotExist), "the program is no zombie")
	waitDead(t, child)
}

// TestProgramExits: a program that exits ends Run with ErrProgramExited,
// not a permanent error, after its frames; the child it left is killed.
func TestProgramExits(t *testing.T) {
	frames := stamped(2)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "frames"), bytes.Join(frames, nil), 0o644))
	var logged lockedBuffer
	p := &record.Program{
		Args: []string{"sh", "-c", `cd "$1"; sleep 300 > /dev/null & echo $! > child.pid; cat frames; printf 'bye\r\n' >&2; exit 3`, "cam", dir},
		Log:  log.New(&logged, "", 0),
	}
	n := 0
	err := p.Run(context.Background(), func(*record.Frame) error { n++; return nil })
	assert.ErrorIs(t, err, record.ErrProgramExited)
	assert.NotErrorIs(t, err, record.ErrPermanent)
	assert.Contains(t, err.Error(), "exit status 3")
	assert.Equal(t, 2, n)
	assert.Equal(t, "sh: bye\n", logged.String())
	assert.Contains(t, err.Error(), "(it said: bye)", "the last line it wrote says why")
	waitDead(t, readPid(t, filepath.Join(dir, "child.pid")))
}

// TestProgramIgnoresTERM: a program that ignores SIGTERM is killed after
// StopWait.
func TestProgramIgnoresTERM(t *testing.T) {
	frames := stamped(1)
	dir, args := cameraProgram(t, frames, "trap '' TERM; ")
	p := &record.Program{Args: args, StopWait: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	err := p.Run(ctx, func(*record.Frame) error { cancel(); return nil })
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, alive(readPid(t, filepath.Join(dir, "sh.pid"))))
	waitDead(t, readPid(t, filepath.Join(dir, "child.pid")))
}

// TestProgramNotFound: a command that does not exist is a permanent error
// that names it.
func TestProgramNotFound(t *testing.T) {
	for _, args := range [][]string{{"imgstream-no-such-camera"}, {"/nonexistent/cam"}, {}} {
		err := (&record.Program{Args: args}).Run(context.Background(), func(*record.Frame) error { return nil })
		assert.ErrorIs(t, err, record.ErrPermanent, "%q", args)
		if len(args) > 0 {
			assert.Contains(t, err.Error(), args[0])
		}
	}
	// A program that writes something else is told so, permanently.
	err := (&record.Program{Args: []string{"echo", "usage: cam [options]"}}).Run(context.Background(), func(*record.Frame) error { return nil })
	assert.ErrorIs(t, err, record.ErrUnknownInput)
	assert.Contains(t, err.Error(), "usage: cam")
}

func TestParseCommand(t *testing.T) {
	for in, want := range map[string][]string{
		`ffmpeg -f v4l2 -i /dev/video0 -f mjpeg -`: {"ffmpeg", "-f", "v4l2", "-i", "/dev/video0", "-f", "mjpeg", "-"},
		`  sh  -c 'a | b "c"'  `:                   {"sh", "-c", `a | b "c"`},
		`echo "a \"b\" \$HOME \n" c\ d`:            {"echo", `a "b" $HOME \n`, "c d"},
		`x''y "" ''`:                               {"xy", "", ""},
	} {
		got, err := record.ParseCommand(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "   ", `sh -c 'open`, `echo "open`} {
		_, err := record.ParseCommand(in)
		assert.ErrorIs(t, err, record.ErrInvalidConfig, "%q", in)
	}
}

// TestLineLogBounded: a program that floods its stderr with one endless
// line costs MaxLogLine bytes, and lines come out trimmed, with the prefix.
func TestLineLogBounded(t *testing.T) {
	var out bytes.Buffer
	l := &record.LineLog{Log: log.New(&out, "", 0), Prefix: "cam: "}
	for range 1000 {
		l.Write(bytes.Repeat([]byte{'x'}, 1000))
	}
	l.Write([]byte("\r\nsecond  \n\n"))
	l.Flush()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, "cam: "+strings.Repeat("x", record.MaxLogLine), lines[0])
	assert.Equal(t, "cam: second", lines[1])
	assert.Equal(t, "second", l.Last())
}
