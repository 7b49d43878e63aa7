package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
)

// parseRange turns --frames A:B (indexes, either side may be empty) and
// --time A:B (durations such as 2s or 1m30s, or seconds) into the range
// they pick.
func parseRange(frames, times string) (export.Range, error) {
	switch {
	case frames != "" && times != "":
		return export.Range{}, usageError{errors.New("give --frames or --time, not both")}
	case frames != "":
		r, err := export.ParseFrames(frames)
		if err != nil {
			return r, usageError{fmt.Errorf("--frames %q: want FROM:TO, frame indexes from 0, either may be left out", frames)}
		}
		return r, nil
	case times != "":
		r, err := export.ParseTimes(times)
		if err != nil {
			return r, usageError{fmt.Errorf("--time %q: want FROM:TO, times from the first frame such as 2s or 1m30s, either may be left out", times)}
		}
		return r, nil
	}
	return export.Range{}, nil
}

// parseScale parses --scale: a factor (0.5) or WIDTHxHEIGHT (320x240, or
// 320x0 to keep the aspect ratio). "" is no scaling.
func parseScale(s string) (export.Scale, error) {
	sc, err := export.ParseScale(s)
	if err != nil {
		return sc, usageError{fmt.Errorf("--scale %q: want a factor such as 0.5, or WIDTHxHEIGHT such as 320x240 (0 keeps the aspect ratio)", s)}
	}
	return sc, nil
}

// input is a recording open for an export or a convert.
type input struct {
	rec    *export.Recording
	path   string
	closer io.Closer
}

func (in *input) Close() error { return in.closer.Close() }

// openRecording opens the recording at path ("-" for stdin): a regular
// file by its index (so the frames' times are known before a frame is
// read), anything else as a stream. A FIFO's open and every read of a FIFO
// or a pipe stop with ctx's cause once ctx is done (see openInput); a
// directory or another kind of file is errNotRecording.
func openRecording(ctx context.Context, path string, stdin io.Reader) (*input, error) {
	// Only a regular file is opened here (a FIFO's bytes are read through
	// its first open, by openInput).
	if fi, err := os.Stat(path); path != "-" && err == nil && fi.Mode().IsRegular() {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		rec, err := export.Open(f)
		if err != nil {
			f.Close()
			return nil, readerError(path, err)
		}
		return &input{rec: rec, path: path, closer: f}, nil
	}
	r, err := openInput(ctx, path, stdin)
	if err != nil {
		return nil, err
	}
	// Read in large blocks: a frame's header, payload and padding would
	// be three system calls each.
	zr, err := container.NewReader(bufio.NewReaderSize(r, 16<<10))
	if err != nil {
		r.Close()
		return nil, readerError(path, err)
	}
	return &input{rec: export.FromReader(zr), path: path, closer: r}, nil
}

// damaged warns on warn when the recording is damaged within the frames
// rng could pick (or, for a stream, when its reading met damage): the
// frames before the damage were used.
func (in *input) damaged(rng export.Range, warn io.Writer) {
	d := in.rec.Damage()
	if d == nil {
		return
	}
	var fe *container.FrameError
	i := 0
	if errors.As(d, &fe) {
		i = fe.Index
	}
	if n := in.rec.Len(); n > 0 {
		if at := in.rec.Times(export.Frames(n-1, n)); len(at) == 1 {
			if _, more := rng.Wants(n-1, at[0]); !more {
				return // the range ends before the damage
			}
		}
	}
	fmt.Fprintf(warn, "imgstream: warning: %s is damaged at %v; using the %d frames before it\n", in.path, d, i)
}

// readFailure names the recording in a failure to read it.
func (in *input) readFailure(err error) error {
	var fe *container.FrameError
	if errors.As(err, &fe) {
		return fmt.Errorf("%s: %w", in.path, err)
	}
	return err
}

// noFrames returns the usage error for a selection that picks no frame of
// the recording at path (rec: nil when not known).
func noFrames(path, frames, times string, rec *export.Recording) error {
	what := "the recording"
	switch {
	case frames != "":
		what = "--frames " + frames
	case times != "":
		what = "--time " + times
	}
	if rec == nil || rec.Len() < 0 {
		return usageError{fmt.Errorf("%s: %w: %s picks none", path, export.ErrNoFrames, what)}
	}
	return usageError{fmt.Errorf("%s: %w: %s picks none of its %d frames over %v", path, export.ErrNoFrames, what, rec.Len(), rec.Duration())}
}
