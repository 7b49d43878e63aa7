package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/imgstream/imgstream/avi"
)

// ErrNoFFmpeg is returned by Video when ffmpeg cannot be found.
var ErrNoFFmpeg = errors.New("export: ffmpeg is not installed")

// Video writes the frames of rec that o picks to the file out as a video
// that ffmpeg encodes: H.264 in MP4, MKV or MOV, or VP9 in WebM (by out's
// extension). ffmpeg (o.FFmpeg, or on the PATH) is fed JPEG frames already
// placed on the grid of o's rate, as an AVI places them (a frame shown for
// several slots is sent that many times, for at most avi.DefaultMaxHold;
// one that lands on a taken slot is left out), so the timing is ours. It
// returns ErrNoFrames when o picks no frame, and ctx's cause when ctx is
// done (ffmpeg is killed); out is then no whole file, for the caller to
// remove.
func Video(ctx context.Context, out string, rec *Recording, o Options) (*Result, error) {
	if err := checkRate(o.Rate); err != nil {
		return nil, err
	}
	ffmpeg := o.FFmpeg
	if ffmpeg == "" {
		ffmpeg = "ffmpeg"
	}
	ffmpeg, err := exec.LookPath(ffmpeg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoFFmpeg, err)
	}
	rate := o.rate(rec)
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "mjpeg", "-framerate", rate.String(), "-i", "-",
		"-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-r", rate.String()}
	if strings.ToLower(filepath.Ext(out)) == ".webm" {
		args = append(args, "-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "32")
	} else {
		args = append(args, "-c:v", "libx264", "-pix_fmt", "yuv420p")
	}
	// file: makes out the file named, never an option ("-x.mp4") nor
	// another protocol ("pipe:1.mp4").
	c := exec.CommandContext(ctx, ffmpeg, append(args, "file:"+out)...)
	var stderr tailWriter
	c.Stderr = &stderr
	stdin, err := c.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	hold := min(max(rate.Slot(avi.DefaultMaxHold), 1), avi.MaxHoldSlots)
	var last []byte
	var t0 time.Duration
	slot, skip := int64(-1), int64(0)
	res := &Result{Rate: rate}
	werr := jpegFrames(ctx, rec, &o, func(jpg []byte, at time.Duration) error {
		res.Frames++
		if slot < 0 {
			t0 = at
		}
		s := rate.Slot(at-t0) - skip
		if s <= slot {
			res.Dropped++
			return nil
		}
		if slot >= 0 && s-slot > hold {
			skip += s - slot - hold
			s = slot + hold
			res.Shortened++
		}
		for ; slot >= 0 && slot < s-1; slot++ {
			if _, err := stdin.Write(last); err != nil {
				return err
			}
		}
		slot = s
		last = append(last[:0], jpg...)
		_, err := stdin.Write(jpg)
		return err
	})
	stdin.Close()
	err = c.Wait()
	if cerr := stopped(ctx); cerr != nil {
		return nil, cerr // ffmpeg was killed, and its pipe broke
	}
	// A pipe that broke because ffmpeg failed: what ffmpeg says is the
	// error.
	broke := errors.Is(werr, syscall.EPIPE) || errors.Is(werr, os.ErrClosed)
	if werr != nil && (err == nil || !broke) {
		return nil, werr
	}
	if err != nil {
		// What ffmpeg says, rather than the broken pipe it left.
		return nil, fmt.Errorf("ffmpeg: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return res, nil
}

// stderrTail is how much of what ffmpeg says a Video keeps for its error:
// the end, where the reason it failed is.
const stderrTail = 4 << 10

// tailWriter keeps the last stderrTail bytes written to it.
type tailWriter struct {
	b   []byte
	cut bool // bytes before b were dropped
}

func (t *tailWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= stderrTail {
		t.b, t.cut = append(t.b[:0], p[len(p)-stderrTail:]...), true
		return n, nil
	}
	if over := len(t.b) + len(p) - stderrTail; over > 0 {
		t.b, t.cut = append(t.b[:0], t.b[over:]...), true
	}
	t.b = append(t.b, p...)
	return n, nil
}

// String returns the bytes kept, after "..." when some were dropped.
func (t *tailWriter) String() string {
	if t.cut {
		return "..." + string(t.b)
	}
	return string(t.b)
}
