package rtsp

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log"
	"os/exec"
	"strconv"
	"strings"
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
	nonRef  func([][]byte) bool // no other frame refers to this one
	partial func(error) bool    // the error of a packet that does not end an access unit
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
		nonRef: func(au [][]byte) bool {
			for _, n := range au {
				typ := h264.NALUType(n[0] & 0x1f)
				if (typ == h264.NALUTypeNonIDR || typ == h264.NALUTypeIDR) && n[0]&0x60 != 0 {
					return false // nal_ref_idc > 0
				}
			}
			return true
		},
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
		nonRef: func(au [][]byte) bool {
			for _, n := range au {
				typ := h265.NALUType((n[0] >> 1) & 0x3f)
				// VCL types below 16 that are even are sub-layer
				// non-reference pictures (H.265, 7.4.2.2).
				if typ < 32 && (typ >= 16 || typ%2 == 1) {
					return false
				}
			}
			return true
		},
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

// runDecoded plays an H.264 or H.265 stream, set up, through an ffmpeg
// process that decodes each access unit and encodes its frame as JPEG.
func (s *Source) runDecoded(parent context.Context, c *gortsplib.Client, medi *description.Media, vc videoCodec, ffmpeg string, emit func(*record.Frame) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
		"-probesize", "32", "-analyzeduration", "0",
		// Slice threads: frame threads would hold a frame per thread.
		"-thread_type", "slice",
		"-f", vc.name, "-i", "pipe:0",
		"-fps_mode", "passthrough", "-f", "mjpeg", "-q:v", strconv.Itoa(s.quality()), "pipe:1")
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
	stderr := &tail{log: s.Log}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return record.Permanent(fmt.Errorf("%w: %s: %w", ErrNoFFmpeg, ffmpeg, err))
	}

	type unit struct {
		data []byte
		t    time.Duration
	}
	var (
		units = make(chan unit, DefaultQueue)
		mu    sync.Mutex
		// pending holds the times of the units written to ffmpeg whose
		// frames have not come out.
		pending times // guarded by mu
	)
	clk := clock{rate: int64(vc.forma.ClockRate())}
	var (
		keyed bool   // a key frame has been queued since the start or the last drop
		in    picker // the FPS picker as applied on input, to skip non-reference units
		// reordered is set at the first unit whose time is before the
		// one of a unit before it (B-frames): the input then no longer
		// tells which frame the output picks, and no unit is skipped.
		reordered bool
		latest    time.Duration
	)
	in.init(s.FPS)
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
		key := vc.key(au)
		if !keyed && !key {
			return // nothing decodes before a key frame
		}
		if t < latest {
			reordered = true
		}
		latest = max(latest, t)
		if !reordered {
			if !key && vc.nonRef(au) && in.skips(t) {
				return // not picked, and no frame needs it
			}
			in.take(t)
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
		cancel()
		cmd.Wait()
		return s.ctxOr(parent, err)
	}

	// When the camera's stream ends, ffmpeg is given what is queued, and
	// then the end of its input, so that it puts out every frame it holds;
	// a failed write (ffmpeg exited) or the end of ctx kill it.
	var (
		clientErr  error
		clientDone = make(chan struct{})
		writeErr   error
		wg         sync.WaitGroup
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		clientErr = c.Wait()
		close(clientDone)
	}()
	write := func(u unit) bool {
		mu.Lock()
		heap.Push(&pending, u.t)
		if pending.Len() > maxPending {
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
	go func() {
		defer wg.Done()
		defer stdin.Close()
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
	for {
		data, err := sp.NextFrame()
		if err != nil {
			break // ffmpeg ended, or was stopped: the reason is below
		}
		mu.Lock()
		var t time.Duration
		if pending.Len() > 0 {
			t = heap.Pop(&pending).(time.Duration)
		}
		mu.Unlock()
		if !out.take(t) {
			continue
		}
		if !s.fill(&f, data, t) {
			continue
		}
		if emitErr = emit(&f); emitErr != nil {
			break
		}
	}
	cancel()
	c.Close()
	waitErr := cmd.Wait()
	wg.Wait()
	stderr.flush()

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
	return fmt.Errorf("%w: %s: %w%s", ErrDecoderExited, s.redacted(), waitErr, stderr.last())
}

// A tail logs what ffmpeg writes to stderr line by line, and keeps the
// last line for the error of a decoder that exited.
type tail struct {
	log  *log.Logger
	line []byte
	prev string
}

// maxLine bounds a line of ffmpeg's stderr as it is kept.
const maxLine = 1 << 10

func (t *tail) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			t.line = append(t.line, b[:min(len(b), maxLine-len(t.line))]...)
			break
		}
		t.line = append(t.line, b[:min(i, maxLine-len(t.line))]...)
		t.flush()
		b = b[i+1:]
	}
	return n, nil
}

// flush logs the line held, if any.
func (t *tail) flush() {
	line := strings.TrimSpace(string(t.line))
	t.line = t.line[:0]
	if line == "" {
		return
	}
	t.prev = line
	if t.log != nil {
		t.log.Print("ffmpeg: " + line)
	}
}

// last returns ": " and the last line ffmpeg wrote, or nothing.
func (t *tail) last() string {
	if t.prev == "" {
		return ""
	}
	return " (ffmpeg: " + t.prev + ")"
}
