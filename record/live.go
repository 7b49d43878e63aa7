package record

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/mjpeg"
)

// RetryOptions are the options of Retry and Live.
type RetryOptions struct {
	// Name names the source in log lines: "stdin", a camera's URL with
	// no password.
	Name string
	// Stall is how long the source may send nothing before it is run
	// again, as a Recorder does: DefaultStall when 0.
	Stall time.Duration
	// MaxBackoff caps the wait between runs of a failing source:
	// DefaultMaxBackoff when 0.
	MaxBackoff time.Duration
	// Log, if not nil, gets the outages, once each, and what Live says.
	Log *log.Logger
	// Notify, if not nil, is told of the source's CameraUp (its first
	// frame, and the first after an outage), CameraDown and
	// CameraStalled (once an outage), with Name as the camera. It is
	// called on the goroutine that runs the source, so it must not
	// block: queue the event (a Webhook's Notify does).
	Notify func(Event)
}

func (o *RetryOptions) notify(k Kind, err error) {
	if o.Notify == nil {
		return
	}
	e := Event{Kind: k, Camera: o.Name, Time: time.Now()}
	if err != nil {
		e.Err = err.Error()
	}
	o.Notify(e)
}

func (o *RetryOptions) logf(format string, args ...any) {
	if o.Log != nil {
		o.Log.Printf(cmp.Or(o.Name, "source")+": "+format, args...)
	}
}

// Retry returns a Source that runs src again, as a Recorder does, when it
// fails or sends nothing for Stall: after a backoff from MinBackoff
// doubling up to MaxBackoff (from MinBackoff again once frames came),
// logging each outage once. Its Run returns only when src ends (io.EOF,
// or nil), fails for good (ErrPermanent), emit fails, or ctx is done.
// It is for programs that run a source themselves, without a Recorder
// (which retries by itself): publishing it, showing it live.
func Retry(src Source, o RetryOptions) Source {
	stall := cmp.Or(o.Stall, DefaultStall)
	maxWait := cmp.Or(o.MaxBackoff, DefaultMaxBackoff)
	return SourceFunc(func(ctx context.Context, emit func(*Frame) error) error {
		wait := MinBackoff
		failed := false // an outage was logged: the rest of it is not
		for {
			delivered, emitErr := false, error(nil)
			err := watch(ctx, src, stall, func(f *Frame) error {
				if !delivered {
					delivered = true
					o.notify(CameraUp, nil)
				}
				emitErr = emit(f)
				return emitErr
			})
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case err == nil, err == io.EOF:
				o.notify(CameraDown, errors.New("the source ended"))
				return err
			case errors.Is(err, ErrPermanent):
				o.notify(CameraDown, err)
				return err
			case emitErr != nil && errors.Is(err, emitErr):
				return err
			}
			if delivered {
				wait, failed = MinBackoff, false
			}
			if !failed {
				o.logf("%v; connecting again", err)
				failed = true
				kind := CameraDown
				if errors.Is(err, ErrStalled) {
					kind = CameraStalled
				}
				o.notify(kind, err)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			wait = min(2*wait, maxWait)
		}
	})
}

// Live returns src as an [mjpeg.Source], to show a camera in the browser
// with no recording: an mjpeg.Server runs it while somebody watches. JPEG
// frames pass as they are; frames of other formats are encoded to JPEG
// ([imageio.Image.AppendJPEG]). It runs src through Retry. When src ends
// (a pipe, a file), or fails for good, its last frame stays on show: Run
// says so in the log and waits for its context, so that the server does
// not start a source that has ended again for the next viewer; it then
// returns the permanent error, if that was the end.
func Live(src Source, o RetryOptions) mjpeg.Source {
	src = Retry(src, o)
	var jpg []byte
	return mjpeg.SourceFunc(func(ctx context.Context, publish func([]byte)) error {
		err := src.Run(ctx, func(f *Frame) error {
			if f.Format == container.JPEG {
				publish(f.Data)
				return nil
			}
			var err error
			if jpg, err = f.Image.AppendJPEG(jpg[:0]); err != nil {
				o.logf("a %dx%d %v frame: %v", f.Width, f.Height, f.Format, err)
				return nil
			}
			publish(jpg)
			return nil
		})
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil, err == io.EOF:
			o.logf("ended; showing its last frame")
		default:
			o.logf("%v", err)
		}
		<-ctx.Done()
		if err == io.EOF {
			err = nil
		}
		return err
	})
}

// ErrStalled matches the error of a source that sent no frame for the
// stall time (Config.Stall, LiveOptions.Stall): it is run again.
var ErrStalled = errors.New("record: no frame")

// watch runs src once, passing its frames to emit, and ends the run with
// an error matching ErrStalled when no frame comes for stall.
func watch(ctx context.Context, src Source, stall time.Duration, emit func(*Frame) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errStall := fmt.Errorf("%w for %v", ErrStalled, stall)
	watchdog := time.AfterFunc(stall, func() { cancel(errStall) })
	defer watchdog.Stop()
	err := src.Run(ctx, func(f *Frame) error {
		watchdog.Reset(stall)
		return emit(f)
	})
	if context.Cause(ctx) == errStall {
		return errStall
	}
	return err
}
