package natsbus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
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

// ErrNotRecorded is returned by Replay and Export for a camera that
// JetStream does not record: no stream StreamName(camera) (publish with
// Record), or no JetStream on the server.
var ErrNotRecorded = errors.New("natsbus: nothing is recorded")

// Replay replays the frames JetStream recorded of camera, calling fn for
// each whole frame in order (f.Data is valid during the call), from
// o.Since to o.Until or the newest frame, as fast as possible or at the
// recorded pace. Frames with a chunk missing (cut by MaxAge or MaxBytes)
// and messages that are not frames are skipped. A range with no frame in
// it, such as a Since after the newest frame, is an empty replay. It
// returns the first error of fn, ctx.Err(), an error matching
// ErrNotRecorded, or nil at the end.
func Replay(ctx context.Context, js jetstream.JetStream, camera string, o ReplayOptions, fn func(f *Frame) error) error {
	return replay(ctx, js, camera, o, fn, nil)
}

// replayCounts are what a replay skipped.
type replayCounts struct {
	invalid, lost int // messages that are not frames; frames with a chunk missing
}

// replay is Replay, counting what it skips in c when c is not nil.
func replay(ctx context.Context, js jetstream.JetStream, camera string, o ReplayOptions, fn func(f *Frame) error, c *replayCounts) error {
	if err := CheckCamera(camera); err != nil {
		return err
	}
	stream, err := js.Stream(ctx, StreamName(camera))
	if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
		return fmt.Errorf("%w for %s: %w", ErrNotRecorded, camera, err)
	}
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
	if !o.Since.IsZero() && o.Since.After(info.State.LastTime) {
		return nil // nothing stored since: a consumer would wait for ever
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
	if c != nil {
		defer func() { c.lost = int(frames.lost) }()
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := msgs.Next(jetstream.NextMaxWait(wait))
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		}
		if err != nil {
			if info, ierr := stream.Info(ctx); ierr == nil && (info.State.Msgs == 0 || info.State.FirstSeq > last) {
				return nil // the rest went (MaxAge, MaxBytes) while we waited
			}
			return fmt.Errorf("natsbus: replay of %s: %w", camera, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return err
		}
		done := meta.Sequence.Stream >= last
		var h wireHeader
		if body, err := h.parse(m.Data()); err != nil {
			if c != nil {
				c.invalid++
			}
		} else if fh, data := frames.add(&h, body); fh != nil {
			// Frames with a chunk missing (cut by MaxAge or MaxBytes) are
			// skipped.
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
		if done {
			return nil
		}
	}
}

// ExportStats say what Export wrote, and what it could not write as it
// came.
type ExportStats struct {
	// Frames is the number of frames written.
	Frames int
	// Converted counts the RGB24 and BGR24 frames (OpenCV's), which an
	// OMV file cannot hold, written as JPEG at imageio.JPEGQuality.
	Converted int
	// Skipped counts the frames left out: in a format an OMV file cannot
	// hold or of a size their format does not give, or captured before
	// the frame before (a publisher's clock stepped back).
	Skipped int
	// Invalid counts the messages that are not frames, and Lost the
	// frames with a chunk missing (cut by MaxAge or MaxBytes).
	Invalid, Lost int
	// Clamped counts the intervals longer than a V2.1 file holds
	// (MaxInterval, 71.6 minutes), written as MaxInterval: the frames
	// after such a gap are kept, their times earlier by the difference.
	Clamped int
}

// MaxInterval is the longest interval between two frames of the V2.1
// files Export writes: a uint32 of microseconds, about 71.6 minutes.
const MaxInterval = math.MaxUint32 * time.Microsecond

// Export writes the frames JetStream recorded of camera between o.Since
// and o.Until to w as an OMV IMG STR file (V2.1: microseconds), each at
// its capture time, and returns what it wrote. o.Paced is ignored. It
// goes on past what a file cannot hold, and counts it: RGB24 and BGR24
// frames are converted to JPEG, other frames no OMV file holds are
// skipped, and an interval over MaxInterval is clamped to it.
func Export(ctx context.Context, js jetstream.JetStream, camera string, o ReplayOptions, w io.ReadWriteSeeker) (ExportStats, error) {
	var (
		st    ExportStats
		c     replayCounts
		s     *imageio.Stream
		prev  time.Time     // the file time of the frame before
		shift time.Duration // the time clamped out so far
		img   imageio.Image
		jpg   []byte
	)
	o.Paced = false
	err := replay(ctx, js, camera, o, func(f *Frame) error {
		img = imageio.ImageOf(&f.Header, f.Data)
		if img.Format == container.RGB24 || img.Format == container.BGR24 {
			var err error
			if jpg, err = img.AppendJPEG(jpg[:0]); err != nil {
				st.Skipped++
				return nil
			}
			img.Format, img.Data = container.JPEG, jpg
			st.Converted++
		}
		if !storable(&img) {
			st.Skipped++
			return nil
		}
		at := f.Time.Add(-shift)
		if s == nil {
			// The file's time starts at the first frame's capture.
			var err error
			if s, err = imageio.New(w, &imageio.Options{Version: container.V2_1, Clock: startClock(at)}); err != nil {
				return err
			}
		} else if gap := at.Sub(prev); gap > MaxInterval {
			shift += gap - MaxInterval
			at = prev.Add(MaxInterval)
			st.Clamped++
		}
		if err := s.WriteAt(&img, at); errors.Is(err, imageio.ErrTimeBackwards) {
			st.Skipped++ // a publisher's clock stepped back: the frame is left out
			return nil
		} else if err != nil {
			return err
		}
		prev = at
		st.Frames++
		return nil
	}, &c)
	st.Invalid, st.Lost = c.invalid, c.lost
	if s == nil && !errors.Is(err, ErrNotRecorded) {
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
	return st, err
}

// storable reports whether an OMV file can hold m: a format it carries,
// and the size its format and dimensions give.
func storable(m *imageio.Image) bool {
	if !m.Format.Valid() {
		return false
	}
	if n, ok := m.Format.PayloadSize(m.Width, m.Height); ok {
		return len(m.Data) == n
	}
	return len(m.Data) > 0 && uint64(len(m.Data)) <= math.MaxUint32
}

// startClock is a Clock that stands at one time: a stream made with it
// starts then.
type startClock time.Time

func (c startClock) Now() time.Time                                 { return time.Time(c) }
func (startClock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
