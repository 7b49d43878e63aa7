package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// openInput opens the recording at path ("-" for stdin) for reading that
// stops when ctx is done. A FIFO, a terminal or a pipe can block an open or
// a read for ever, where no check of ctx between frames would be reached:
// their open waits beside ctx, and their bytes come through a goroutine, so
// that a read returns ctx's cause as soon as ctx is done (the goroutine
// is left blocked, and ends with the process). A directory is
// errNotRecording.
func openInput(ctx context.Context, path string, stdin io.Reader) (io.ReadCloser, error) {
	if path == "-" {
		if f, ok := stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				return io.NopCloser(f), nil // stdin < file: reads do not block
			}
		}
		return readBeside(ctx, io.NopCloser(stdin)), nil
	}
	// O_NONBLOCK: a FIFO's open would wait for a writer here. A regular
	// file reads as ever with it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.Mode().IsRegular() {
		return f, nil
	}
	if fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: %w: it is a directory", path, errNotRecording)
	}
	// A FIFO: f, opened without waiting, is its reader throughout. Until a
	// writer has come, a read of it would say EOF at once, so it waits,
	// beside ctx, for bytes or for a writer that came and went. (A second,
	// blocking open would wait for ever for a writer that wrote everything
	// and left in between.)
	if err := awaitWriter(ctx, f); err != nil {
		f.Close()
		return nil, err
	}
	return readBeside(ctx, f), nil
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

// openOutput opens the existing file at path, not a regular one (a FIFO,
// a device), for writing in place. A FIFO's open waits for a reader: it
// waits beside ctx, as openInput's does, and returns ctx's cause when ctx
// is done first (the waiting open is left, and what it opens is closed).
func openOutput(ctx context.Context, path string) (*os.File, error) {
	// O_NONBLOCK: opens at once when a FIFO has a reader (ENXIO when it
	// has none); a device opens as ever.
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if !errors.Is(err, syscall.ENXIO) {
		return f, err // (Go waits in its poller for a FIFO's writes)
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		g, err := os.OpenFile(path, os.O_WRONLY, 0)
		ch <- opened{g, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, context.Cause(ctx)
	}
}

// readBeside returns a reader of r whose reads return ctx's cause once ctx
// is done, even while r's own Read is blocked. Closing it closes r.
func readBeside(ctx context.Context, r io.ReadCloser) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, r)
		pw.CloseWithError(err) // nil: io.EOF to the reader
	}()
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(context.Cause(ctx)) })
	return &besideReader{ctx: ctx, pr: pr, r: r, stop: stop}
}

type besideReader struct {
	ctx  context.Context
	pr   *io.PipeReader
	r    io.Closer
	stop func() bool
}

func (b *besideReader) Read(p []byte) (int, error) {
	n, err := b.pr.Read(p)
	if err != nil && b.ctx.Err() != nil {
		err = context.Cause(b.ctx)
	}
	return n, err
}

func (b *besideReader) Close() error {
	b.stop()
	b.pr.Close()
	return b.r.Close()
}

// readerError says why container.NewReader refused path: errNotRecording
// for another kind of file or an unknown version (exit code 3), errDamaged
// for a recording cut off inside its first 16 bytes (exit code 1), and an
// I/O error as it is.
func readerError(path string, err error) error {
	switch {
	case errors.Is(err, container.ErrBadMagic), errors.Is(err, container.ErrUnsupportedVersion):
		return fmt.Errorf("%s: %w: %w", path, errNotRecording, err)
	case errors.Is(err, container.ErrTruncatedHeader):
		return fmt.Errorf("%s: %w: %w", path, errDamaged, err)
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// openError says in the command line's words why imageio could not open
// the recording at path: a FIFO is no file to seek in but a stream, read
// as "-"; a directory, a device or another kind of file is
// errNotRecording (exit code 3).
func openError(path string, err error) error {
	switch {
	case errors.Is(err, imageio.ErrNotRegular):
		if fi, serr := os.Stat(path); serr == nil && fi.Mode()&fs.ModeNamedPipe != 0 {
			return fmt.Errorf("%s: %w: it is a FIFO, a stream to read as it comes: give - and redirect it (- < %s)", path, errNotRecording, path)
		}
		return fmt.Errorf("%s: %w: %w", path, errNotRecording, err)
	case errors.Is(err, container.ErrBadMagic), errors.Is(err, container.ErrUnsupportedVersion):
		return fmt.Errorf("%s: %w: %w", path, errNotRecording, err)
	}
	return err
}
