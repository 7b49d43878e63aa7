//go:build linux

package shm_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/shm"
)

// Child processes of these tests run this test binary again in a role:
// see testkit.Child.
func TestMain(m *testing.M) {
	roles := map[string]func() int{"latencyreader": func() int { return latencyReader(os.Getenv("IMGSTREAM_SHM_NAME")) }}
	for _, role := range []string{"writer", "killwriter", "copyreader", "viewreader"} {
		roles[role] = func() int { return child(role) }
	}
	roles["truncwriter"] = truncWriter
	roles["racewriter"] = raceWriter
	roles["runwriter"] = runWriter
	roles["wakereader"] = wakeReader
	for role, f := range benchRoles {
		roles[role] = f
	}
	testkit.Main(m, roles)
}

// truncWriter writes frames until a write fails, as the stream's file is
// shrunk under it, and prints the error: a writer that crashed on the
// fault prints nothing and exits with status 2.
func truncWriter() int {
	w, err := shm.Create(os.Getenv("IMGSTREAM_SHM_NAME"), 4096, 4)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	p := make([]byte, 4096)
	for n := uint64(1); ; n++ {
		fillFast(p, n)
		if err := w.Write(header(len(p)), p); err != nil {
			fmt.Println("write:", errors.Is(err, shm.ErrTruncated), err)
			// The in-place path faults the same way, caught the same way.
			_, err := w.Acquire()
			fmt.Println("acquire:", errors.Is(err, shm.ErrTruncated) || err == nil)
			err = w.Close()
			fmt.Println("close:", errors.Is(err, shm.ErrTruncated))
			return 0
		}
		time.Sleep(time.Millisecond)
	}
}

// raceWriter waits for "go" on stdin, creates the stream, prints whether
// it won, and holds it until stdin closes.
func raceWriter() int {
	in := bufio.NewReader(os.Stdin)
	in.ReadString('\n')
	w, err := shm.Create(os.Getenv("IMGSTREAM_SHM_NAME"), 64, 2)
	switch {
	case err == nil:
		fmt.Println("won")
	case errors.Is(err, shm.ErrExists):
		fmt.Println("lost")
	default:
		fmt.Println("error:", err)
	}
	io.Copy(io.Discard, in)
	if w != nil {
		w.Close()
	}
	return 0
}

// runWriter publishes frames run*1000+1, run*1000+2, ... every 2 ms until
// its stdin closes; then it closes the stream, or dies without closing
// when IMGSTREAM_SHM_DIE is set.
func runWriter() int {
	run, _ := strconv.ParseUint(os.Getenv("IMGSTREAM_SHM_RUN"), 10, 64)
	w, err := shm.Create(os.Getenv("IMGSTREAM_SHM_NAME"), 256, 4)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	p := make([]byte, 256)
	for n := uint64(1); ; n++ {
		select {
		case <-done:
			if os.Getenv("IMGSTREAM_SHM_DIE") != "" {
				os.Exit(0) // no Close: the lock goes with the process
			}
			w.Close()
			return 0
		case <-time.After(2 * time.Millisecond):
		}
		fillFast(p, run*1000+n)
		if err := w.Write(header(len(p)), p); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
}

// fillFast writes frame n's pattern cheaply: the number at both ends, the
// byte n in between, and a CRC-32 of the rest in the last 4 bytes.
func fillFast(p []byte, n uint64) {
	binary.LittleEndian.PutUint64(p, n)
	b := byte(n)
	body := p[8 : len(p)-12]
	for i := range body {
		body[i] = b
	}
	binary.LittleEndian.PutUint64(p[len(p)-12:], n)
	binary.LittleEndian.PutUint32(p[len(p)-4:], crc32.ChecksumIEEE(p[:len(p)-4]))
}

type readerResult struct {
	Frames       uint64 // frames accepted
	Skipped      uint64
	TornAccepted uint64 // frames accepted that were not whole: must stay 0
	TornSeen     uint64 // views that Valid said were overwritten (not accepted)
	Last         uint64 // number of the last frame accepted
	Err          string
}

func child(role string) int {
	name := os.Getenv("IMGSTREAM_SHM_NAME")
	size, _ := strconv.Atoi(os.Getenv("IMGSTREAM_SHM_SIZE"))
	frames, _ := strconv.ParseUint(os.Getenv("IMGSTREAM_SHM_FRAMES"), 10, 64)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	switch role {
	case "writer", "killwriter":
		w, err := shm.Create(name, size, 4)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(out, "ready")
		out.Flush()
		if role == "writer" {
			// Wait for the readers, then run free.
			bufio.NewReader(os.Stdin).ReadString('\n')
		}
		for n := uint64(1); n <= frames; n++ {
			slot, _ := w.Acquire()
			fillFast(slot[:size], n)
			if err := w.Publish(header(size)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		if role == "killwriter" {
			// Die in the middle of writing the next frame.
			slot, _ := w.Acquire()
			for i := range slot[:size/2] {
				slot[i] = 0xEE
			}
			fmt.Fprintln(out, "acquired")
			out.Flush()
			time.Sleep(time.Hour)
		}
		if err := w.Close(); err != nil {
			return 1
		}
		return 0
	case "copyreader", "viewreader":
		var res readerResult
		defer func() { json.NewEncoder(out).Encode(res) }()
		r, err := shm.Open(name)
		if err != nil {
			res.Err = err.Error()
			return 1
		}
		defer r.Close()
		var buf []byte
		for {
			var f shm.Frame
			if role == "copyreader" {
				f, err = r.NextInto(context.Background(), buf)
				buf = f.Data
			} else {
				f, err = r.Next(context.Background())
			}
			if err == io.EOF {
				return 0
			}
			if errors.Is(err, shm.ErrTorn) {
				continue // lapped again and again: go on, as the doc says
			}
			if err != nil {
				res.Err = err.Error()
				return 1
			}
			whole := intactFast(f.Data, f.Number)
			res.Skipped += f.Skipped
			if role == "viewreader" && !f.Valid() {
				res.TornSeen++ // overwritten while we looked: not accepted
				continue
			}
			if !whole {
				res.TornAccepted++
			}
			res.Frames++
			res.Last = f.Number
		}
	}
	return 2
}

func intactFast(p []byte, n uint64) bool {
	return len(p) >= 24 && binary.LittleEndian.Uint64(p) == n && binary.LittleEndian.Uint64(p[len(p)-12:]) == n &&
		binary.LittleEndian.Uint32(p[len(p)-4:]) == crc32.ChecksumIEEE(p[:len(p)-4])
}

func childCmd(role, name string, size int, frames uint64) *exec.Cmd {
	return testkit.Child(role, "IMGSTREAM_SHM_NAME="+name,
		"IMGSTREAM_SHM_SIZE="+strconv.Itoa(size), "IMGSTREAM_SHM_FRAMES="+strconv.FormatUint(frames, 10))
}

// TestStress runs a writer process that publishes 1 000 000 frames as fast
// as it can and three reader processes that check every frame they accept:
// none may be torn.
func TestStress(t *testing.T) {
	frames := uint64(1_000_000)
	if testing.Short() {
		frames = 50_000
	}
	const size = 4096
	name := uniqueName(t)
	writer := childCmd("writer", name, size, frames)
	stdin, err := writer.StdinPipe()
	require.NoError(t, err)
	stdout, err := writer.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, writer.Start())
	defer writer.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ready\n", line)

	roles := []string{"copyreader", "viewreader", "copyreader"}
	readers := make([]*exec.Cmd, len(roles))
	outs := make([]*bufio.Reader, len(roles))
	for i, role := range roles {
		readers[i] = childCmd(role, name, size, frames)
		o, err := readers[i].StdoutPipe()
		require.NoError(t, err)
		outs[i] = bufio.NewReader(o)
		require.NoError(t, readers[i].Start())
		defer readers[i].Process.Kill()
	}
	time.Sleep(100 * time.Millisecond) // let them attach and wait
	start := time.Now()
	fmt.Fprintln(stdin, "go")
	require.NoError(t, writer.Wait())
	elapsed := time.Since(start)
	for i, cmd := range readers {
		var res readerResult
		require.NoError(t, json.NewDecoder(outs[i]).Decode(&res), "reader %d", i)
		require.NoError(t, cmd.Wait(), "reader %d: %s", i, res.Err)
		assert.Zero(t, res.TornAccepted, "reader %d (%s) accepted torn frames: %+v", i, roles[i], res)
		assert.Equal(t, frames, res.Last, "reader %d ends with the last frame", i)
		assert.Positive(t, res.Frames)
		assert.Equal(t, frames, res.Frames+res.Skipped+res.TornSeen, "reader %d: every frame is read, skipped or refused", i)
		t.Logf("%s: %d frames read, %d skipped, %d overwritten views refused", roles[i], res.Frames, res.Skipped, res.TornSeen)
	}
	t.Logf("%d frames of %d bytes in %v: %.0f frames/s", frames, size, elapsed, float64(frames)/elapsed.Seconds())
}

// TestWriterKilled kills the writer with SIGKILL while it writes a frame:
// a waiting reader reports the dead writer promptly, and the last published
// frame stays whole and readable.
func TestWriterKilled(t *testing.T) {
	const size, published = 4096, 10
	name := uniqueName(t)
	writer := childCmd("killwriter", name, size, published)
	stdout, err := writer.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, writer.Start())
	defer writer.Process.Kill()
	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan())
	require.Equal(t, "ready", lines.Text())
	require.True(t, lines.Scan())
	require.Equal(t, "acquired", lines.Text())

	r, err := shm.Open(name)
	require.NoError(t, err)
	defer r.Close()
	f, err := r.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, uint64(published), f.Number)

	require.NoError(t, writer.Process.Kill())
	writer.Wait()
	_, err = r.Next(context.Background())
	require.ErrorIs(t, err, shm.ErrWriterGone)
	// How soon: BenchmarkWriterGone.

	last, err := r.Latest()
	require.NoError(t, err)
	assert.Equal(t, uint64(published), last.Number)
	assert.True(t, intactFast(last.Data, published), "the last published frame is whole")
	assert.True(t, last.Valid())

	// The stream is stale now: a new writer takes the name over.
	w, err := shm.Create(name, size, 4)
	require.NoError(t, err, "a stale stream is reclaimed")
	w.Close()
}
