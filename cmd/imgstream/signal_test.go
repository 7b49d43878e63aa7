//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// TestSignalStopsBlockedCommand: info, frames and verify, blocked in a read
// of a FIFO whose writer sends nothing more, stop at the first SIGINT or
// SIGTERM with 128 plus the signal's number and one line that says so.
func TestSignalStopsBlockedCommand(t *testing.T) {
	header, err := os.ReadFile(sample)
	require.NoError(t, err)
	header = header[:16] // the magic; no frame yet
	for _, tc := range []struct {
		cmd  string
		out  string // an output the command makes, which must not be left
		sig  syscall.Signal
		code int
		says string
	}{
		{"info", "", syscall.SIGINT, 130, "stopped by SIGINT (Ctrl-C)"},
		{"frames", "", syscall.SIGTERM, 143, "stopped by SIGTERM"},
		{"verify", "", syscall.SIGINT, 130, "stopped by SIGINT (Ctrl-C)"},
		{"export", "out.gif", syscall.SIGINT, 130, "stopped by SIGINT (Ctrl-C)"},
		{"export", "out.avi", syscall.SIGTERM, 143, "stopped by SIGTERM"},
		{"convert", "out.omv", syscall.SIGINT, 130, "stopped by SIGINT (Ctrl-C)"},
	} {
		t.Run(tc.cmd+" "+tc.out, func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "camera.omv")
			require.NoError(t, syscall.Mkfifo(fifo, 0o600))
			args := []string{tc.cmd, fifo}
			if tc.out != "" {
				args = append(args, filepath.Join(dir, tc.out))
			}
			cmd := exec.Command(bin, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			// The open returns once the command has opened the FIFO: it
			// handles signals by then.
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			require.NoError(t, err)
			defer w.Close()
			_, err = w.Write(header)
			require.NoError(t, err)
			require.NoError(t, cmd.Process.Signal(tc.sig))
			select {
			case err = <-exited:
			case <-time.After(time.Minute): // a guard against a hang, not a timing
				cmd.Process.Kill()
				<-exited
				t.Fatalf("%s went on after %v; stderr: %s", tc.cmd, tc.sig, stderr.String())
			}
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tc.code, ee.ExitCode(), "stderr: %s", stderr.String())
			assert.Equal(t, "imgstream: "+tc.says, firstLine(stderr.String()))
			left, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, left, 1, "only the FIFO is left: %v", left)
		})
	}
}

func firstLine(s string) string {
	line, _, _ := bytes.Cut([]byte(s), []byte("\n"))
	return string(line)
}

// TestSecondSignal: the first signal cancels the context with the signal as
// its cause; the second one reaches the handler that ends the process.
func TestSecondSignal(t *testing.T) {
	again := make(chan os.Signal, 1)
	ctx, stop := notifyContext(context.Background(), func(sig os.Signal) { again <- sig })
	defer stop()
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	<-ctx.Done()
	var in interrupted
	require.ErrorAs(t, context.Cause(ctx), &in)
	assert.Equal(t, 130, in.code())
	assert.True(t, errors.Is(context.Cause(ctx), context.Canceled))
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	assert.Equal(t, syscall.SIGTERM, <-again)
	assert.Equal(t, 143, interrupted{syscall.SIGTERM}.code())
}

// TestInterruptedExitCode: a command whose context a signal cancelled
// exits with the signal's code, however it wraps context.Canceled.
func TestInterruptedExitCode(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(interrupted{syscall.SIGTERM})
	var stderr bytes.Buffer
	root := newRoot()
	root.SetArgs([]string{"info", "-"})
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	root.SetIn(r)
	assert.Equal(t, 143, run(ctx, root, &stderr))
	assert.Equal(t, "imgstream: stopped by SIGTERM\n", stderr.String())
}

// TestSignalStopsRecordOnStdin: record - stops at the first SIGINT while
// its pipe is open with no frame coming, and its clip keeps the frames it
// had. Before, the read of stdin held the first signal until a second one
// killed the process.
func TestSignalStopsRecordOnStdin(t *testing.T) {
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	dir := t.TempDir()
	cmd := exec.Command(bin, "record", "-", "clip.omv")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	w, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer w.Close()
	_, err = w.Write(data) // every frame; the pipe stays open
	require.NoError(t, err)
	want, err := imageio.Open(sample, nil)
	require.NoError(t, err)
	defer want.Close()
	require.Eventually(t, func() bool { // every frame is in the clip
		f, err := os.Open(filepath.Join(dir, "clip.omv"))
		if err != nil {
			return false
		}
		defer f.Close()
		x, _ := container.ReadIndex(f)
		return x != nil && len(x.Entries) == want.Count()
	}, time.Minute, 10*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	select {
	case err = <-exited:
	case <-time.After(time.Minute): // a guard against a hang, not a timing
		cmd.Process.Kill()
		<-exited
		t.Fatalf("record went on after SIGINT; stderr: %s", stderr.String())
	}
	require.NoError(t, err, "stderr: %s", stderr.String())
	got, err := imageio.Open(filepath.Join(dir, "clip.omv"), nil)
	require.NoError(t, err)
	defer got.Close()
	assert.Equal(t, want.Count(), got.Count(), "the clip is closed whole")
}

// doneWatch is a context that says when a command first waits on it.
type doneWatch struct {
	context.Context
	once  sync.Once
	asked chan struct{}
}

func (d *doneWatch) Done() <-chan struct{} {
	d.once.Do(func() { close(d.asked) })
	return d.Context.Done()
}

// TestSignalStopsOpenOfFIFOOutput: export and convert to a FIFO that no
// one reads wait for a reader beside the context: the first signal stops
// them (exit 130), and the FIFO is left as it was. Before, the open held
// the first signal until a reader came.
func TestSignalStopsOpenOfFIFOOutput(t *testing.T) {
	for _, tc := range [][]string{{"convert"}, {"export"}} {
		out := "o.omv"
		if tc[0] == "export" {
			out = "o.avi"
		}
		t.Run(out, func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, out)
			require.NoError(t, syscall.Mkfifo(fifo, 0o600))
			ctx, cancel := context.WithCancelCause(context.Background())
			watch := &doneWatch{Context: ctx, asked: make(chan struct{})}
			root := newRoot()
			root.SetArgs(append(tc, sample, fifo))
			var stderr syncBuffer
			code := make(chan int, 1)
			go func() { code <- run(watch, root, &stderr) }()
			select {
			case <-watch.asked:
			case c := <-code:
				t.Fatalf("exit %d before waiting: %s", c, stderr.String())
			case <-time.After(time.Minute): // a guard against a hang, not a timing
				t.Fatalf("%s blocked without looking at its context", tc[0])
			}
			cancel(interrupted{syscall.SIGINT})
			select {
			case c := <-code:
				assert.Equal(t, 130, c, stderr.String())
			case <-time.After(time.Minute): // a guard against a hang, not a timing
				t.Fatalf("%s went on after SIGINT", tc[0])
			}
			assert.Equal(t, []string{out}, leftovers(t, dir), "only the FIFO")
			fi, err := os.Lstat(fifo)
			require.NoError(t, err)
			assert.NotZero(t, fi.Mode()&os.ModeNamedPipe)
		})
	}
}

// TestExportFromFIFOKeepsEveryFrame: a FIFO named as the input is read
// once, as stdin is: into a temporary file first, for the rate that keeps
// every frame. Before, it was exported at 30 fps, and a 50 fps recording
// lost 36 of its 90 frames.
func TestExportFromFIFOKeepsEveryFrame(t *testing.T) {
	at := make([]time.Duration, 90)
	for i := range at {
		at[i] = time.Duration(i) * 20 * time.Millisecond
	}
	path, _ := writeRecording(t, at)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.omv")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	go func() {
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Write(data)
			w.Close()
		}
	}()
	_, errOut, code := cli(t, "export", fifo, filepath.Join(dir, "fifo.avi"))
	require.Equal(t, 0, code, errOut)
	assert.NotContains(t, errOut, "warning")
	_, errOut, code = cli(t, "export", path, filepath.Join(dir, "file.avi"))
	require.Equal(t, 0, code, errOut)
	fromFIFO, err := os.ReadFile(filepath.Join(dir, "fifo.avi"))
	require.NoError(t, err)
	fromFile, err := os.ReadFile(filepath.Join(dir, "file.avi"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(fromFile, fromFIFO), "the same AVI as from the file")
}

// TestServeFIFO: serve of a FIFO's path shows the stream written into it
// live, as serve - does (before, it said to give - and redirect it), and
// keeps its last frame when the writer leaves.
func TestServeFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "camera.mjpeg")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	addr, stderr := startServeIn(t, nil, fifo)
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	require.NoError(t, err)
	writeAndWatch(t, w, addr)
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "ended; showing its last frame") }, 10*time.Second, time.Millisecond)
}
