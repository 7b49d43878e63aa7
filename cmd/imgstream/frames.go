package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// selection picks frames by index (From, To: a half-open range, To < 0
// meaning the end) or by time since the first frame (ToT < 0: the end).
type selection struct {
	From, To   int
	FromT, ToT time.Duration
	byTime     bool
}

// parseRange parses --frames A:B (indexes, either side may be empty) and
// --time A:B (durations such as 2s or 1m30s, or seconds).
func parseRange(frames, times string) (selection, error) {
	sel := selection{To: -1}
	if frames != "" && times != "" {
		return sel, usageError{errors.New("give --frames or --time, not both")}
	}
	if frames != "" {
		a, b, ok := strings.Cut(frames, ":")
		from, err1 := atoiOr(a, 0)
		to, err2 := atoiOr(b, -1)
		if !ok || err1 != nil || err2 != nil || from < 0 || (to >= 0 && to < from) {
			return sel, usageError{fmt.Errorf("--frames %q: want FROM:TO, frame indexes from 0, either may be left out", frames)}
		}
		sel.From, sel.To = from, to
	}
	if times != "" {
		a, b, ok := strings.Cut(times, ":")
		from, err1 := durationOr(a, 0)
		to, err2 := durationOr(b, -1)
		if !ok || err1 != nil || err2 != nil || from < 0 || (to >= 0 && to < from) {
			return sel, usageError{fmt.Errorf("--time %q: want FROM:TO, times from the first frame such as 2s or 1m30s, either may be left out", times)}
		}
		sel.byTime, sel.FromT, sel.ToT = true, from, to
	}
	return sel, nil
}

func atoiOr(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

func durationOr(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(f * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

// wants reports whether frame i at time at (since the first frame) is
// selected, and whether any later frame can be.
func (s selection) wants(i int, at time.Duration) (want, more bool) {
	if s.byTime {
		before := s.ToT < 0 || at < s.ToT
		return at >= s.FromT && before, before
	}
	return i >= s.From && (s.To < 0 || i < s.To), s.To < 0 || i < s.To-1
}

// source is a recording read frame by frame.
type source struct {
	path    string
	zr      *container.Reader
	ctx     context.Context // ends the reading: each returns its cause
	closer  io.Closer
	size    int64 // bytes, for progress; 0 when unknown
	version container.Version
}

// openSourceIn opens the recording at path ("-" for stdin) for reading
// frame by frame. A FIFO's open and every read of a FIFO or a pipe stop
// with ctx's cause once ctx is done (see openInput); a directory or another
// kind of file is errNotRecording.
func openSourceIn(ctx context.Context, path string, stdin io.Reader) (*source, error) {
	s := &source{path: path, ctx: ctx}
	in, err := openInput(ctx, path, stdin)
	if err != nil {
		return nil, err
	}
	s.closer = in
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			s.size = fi.Size()
		}
	}
	// Read in large blocks: a frame's header, payload and padding would
	// be three system calls each.
	zr, err := container.NewReader(bufio.NewReaderSize(in, 16<<10))
	if err != nil {
		in.Close()
		return nil, readerError(path, err)
	}
	s.zr, s.version = zr, zr.Version()
	return s, nil
}

func (s *source) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// each calls fn with every selected frame, its index and its time since the
// first frame; m.Data is reused from call to call. Damage after good frames
// ends the loop with a warning on warn, not an error: the good frames are
// exported.
func (s *source) each(sel selection, warn io.Writer, fn func(i int, at time.Duration, m *imageio.Image) error) error {
	var m imageio.Image
	var at time.Duration
	for i := 0; ; i++ {
		if s.ctx.Err() != nil {
			return context.Cause(s.ctx)
		}
		h, data, err := s.zr.ReadFrame(m.Data)
		if err == io.EOF {
			return nil
		}
		m.Data = data
		if err != nil {
			if s.ctx.Err() != nil {
				return context.Cause(s.ctx) // a read that ctx cut is no damage
			}
			var fe *container.FrameError
			if errors.As(err, &fe) && warn != nil {
				fmt.Fprintf(warn, "imgstream: warning: %s is damaged at %v; using the %d frames before it\n", s.path, err, i)
				return nil
			}
			return fmt.Errorf("%s: %w", s.path, err)
		}
		if i > 0 {
			at += h.Elapsed
		}
		want, more := sel.wants(i, at)
		if want {
			m.Width, m.Height, m.Format = h.Width, h.Height, h.Format
			if err := fn(i, at, &m); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}
