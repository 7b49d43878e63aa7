//go:build linux

package shm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/shm"
)

// The wake tests make a reader's wait slice an hour long, so that only the
// writer's futex wake can end its wait; they give the wake wakeWithin, far
// more than it takes on a loaded machine, and fail then instead of hanging.
const wakeWithin = 10 * time.Second

// awaitWaiting returns once a thread of process pid is blocked in a futex
// wait on addr, as /proc/PID/task/TID/syscall shows it, or an error after
// wakeWithin. A publish made before the reader waits would be seen without
// a wake, so the wake tests publish only after this.
func awaitWaiting(pid int, addr uintptr) error {
	want := fmt.Sprintf("%d %#x ", unix.SYS_FUTEX, addr)
	deadline := time.Now().Add(wakeWithin)
	for {
		files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", pid))
		if err != nil {
			return err
		}
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && strings.HasPrefix(string(b), want) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no thread of process %d waits on %#x after %v", pid, addr, wakeWithin)
		}
		time.Sleep(time.Millisecond) // polling /proc: nothing signals a thread going to sleep
	}
}

// TestPublishWakesWaitingReader: a reader blocked in Next returns the
// frame a publish in the same process makes at once, woken by the publish,
// not at the end of its hour-long wait slice.
func TestPublishWakesWaitingReader(t *testing.T) {
	defer shm.SetWaitSlice(time.Hour)()
	name := uniqueName(t)
	w, err := shm.Create(name, 16, 2)
	require.NoError(t, err)
	defer w.Close()
	r, err := shm.Open(name)
	require.NoError(t, err)
	defer r.Close()

	type result struct {
		f   shm.Frame
		err error
	}
	got := make(chan result, 1)
	go func() {
		f, err := r.Next(context.Background())
		got <- result{f, err}
	}()
	waitErr := awaitWaiting(os.Getpid(), r.WaitWord())
	require.NoError(t, w.Write(header(3), []byte{1, 2, 3}))
	if waitErr != nil {
		r.Rescue() // in case it waits after all, so that it does not outlive the test
		<-got
		t.Fatal(waitErr)
	}
	select {
	case res := <-got:
		require.NoError(t, res.err)
		assert.Equal(t, uint64(1), res.f.Number)
		assert.Equal(t, []byte{1, 2, 3}, res.f.Data)
	case <-time.After(wakeWithin):
		r.Rescue()
		<-got
		t.Fatalf("the reader still waited %v after the publish: the publish did not wake it", wakeWithin)
	}
}

// wakeReader opens the stream, prints the address of the word its Next
// waits on, waits for one frame with an hour-long wait slice and prints
// its number.
func wakeReader() int {
	defer shm.SetWaitSlice(time.Hour)()
	r, err := shm.Open(os.Getenv("IMGSTREAM_SHM_NAME"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer r.Close()
	fmt.Printf("%#x\n", r.WaitWord())
	f, err := r.Next(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(f.Number)
	return 0
}

// TestPublishWakesReaderInAnotherProcess: a reader process blocked in Next
// returns the frame this process publishes at once, woken by the publish
// across processes, not at the end of its hour-long wait slice.
func TestPublishWakesReaderInAnotherProcess(t *testing.T) {
	name := uniqueName(t)
	w, err := shm.Create(name, 16, 2)
	require.NoError(t, err)
	defer w.Close()
	reader := testkit.Child("wakereader", "IMGSTREAM_SHM_NAME="+name)
	_, out := testkit.Start(t, reader) // its cleanup kills the reader if it still waits
	require.True(t, out.Scan(), "the reader prints its wait word")
	addr, err := strconv.ParseUint(out.Text(), 0, 64)
	require.NoError(t, err)
	require.NoError(t, awaitWaiting(reader.Process.Pid, uintptr(addr)))

	require.NoError(t, w.Write(header(3), []byte{1, 2, 3}))
	line := make(chan string, 1)
	go func() {
		out.Scan()
		line <- out.Text()
	}()
	select {
	case l := <-line:
		assert.Equal(t, "1", l, "the reader returns the frame published")
	case <-time.After(wakeWithin):
		t.Fatalf("the reader process still waited %v after the publish: the publish did not wake it", wakeWithin)
	}
}
