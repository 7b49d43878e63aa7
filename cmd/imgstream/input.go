package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/ctxio"
)

// openInput opens the recording at path ("-" for stdin) for reading that
// stops when ctx is done (see ctxio.Open: a FIFO, a terminal or a pipe
// can block an open or a read for ever). A directory is errNotRecording.
func openInput(ctx context.Context, path string, stdin io.Reader) (io.ReadCloser, error) {
	if path == "-" {
		return ctxio.Stdin(ctx, stdin), nil
	}
	r, err := ctxio.Open(ctx, path)
	if errors.Is(err, ctxio.ErrIsDir) {
		return nil, fmt.Errorf("%s: %w: it is a directory", path, errNotRecording)
	}
	return r, err
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
