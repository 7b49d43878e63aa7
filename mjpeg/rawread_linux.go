package mjpeg

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawReadConn is a TCP connection whose reads enter the kernel without the
// Go runtime's syscall bookkeeping. A camera's stream is read a frame at a
// time, 30 times a second, each after the process slept: every ordinary
// read then wakes the runtime's monitor thread (sysmon), which naps 20 µs
// at a time until the process sleeps again, and on a virtual machine those
// wakes cost more than the read. The socket is non-blocking, as every
// socket of package net, so the read returns at once either way: with
// bytes, at the end, or with EAGAIN, on which RawConn.Read waits in the
// network poller as an ordinary read does, deadlines included.
type rawReadConn struct {
	net.Conn
	rc syscall.RawConn
}

// rawReads returns c with such reads if it is a TCP connection, else c.
func rawReads(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &rawReadConn{Conn: c, rc: rc}
}

func (c *rawReadConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait in the poller, then call again
			}
			n, errno = int(r), e
			return true
		}
	})
	switch {
	case err != nil: // closed, or past the deadline
		return 0, c.opError(err)
	case errno != 0:
		return 0, c.opError(os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// opError wraps err as package net's own reads do.
func (c *rawReadConn) opError(err error) error {
	return &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
