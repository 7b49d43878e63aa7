package examples_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// build compiles an example program and returns its path.
func build(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, "./"+name).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

var crcLine = regexp.MustCompile(`frame (\d+) .*crc ([0-9a-f]{8})`)

// crcs collects "frame N ... crc X" lines until n frames are seen.
func crcs(t *testing.T, sc *bufio.Scanner, n int) map[string]string {
	t.Helper()
	got := map[string]string{}
	for len(got) < n && sc.Scan() {
		if m := crcLine.FindStringSubmatch(sc.Text()); m != nil {
			got[m[1]] = m[2]
		}
	}
	require.Len(t, got, n, "frames seen: %v", got)
	return got
}

const pipeFrames = 20

// checkStream starts the writer (which lingers after its last frame) and
// the reader that reader makes, and checks that every frame arrives,
// unchanged, while the writer is still running. A writer that listens
// prints the address it got, and reader is given it; otherwise "".
func checkStream(t *testing.T, writer *exec.Cmd, reader func(addr string) *exec.Cmd, afterStart func()) *exec.Cmd {
	t.Helper()
	werr, err := writer.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, writer.Start())
	defer writer.Process.Kill()
	afterStart()
	wsc := bufio.NewScanner(werr)
	addr := ""
	if strings.Contains(strings.Join(writer.Args, " "), "-listen") {
		require.True(t, wsc.Scan(), "the writer did not start listening")
		var ok bool
		_, addr, ok = strings.Cut(wsc.Text(), "listening on ")
		require.True(t, ok, "the writer printed %q", wsc.Text())
	}
	r := reader(addr)
	rout, err := r.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, r.Start())
	defer r.Process.Kill()

	received := crcs(t, bufio.NewScanner(rout), pipeFrames)
	// All frames are in while the writer lingers.
	require.NoError(t, writer.Process.Signal(syscall.Signal(0)), "the writer is still running")
	sent := crcs(t, wsc, pipeFrames)
	assert.Equal(t, sent, received, "every frame unchanged, in order")
	writer.Process.Kill()
	writer.Wait()
	io.Copy(io.Discard, rout)
	return r
}

func TestPipeBetweenProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	w, r := build(t, "pipewriter"), build(t, "pipereader")
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	writer := exec.Command(w, "-v", "-frames", fmt.Sprint(pipeFrames), "-fps", "100", "-linger", "30s")
	writer.Stdout = pw
	reader := checkStream(t, writer, func(string) *exec.Cmd {
		c := exec.Command(r)
		c.Stdin = pr
		return c
	}, func() { pw.Close() }) // the writer holds the write end now
	pr.Close()
	require.NoError(t, reader.Wait(), "the reader ends cleanly at a frame boundary when the writer goes")
}

// TestSocketsBetweenProcesses: the writer listens on port 0 of 127.0.0.1
// (or a Unix socket) and prints the address it got; the reader connects to
// that address.
func TestSocketsBetweenProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	w, r := build(t, "pipewriter"), build(t, "pipereader")
	for _, listen := range []string{"tcp:127.0.0.1:0", "unix:" + filepath.Join(t.TempDir(), "frames.sock")} {
		network, _, _ := strings.Cut(listen, ":")
		t.Run(network, func(t *testing.T) {
			writer := exec.Command(w, "-v", "-frames", fmt.Sprint(pipeFrames), "-fps", "100", "-linger", "30s", "-listen", listen)
			reader := checkStream(t, writer, func(addr string) *exec.Cmd {
				return exec.Command(r, "-connect", network+":"+addr)
			}, func() {})
			reader.Wait()
		})
	}
}
