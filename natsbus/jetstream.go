package natsbus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// StreamName returns the name of the JetStream stream that records
// camera: IMGSTREAM_<camera>.
func StreamName(camera string) string { return "IMGSTREAM_" + camera }

// RecordOptions bound a camera's recording in JetStream. Give MaxAge or
// MaxBytes, or both: the oldest frames go first.
type RecordOptions struct {
	MaxAge   time.Duration
	MaxBytes int64
	// Replicas is how many servers of a cluster hold the stream: 1 when
	// zero, at most 5.
	Replicas int
	// Memory keeps the stream in memory instead of files.
	Memory bool
}

// Record makes JetStream record camera's frames, as its publishers send
// them, into the stream StreamName(camera), created or updated with o.
// Publishers need no change: the stream listens on the camera's subject.
func Record(ctx context.Context, js jetstream.JetStream, camera string, o RecordOptions) (jetstream.Stream, error) {
	if err := CheckCamera(camera); err != nil {
		return nil, err
	}
	if o.MaxAge < 0 || o.MaxBytes < 0 || o.Replicas < 0 || o.Replicas > 5 {
		return nil, fmt.Errorf("natsbus: record options %+v", o)
	}
	cfg := jetstream.StreamConfig{
		Name:      StreamName(camera),
		Subjects:  []string{Subject(camera)},
		MaxAge:    o.MaxAge,
		MaxBytes:  o.MaxBytes,
		Replicas:  max(o.Replicas, 1),
		Discard:   jetstream.DiscardOld,
		Retention: jetstream.LimitsPolicy,
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = -1 // JetStream's "no limit"
	}
	if o.Memory {
		cfg.Storage = jetstream.MemoryStorage
	}
	return js.CreateOrUpdateStream(ctx, cfg)
}

// ReplayOptions say where a replay starts and how fast it goes.
type ReplayOptions struct {
	// Since starts at the first frame captured at or after it (stored
	// at or after it, as JetStream knows it); zero: the first frame.
	Since time.Time
	// Until ends the replay before the first frame captured after it;
	// zero: at the newest frame when the replay started.
	Until time.Time
	// Paced keeps the recorded intervals between frames, on Clock, with
	// an imageio.Pacer: the pace does not drift with fn's work.
	Paced bool
	// Clock paces: the system clock when nil (imageio.Clock's contract).
	Clock imageio.Clock
	// MaxWait bounds the wait for each message from the server (5 s when
	// zero): a replay never hangs.
	MaxWait time.Duration
}

// PullMaxBytes bounds what one pull of a replay asks the server for. The
// client's default, 500 messages, is 300 MB of 600 KB frames: past the
// server's 64 MB pending limit, which then drops the consumer as slow,
// and the replay stalls seconds at a time.
const PullMaxBytes = 16 << 20

// Replay replays the frames JetStream recorded of camera, calling fn for
// each whole frame in order (f.Data is valid during the call), from
// o.Since to o.Until or the newest frame, as fast as possible or at the
// recorded pace. Frames with a chunk missing (cut by MaxAge or MaxBytes)
// are skipped. It returns the first error of fn, ctx.Err(), or nil at the
// end.
func Replay(ctx context.Context, js jetstream.JetStream, camera string, o ReplayOptions, fn func(f *Frame) error) error {
	if err := CheckCamera(camera); err != nil {
		return err
	}
	stream, err := js.Stream(ctx, StreamName(camera))
	if err != nil {
		return fmt.Errorf("natsbus: the recording of %s: %w", camera, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return err
	}
	last := info.State.LastSeq
	if last == 0 || info.State.Msgs == 0 {
		return nil
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if !o.Since.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &o.Since
	}
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return err
	}
	msgs, err := cons.Messages(jetstream.PullMaxBytes(PullMaxBytes))
	if err != nil {
		return err
	}
	defer msgs.Stop()
	wait := o.MaxWait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	var (
		frames assembler
		f      Frame
		pace   = imageio.Pacer{Clock: o.Clock}
		prev   time.Time // the capture time of the frame before
	)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := msgs.Next(jetstream.NextMaxWait(wait))
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("natsbus: replay of %s: %w", camera, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return err
		}
		done := meta.Sequence.Stream >= last
		var h wireHeader
		if body, err := h.parse(m.Data()); err == nil {
			// Frames with a chunk missing (cut by MaxAge or MaxBytes) are
			// skipped.
			if fh, data := frames.add(&h, body); fh != nil {
				if !o.Until.IsZero() && fh.Time.After(o.Until) {
					return nil
				}
				if o.Paced {
					var interval time.Duration // the first frame is due at once
					if !prev.IsZero() {
						interval = fh.Time.Sub(prev)
					}
					if err := pace.Wait(ctx, interval); err != nil {
						return err
					}
					prev = fh.Time
				}
				f = Frame{
					Header: container.Header{Width: fh.Width, Height: fh.Height, Format: fh.Format, Size: fh.Size},
					Seq:    fh.Seq, Time: fh.Time, Data: data,
				}
				if err := fn(&f); err != nil {
					return err
				}
			}
		}
		if done {
			return nil
		}
	}
}

// Export writes the frames JetStream recorded of camera between o.Since
// and o.Until to w as an OMV IMG STR file (V2.1: microseconds), each at
// its capture time, and returns how many it wrote. o.Paced is ignored.
func Export(ctx context.Context, js jetstream.JetStream, camera string, o ReplayOptions, w io.ReadWriteSeeker) (int, error) {
	var s *imageio.Stream
	o.Paced = false
	n := 0
	err := Replay(ctx, js, camera, o, func(f *Frame) error {
		if s == nil {
			// The file's time starts at the first frame's capture.
			var err error
			if s, err = imageio.New(w, &imageio.Options{Version: container.V2_1, Clock: startClock(f.Time)}); err != nil {
				return err
			}
		}
		img := imageio.Image{Width: f.Header.Width, Height: f.Header.Height, Format: f.Header.Format, Data: f.Data}
		if err := s.WriteAt(&img, f.Time); errors.Is(err, imageio.ErrTimeBackwards) {
			return nil // a publisher's clock stepped back: the frame is left out
		} else if err != nil {
			return err
		}
		n++
		return nil
	})
	if s == nil {
		// No frame: an empty recording.
		var nerr error
		if s, nerr = imageio.New(w, &imageio.Options{Version: container.V2_1}); nerr != nil && err == nil {
			err = nerr
		}
	}
	if s != nil {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}
	return n, err
}

// startClock is a Clock that stands at one time: a stream made with it
// starts then.
type startClock time.Time

func (c startClock) Now() time.Time                                 { return time.Time(c) }
func (startClock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
