//go:build unix

package ctxio

import (
	"context"
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

func openNonblock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// awaitWriter waits until the FIFO open as f (without blocking) has bytes
// to read or had a writer that has gone (poll's POLLIN or POLLHUP), or
// ctx is done, looking at ctx every tenth of a second.
func awaitWriter(ctx context.Context, f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	for {
		var n int
		var perr error
		if err := rc.Control(func(fd uintptr) {
			n, perr = unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 100)
		}); err != nil {
			return err
		}
		switch {
		case ctx.Err() != nil:
			return context.Cause(ctx)
		case perr != nil && !errors.Is(perr, unix.EINTR):
			return perr
		case n > 0:
			return nil
		}
	}
}
