package rtsp

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"

	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/record"
)

// maxPending bounds the access units fed to ffmpeg whose frames have not
// come out yet. A decoder holds a few frames to reorder them (16 at most
// in H.264); more pending means it dropped some (a damaged access unit),
// and the oldest times are dropped with them.
const maxPending = 64

// A videoCodec is what runDecoded needs of H.264 or H.265.
type videoCodec struct {
	name    string // ffmpeg's demuxer: h264 or hevc
	forma   format.Format
	decode  func(*rtp.Packet) ([][]byte, error)
	params  [][]byte            // the parameter sets the SDP gave
	inband  func([][]byte) bool // the access unit carries its parameter sets
	key     func([][]byte) bool
	partial func(error) bool // the error of a packet that does not end an access unit
}

func h264Codec(f *format.H264) (videoCodec, error) {
	dec, err := f.CreateDecoder()
	if err != nil {
		return videoCodec{}, err
	}
	return videoCodec{
		name:   "h264",
		forma:  f,
		decode: dec.Decode,
		params: nonEmpty(f.SPS, f.PPS),
		inband: func(au [][]byte) bool {
			for _, n := range au {
				if h264.NALUType(n[0]&0x1f) == h264.NALUTypeSPS {
					return true
				}
			}
			return false
		},
		key: h264.IsRandomAccess,
		partial: func(err error) bool {
			return errors.Is(err, rtph264.ErrMorePacketsNeeded) || errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious)
		},
	}, nil
}

func h265Codec(f *format.H265) (videoCodec, error) {
	dec, err := f.CreateDecoder()
	if err != nil {
		return videoCodec{}, err
	}
	return videoCodec{
		name:   "hevc",
		forma:  f,
		decode: dec.Decode,
		params: nonEmpty(f.VPS, f.SPS, f.PPS),
		inband: func(au [][]byte) bool {
			for _, n := range au {
				if h265.NALUType((n[0]>>1)&0x3f) == h265.NALUType_SPS_NUT {
					return true
				}
			}
			return false
		},
		key: h265.IsRandomAccess,
		partial: func(err error) bool {
			return errors.Is(err, rtph265.ErrMorePacketsNeeded) || errors.Is(err, rtph265.ErrNonStartingPacketAndNoPrevious)
		},
	}, nil
}

func nonEmpty(sets ...[]byte) [][]byte {
	var out [][]byte
	for _, s := range sets {
		if len(s) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// annexB writes an access unit in the Annex-B byte stream ffmpeg reads,
// with params, the parameter sets, before it if it is a key frame that
// does not carry its own.
func annexB(au, params [][]byte, key bool) []byte {
	var b bytes.Buffer
	if key {
		for _, p := range params {
			b.Write([]byte{0, 0, 0, 1})
			b.Write(p)
		}
	}
	for _, n := range au {
		b.Write([]byte{0, 0, 0, 1})
		b.Write(n)
	}
	return b.Bytes()
}

// times is a min-heap of the times of the access units ffmpeg has been
// given and has not yet returned as frames: it returns its frames in
// presentation order, so each frame has the least time pending.
type times []time.Duration

func (h times) Len() int           { return len(h) }
func (h times) Less(i, j int) bool { return h[i] < h[j] }
func (h times) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *times) Push(x any)        { *h = append(*h, x.(time.Duration)) }
func (h *times) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// headUnits is how many access units runDecoded reads, under an FPS
// limit, to learn the frame interval before it starts ffmpeg: enough to
// see two frames in a row with two B-frames between references.
const headUnits = 4

// A unit is an access unit in Annex-B for ffmpeg, and its time.
type unit struct {
	data []byte
	t    time.Duration
}

// every returns K, such that one frame in K is enough for s.FPS, from the
// least interval between the times of head, the first units: 1 when
// there is no limit or the interval is not known.
func (s *Source) every(head []unit) int {
	if s.FPS <= 0 {
		return 1
	}
	var interval time.Duration
	for i := range head {
		for j := range i {
			if d := (head[i].t - head[j].t).Abs(); d > 0 && (interval == 0 || d < interval) {
				interval = d
			}
		}
	}
	if interval == 0 {
		return 1
	}
	// A little over, so that 3 intervals of a truncated 1/15 s make 0.2 s.
	return max(1, int(float64(time.Second)/s.FPS/float64(interval)+0.01))
}

// runDecoded plays an H.264 or H.265 stream, set up, through an ffmpeg
// process that decodes each access unit and encodes its frame as JPEG.
// Under an FPS limit it has ffmpeg encode only one frame in K (the JPEG
// encode is most of ffmpeg's work), and picks among those by their times.
func (s *Source) runDecoded(parent context.Context, c *gortsplib.Client, medi *description.Media, vc videoCodec, ffmpeg string, emit func(*record.Frame) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	units := make(chan unit, DefaultQueue)
	clk := clock{rate: int64(vc.forma.ClockRate())}
	keyed := false // a key frame has been queued since the start or the last drop
	c.OnPacketRTP(medi, vc.forma, func(pkt *rtp.Packet) {
		t := clk.at(pkt.Timestamp)
		au, err := vc.decode(pkt)
		switch {
		case err != nil && vc.partial(err):
			return
		case err != nil:
			s.skipped.Add(1) // an access unit with packets missing
			return
		}
		if au = slices.DeleteFunc(au, func(n []byte) bool { return len(n) == 0 }); len(au) == 0 {
			return // nothing to decode, and no NAL unit header to read
		}
		key := vc.key(au)
		if !keyed && !key {
			return // nothing decodes before a key frame
		}
		select {
		case units <- unit{annexB(au, vc.params, key && !vc.inband(au)), t}:
			keyed = true
		default:
			// ffmpeg is behind: drop up to the next key frame, as the
			// frames in between would not decode.
			s.skipped.Add(1)
			keyed = false
		}
	})
	if _, err := c.Play(nil); err != nil {
		return s.ctxOr(parent, err)
	}
	var clientErr error
	clientDone := make(chan struct{})
	go func() {
		clientErr = c.Wait()
		close(clientDone)
	}()
	defer func() { c.Close(); <-clientDone }()

	// Under an FPS limit, the first units tell the frame interval.
	var head []unit
	for s.FPS > 0 && len(head) < headUnits {
		select {
		case u := <-units:
			head = append(head, u)
		case <-clientDone:
			return s.ctxOr(parent, clientErr)
		case <-ctx.Done():
			return parent.Err()
		}
	}
	every := s.every(head)

	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin",
		"-probesize", "32", "-analyzeduration", "0",
		// Slice threads: frame threads would hold a frame per thread.
		"-thread_type", "slice",
		"-f", vc.name, "-i", "pipe:0", "-fps_mode", "passthrough"}
	if every > 1 {
		args = append(args, "-vf", fmt.Sprintf(`select=not(mod(n\,%d))`, every))
	}
	args = append(args, "-f", "mjpeg", "-q:v", strconv.Itoa(s.quality()), "pipe:1")
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	ownGroup(cmd)
	cmd.WaitDelay = time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr := &record.LineLog{Log: s.Log, Prefix: "ffmpeg: "}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return record.Permanent(fmt.Errorf("%w: %s: %w", ErrNoFFmpeg, ffmpeg, err))
	}

	var (
		mu sync.Mutex
		// pending holds the times of the units written to ffmpeg whose
		// frames have not come out, or were not selected.
		pending  times // guarded by mu
		writeErr error
		wrote    = make(chan struct{})
	)
	write := func(u unit) bool {
		mu.Lock()
		heap.Push(&pending, u.t)
		if pending.Len() > maxPending+every {
			heap.Pop(&pending)
		}
		mu.Unlock()
		if _, err := stdin.Write(u.data); err != nil {
			writeErr = err
			cancel()
			return false
		}
		return true
	}
	// When the camera's stream ends, ffmpeg is given what is queued, and
	// then the end of its input, so that it puts out every frame it holds;
	// a failed write (ffmpeg exited) or the end of ctx kill it.
	go func() {
		defer close(wrote)
		defer stdin.Close()
		for _, u := range head {
			if !write(u) {
				return
			}
		}
		for {
			select {
			case <-ctx.Done():
				return
			case u := <-units:
				if !write(u) {
					return
				}
			case <-clientDone:
				for {
					select {
					case u := <-units:
						if !write(u) {
							return
						}
					default:
						return
					}
				}
			}
		}
	}()

	var (
		f       record.Frame
		out     picker
		sp      = mjpeg.NewSplitter(stdout)
		emitErr error
	)
	out.init(s.FPS)
	for n := 0; ; n++ {
		data, err := sp.NextFrame()
		if err != nil {
			break // ffmpeg ended, or was stopped: the reason is below
		}
		// Frame n is the one of the unit n*every in presentation order:
		// the units before it that ffmpeg did not select are dropped.
		var t time.Duration
		mu.Lock()
		for i := 0; i < every && pending.Len() > 0; i++ {
			t = heap.Pop(&pending).(time.Duration)
			if n == 0 {
				break
			}
		}
		mu.Unlock()
		if !out.take(t) || !s.fill(&f, data, t) {
			continue
		}
		if emitErr = emit(&f); emitErr != nil {
			break
		}
	}
	cancel()
	c.Close()
	waitErr := cmd.Wait()
	<-wrote
	<-clientDone
	stderr.Flush()

	var closed liberrors.ErrClientTerminated
	switch {
	case emitErr != nil:
		return emitErr
	case parent.Err() != nil:
		return parent.Err()
	case clientErr != nil && !errors.As(clientErr, &closed):
		return s.classify(clientErr) // the camera dropped: ffmpeg was stopped for it
	case writeErr != nil && waitErr == nil:
		waitErr = writeErr
	}
	if waitErr == nil {
		waitErr = errors.New("it ended its output")
	}
	return fmt.Errorf("%w: %s: %w%s", ErrDecoderExited, s.redacted(), waitErr, lastLine(stderr))
}

// lastLine returns " (ffmpeg: " and the last line ffmpeg wrote ")", or
// nothing.
func lastLine(l *record.LineLog) string {
	if l.Last() == "" {
		return ""
	}
	return " (ffmpeg: " + l.Last() + ")"
}
