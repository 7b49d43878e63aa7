package container_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
)

// The child process of TestPipeBetweenProcesses runs this test binary again
// as the child "pipewriter": it writes frames to its stdout and, after each one,
// waits for the parent to acknowledge it on its stdin before it writes the
// next. A reader that waited for the writer to finish would deadlock.
const pipeFrames = 20

func TestMain(m *testing.M) {
	testkit.Main(m, map[string]func() int{"pipewriter": pipeChild})
}

func pipeFrame(i int) frame {
	rng := rand.New(rand.NewPCG(uint64(i), 99))
	return randomFrame(rng, container.V2_0, allFormats[i%len(allFormats)])
}

func pipeChild() int {
	zw := container.NewWriter(os.Stdout)
	ack := make([]byte, 1)
	for i := range pipeFrames {
		f := pipeFrame(i)
		if err := zw.WriteFrame(&f.h, f.p); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		if _, err := io.ReadFull(os.Stdin, ack); err != nil {
			fmt.Fprintln(os.Stderr, "child: ack:", err)
			return 1
		}
	}
	if err := zw.Close(); err != nil {
		return 1
	}
	return 0
}

func TestPipeBetweenProcesses(t *testing.T) {
	cmd := testkit.Child("pipewriter")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		zr, err := container.NewReader(stdout)
		if err != nil {
			done <- result{0, err}
			return
		}
		var buf []byte
		n := 0
		for {
			var h *container.Header
			h, buf, err = zr.ReadFrame(buf)
			if err == io.EOF {
				done <- result{n, nil}
				return
			}
			if err != nil {
				done <- result{n, err}
				return
			}
			want := pipeFrame(n)
			if *h != want.h || !bytes.Equal(buf, want.p) {
				done <- result{n, fmt.Errorf("frame %d differs", n)}
				return
			}
			n++
			// The writer is still running: it waits for this.
			if _, err := stdin.Write([]byte{1}); err != nil {
				done <- result{n, err}
				return
			}
		}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("reader stalled: frames are not delivered before the writer closes; child stderr: %s", stderr.String())
	}
	werr := cmd.Wait() // stderr is complete only after Wait
	require.NoError(t, r.err, "child stderr: %s", stderr.String())
	require.Equal(t, pipeFrames, r.n)
	require.NoError(t, werr, "child stderr: %s", stderr.String())
}
