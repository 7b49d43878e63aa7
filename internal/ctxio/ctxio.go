// Package ctxio reads streams that can block for ever, a FIFO, a terminal,
// a pipe, so that a context stops the reading: the one way the command
// line and the record package open a stream named by a path or "-".
package ctxio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrIsDir is the error of Open for a directory.
var ErrIsDir = errors.New("it is a directory")

// Open opens the file at path for reading that stops when ctx is done. A
// regular file is returned as it is: its reads do not block. A FIFO, a
// terminal or a character device can block an open or a read for ever,
// where no check of ctx between frames would be reached: the open of a
// FIFO waits beside ctx for a writer (and returns ctx's cause when ctx is
// done first), and the bytes of any of them come through a goroutine, so
// that a read returns ctx's cause as soon as ctx is done (the goroutine is
// left blocked, and ends with the stream or the process). A directory is
// an error matching ErrIsDir.
func Open(ctx context.Context, path string) (io.ReadCloser, error) {
	return OpenFor(ctx, ctx, path)
}

// OpenFor is Open with two contexts: a FIFO's open waits for its writer
// beside wait, and the reads of a FIFO or a device stop once life is done.
// A source that retries can so give up a wait without giving up a writer
// that came: its pipe, and what it wrote, stay.
func OpenFor(wait, life context.Context, path string) (io.ReadCloser, error) {
	// O_NONBLOCK (see openNonblock): a FIFO's open would wait for a writer
	// here. A regular file reads as ever with it.
	f, err := openNonblock(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case fi.Mode().IsRegular():
		return f, nil
	case fi.IsDir():
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrIsDir)
	}
	// A FIFO: f, opened without waiting, is its reader throughout. Until a
	// writer has come, a read of it would say EOF at once, so it waits,
	// beside ctx, for bytes or for a writer that came and went. (A second,
	// blocking open would wait for ever for a writer that wrote everything
	// and left in between.)
	if err := awaitWriter(wait, f); err != nil {
		f.Close()
		return nil, err
	}
	return ReadBeside(life, f), nil
}

// Stdin returns a reader of stdin that stops when ctx is done: stdin as
// it is when it is a regular file (its reads do not block), else through
// ReadBeside. Closing it does not close stdin.
func Stdin(ctx context.Context, stdin io.Reader) io.ReadCloser {
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			return io.NopCloser(f)
		}
	}
	return ReadBeside(ctx, io.NopCloser(stdin))
}

// ReadBeside returns a reader of r whose reads return ctx's cause once ctx
// is done, even while r's own Read is blocked. Closing it closes r.
func ReadBeside(ctx context.Context, r io.ReadCloser) io.ReadCloser {
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
