//go:build linux

package shm_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/shm"
)

// uniqueName returns a stream name no other test run uses.
func uniqueName(t testing.TB) string {
	name := fmt.Sprintf("imgstream-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() { os.Remove(filepath.Join(shm.Dir, name)) })
	return name
}

// fill writes frame n's test pattern into p: the frame number, bytes that
// depend on it, and a CRC-32 of all that in the last 4 bytes.
func fill(p []byte, n uint64) {
	binary.LittleEndian.PutUint64(p, n)
	x := uint32(n)*2654435761 + 1
	for i := 8; i < len(p)-4; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p[i] = byte(x)
	}
	binary.LittleEndian.PutUint32(p[len(p)-4:], crc32.ChecksumIEEE(p[:len(p)-4]))
}

// intact reports whether p is a whole test frame n.
func intact(p []byte, n uint64) bool {
	return len(p) >= 12 && binary.LittleEndian.Uint64(p) == n &&
		binary.LittleEndian.Uint32(p[len(p)-4:]) == crc32.ChecksumIEEE(p[:len(p)-4])
}

// header describes a grayscale frame of size bytes: as one row when it
// fits container.MaxDimension, else as the fewest rows that do.
func header(size int) container.Header {
	h := 1
	for size%h != 0 || size/h > container.MaxDimension {
		h++
	}
	return container.Header{Width: size / h, Height: h, Format: container.Grayscale, Size: size}
}

func TestWriteRead(t *testing.T) {
	name := uniqueName(t)
	w, err := shm.Create(name, 1024, 0)
	require.NoError(t, err)
	defer w.Close()
	r, err := shm.Open(name)
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, 1024, r.FrameSize())

	_, err = r.Latest()
	require.ErrorIs(t, err, shm.ErrNoFrame)

	p := make([]byte, 100)
	for n := uint64(1); n <= 3; n++ {
		fill(p, n)
		require.NoError(t, w.Write(header(len(p)), p))
		f, err := r.Next(context.Background())
		require.NoError(t, err)
		assert.Equal(t, n, f.Number)
		assert.Zero(t, f.Skipped)
		assert.True(t, intact(f.Data, n))
		assert.Equal(t, header(100), f.Header)
		assert.WithinDuration(t, time.Now(), f.Time, 10*time.Second)
		assert.True(t, f.Valid())
	}
	// A slow reader jumps to the newest and is told what it skipped.
	for n := uint64(4); n <= 10; n++ {
		fill(p, n)
		require.NoError(t, w.Write(header(len(p)), p))
	}
	f, err := r.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, uint64(10), f.Number)
	assert.Equal(t, uint64(6), f.Skipped)
	assert.True(t, intact(f.Data, 10))

	// A view becomes invalid once the writer reuses its slot.
	for n := uint64(11); n <= 14; n++ {
		fill(p, n)
		require.NoError(t, w.Write(header(len(p)), p))
	}
	assert.False(t, f.Valid(), "frame 10's slot now holds frame 14")

	latest, err := r.Latest()
	require.NoError(t, err)
	assert.Equal(t, uint64(14), latest.Number)

	// In place: fill the slot, then publish.
	slot, err := w.Acquire()
	require.NoError(t, err)
	require.Len(t, slot, 1024)
	fill(slot[:500], 15)
	require.NoError(t, w.Publish(header(500)))
	f, err = r.NextInto(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(15), f.Number)
	assert.True(t, intact(f.Data, 15))
	assert.True(t, f.Valid(), "a copy is always valid")

	require.ErrorIs(t, w.Write(header(2000), make([]byte, 2000)), shm.ErrTooLarge)
	require.ErrorContains(t, w.Publish(header(10)), "without Acquire")

	// Close: the reader gets io.EOF once it has the last frame.
	fill(p, 16)
	require.NoError(t, w.Write(header(len(p)), p))
	require.NoError(t, w.Close())
	require.NoError(t, w.Close())
	f, err = r.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, uint64(16), f.Number)
	_, err = r.Next(context.Background())
	require.Equal(t, io.EOF, err)
	_, err = os.Stat(filepath.Join(shm.Dir, name))
	require.ErrorIs(t, err, os.ErrNotExist, "Close removes the stream")
	require.ErrorIs(t, w.Write(header(1), []byte{1}), shm.ErrClosed)
}

func TestCreateErrors(t *testing.T) {
	for _, name := range []string{"", "a/b", ".", "..", "nul\x00"} {
		_, err := shm.Create(name, 10, 2)
		assert.ErrorIs(t, err, shm.ErrInvalidName, "name %q", name)
		_, err = shm.Open(name)
		assert.ErrorIs(t, err, shm.ErrInvalidName, "name %q", name)
	}
	_, err := shm.Create(uniqueName(t), 0, 2)
	assert.ErrorIs(t, err, shm.ErrInvalidSize)
	_, err = shm.Create(uniqueName(t), 10, 1)
	assert.ErrorIs(t, err, shm.ErrInvalidSize)
	_, err = shm.Create(uniqueName(t), 10, 1<<16+1)
	assert.ErrorIs(t, err, shm.ErrInvalidSize)

	unleased, err := shm.Create(uniqueName(t), 10, 2)
	require.NoError(t, err)
	defer unleased.Close()
	assert.ErrorIs(t, unleased.Publish(header(1)), shm.ErrNotAcquired)

	// ErrUnsupported is one line, and matches errors.ErrUnsupported.
	assert.ErrorIs(t, shm.ErrUnsupported, errors.ErrUnsupported)
	assert.NotContains(t, shm.ErrUnsupported.Error(), "\n")

	name := uniqueName(t)
	w, err := shm.Create(name, 10, 2)
	require.NoError(t, err)
	_, err = shm.Create(name, 10, 2)
	require.ErrorIs(t, err, shm.ErrExists, "a live writer holds the name")
	require.NoError(t, w.Close())
	w, err = shm.Create(name, 10, 2)
	require.NoError(t, err, "free again after Close")
	w.Close()
}

// staleStream leaves at name what a writer that died leaves: a stream file
// that nobody holds a lock on.
func staleStream(t *testing.T, name string) {
	t.Helper()
	live, err := shm.Create(uniqueName(t), 64, 2)
	require.NoError(t, err)
	data, err := os.ReadFile(live.Path())
	require.NoError(t, err)
	require.NoError(t, live.Close())
	require.NoError(t, os.WriteFile(filepath.Join(shm.Dir, name), data, 0o600))
}

func TestStaleReclaimed(t *testing.T) {
	name := uniqueName(t)
	staleStream(t, name)
	w, err := shm.Create(name, 64, 2)
	require.NoError(t, err)
	defer w.Close()
	r, err := shm.Open(name)
	require.NoError(t, err)
	r.Close()

	// A file of the name that is not a stream is left alone.
	foreign := uniqueName(t)
	require.NoError(t, os.WriteFile(filepath.Join(shm.Dir, foreign), []byte("someone else's"), 0o600))
	_, err = shm.Create(foreign, 64, 2)
	require.ErrorIs(t, err, shm.ErrFormat)
	data, err := os.ReadFile(filepath.Join(shm.Dir, foreign))
	require.NoError(t, err)
	assert.Equal(t, "someone else's", string(data))
}

func TestOpenRejectsForeignAndTruncated(t *testing.T) {
	name := uniqueName(t)
	path := filepath.Join(shm.Dir, name)
	require.NoError(t, os.WriteFile(path, make([]byte, 8192), 0o600))
	_, err := shm.Open(name)
	require.ErrorIs(t, err, shm.ErrFormat, "zeros")
	require.NoError(t, os.WriteFile(path, []byte("short"), 0o600))
	_, err = shm.Open(name)
	require.ErrorIs(t, err, shm.ErrFormat, "shorter than a header")

	w, err := shm.Create(uniqueName(t), 1000, 4)
	require.NoError(t, err)
	defer w.Close()
	data, err := os.ReadFile(w.Path())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data[:len(data)-1], 0o600))
	_, err = shm.Open(name)
	require.ErrorIs(t, err, shm.ErrFormat, "cut short")
	_, err = shm.Open(uniqueName(t))
	require.ErrorIs(t, err, os.ErrNotExist)

	// A geometry whose size overflows 64 bits: 2^31 slots every 2^33 bytes
	// would need 2^64 bytes, which wraps to nothing.
	le := binary.LittleEndian
	huge := append([]byte(nil), data[:8192]...)
	le.PutUint32(huge[16:], 1<<31)
	le.PutUint64(huge[24:], 1<<33)
	le.PutUint64(huge[32:], 1<<33-uint64(le.Uint64(data[24:])-le.Uint64(data[32:])))
	require.NoError(t, os.WriteFile(path, huge, 0o600))
	_, err = shm.Open(name)
	require.ErrorIs(t, err, shm.ErrFormat, "a size that overflows")
}

func TestNextCancel(t *testing.T) {
	name := uniqueName(t)
	w, err := shm.Create(name, 10, 2)
	require.NoError(t, err)
	defer w.Close()
	r, err := shm.Open(name)
	require.NoError(t, err)
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = r.Next(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// A frame published while a reader waits wakes it.
	done := make(chan error)
	go func() {
		time.Sleep(20 * time.Millisecond)
		done <- w.Write(header(3), []byte{1, 2, 3})
	}()
	f, err := r.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3}, f.Data)
	require.NoError(t, <-done)
}

// TestFIFOOfTheName: a FIFO named like a stream, which any local user can
// make in Dir, is refused as ErrFormat by Open, Create and Remove without
// blocking; OpenWait keeps its context; and a blocked Create would have held
// the directory lock, so another name's Create must still go through.
func TestFIFOOfTheName(t *testing.T) {
	name := uniqueName(t)
	p := filepath.Join(shm.Dir, name)
	require.NoError(t, unix.Mkfifo(p, 0o600))
	t.Cleanup(func() {
		// Release an open that blocked on the FIFO (the fault this tests),
		// so that the test binary ends.
		if fd, err := unix.Open(p, unix.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			unix.Close(fd)
		}
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := shm.Open(name)
		assert.ErrorIs(t, err, shm.ErrFormat, "Open")
		_, err = shm.Create(name, 64, 2)
		assert.ErrorIs(t, err, shm.ErrFormat, "Create")
		assert.ErrorIs(t, shm.Remove(name), shm.ErrFormat, "Remove")
		other, err := shm.Create(uniqueName(t), 64, 2)
		if assert.NoError(t, err, "Create of another name") {
			other.Close()
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err = shm.OpenWait(ctx, name)
		assert.ErrorIs(t, err, context.Canceled, "OpenWait")
		list, err := shm.List()
		assert.NoError(t, err)
		for _, in := range list {
			assert.NotEqual(t, name, in.Name, "List")
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a guard against a hang, not a timing
		t.Fatal("blocked on a FIFO of the stream's name")
	}
	fi, err := os.Lstat(p)
	require.NoError(t, err)
	assert.Equal(t, os.ModeNamedPipe, fi.Mode().Type(), "the FIFO is left alone")
}

// TestDirLockedByAnother: a process that holds the lock on Dir (any local
// user can flock a directory it can read) makes Create fail with ErrLocked
// after MaxLockWait, instead of blocking it for as long as it holds the
// lock; once the lock is let go, Create works. Before, Create waited for
// ever. The lock is held for a tenth of a second, so other tests that
// create streams meanwhile only wait.
func TestDirLockedByAnother(t *testing.T) {
	defer shm.SetLockWait(20 * time.Millisecond)()
	fd, err := unix.Open(shm.Dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	require.NoError(t, err)
	require.NoError(t, unix.Flock(fd, unix.LOCK_EX)) // another open file: another holder
	done := make(chan error, 1)
	go func() {
		w, err := shm.Create(uniqueName(t), 64, 2)
		if err == nil {
			w.Close()
		}
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(time.Minute): // a guard against a hang, not a timing
		unix.Close(fd)
		t.Fatal("Create waited for the lock past MaxLockWait")
	}
	unix.Close(fd)
	require.ErrorIs(t, err, shm.ErrLocked)

	w, err := shm.Create(uniqueName(t), 64, 2)
	require.NoError(t, err, "the lock let go, Create works")
	require.NoError(t, w.Close())
}
