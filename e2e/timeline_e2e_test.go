//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/motion"
	"github.com/imgstream/imgstream/player"
	"github.com/imgstream/imgstream/record"
)

const sceneFPS = 10

// yardScene is a camera for the recorder: 160x120 grey frames at 10 fps
// for seconds, a bright square in them while a window of objects is
// open (motion), and hooks called before frame n (manual triggers).
type yardScene struct {
	seconds int
	objects [][2]int // frames [from, to) with the square
	hooks   map[int]func()
}

func (s yardScene) Run(ctx context.Context, emit func(*record.Frame) error) error {
	const w, h = 160, 120
	f := &record.Frame{Image: imageio.Image{Width: w, Height: h, Format: container.Grayscale, Data: make([]byte, w*h)}}
	tick := time.Now()
	for i := range s.seconds * sceneFPS {
		tick = tick.Add(time.Second / sceneFPS)
		time.Sleep(time.Until(tick))
		if hook := s.hooks[i]; hook != nil {
			hook()
		}
		moving := false
		for _, o := range s.objects {
			moving = moving || (i >= o[0] && i < o[1])
		}
		ox := (i * 7) % (w - 30)
		for y := range h {
			for x := range w {
				v := 60 + x/4 + y/6
				if moving && x >= ox && x < ox+30 && y >= 40 && y < 70 {
					v = 230
				}
				f.Data[y*w+x] = byte(v)
			}
		}
		if err := emit(f); err != nil {
			return err
		}
	}
	return io.EOF
}

// recordTwoCameras records, with record.Recorder on a fake clock, the
// folder of two cameras: door, by motion (a square from 3 s to 5 s and
// from 15 s to 17 s), and yard, by manual triggers at 8 s and 22 s; each
// with a second before and after. Each clip has a side file.
func recordTwoCameras(t *testing.T) string {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		var yard *record.Recorder
		trig := func() { yard.Trigger("") }
		door, err := record.New(record.Config{Source: yardScene{seconds: 25, objects: [][2]int{{30, 50}, {150, 170}}}, Mode: record.Events,
			Pre: time.Second, Post: time.Second, Motion: &motion.Config{}, Pattern: filepath.Join(dir, "door", "%Y%m%d-%H%M%S.omv")})
		require.NoError(t, err)
		yard, err = record.New(record.Config{Source: yardScene{seconds: 25, hooks: map[int]func(){80: trig, 220: trig}}, Mode: record.Events,
			Pre: time.Second, Post: time.Second, Pattern: filepath.Join(dir, "yard", "%Y%m%d-%H%M%S.omv")})
		require.NoError(t, err)
		var wg sync.WaitGroup
		for _, r := range []*record.Recorder{door, yard} {
			wg.Go(func() { assert.NoError(t, r.Run(t.Context())) })
		}
		wg.Wait()
	})
	return dir
}

// trackX returns the page x of wall time at on camera cam's row, and its
// y, from the track's window (data-from, data-to, in ms) and its box.
func trackX(t *testing.T, ctx context.Context, cam string, at time.Time) (x, y float64) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const tr = [...document.querySelectorAll('.track')].find((e) => e.dataset.camera === %q);
		const r = tr.getBoundingClientRect();
		return [r.left, r.width, r.top + r.height / 2, +tr.dataset.from, +tr.dataset.to]; })()`, cam)
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](js))
	require.NoError(t, err)
	left, width, mid, from, to := v[0], v[1], v[2], v[3], v[4]
	ms := float64(at.UnixNano()) / 1e6
	require.True(t, ms >= from && ms <= to, "%v is in the window shown", at)
	return left + (ms-from)/(to-from)*width, mid
}

func click(x, y float64) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.MouseEvent(chromedp.MouseMoved, x, y), chromedp.MouseClickXY(x, y))
}

// held marks a mouse move with the left button down.
func held(p *input.DispatchMouseEventParams) { p.Buttons = 1 }

func drag(x0, x1, y float64) chromedp.Action[chromedp.Void] {
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, x0, y),
		chromedp.MouseEvent(chromedp.MousePressed, x0, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	}
	for i := 1; i <= 10; i++ {
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x0+(x1-x0)*float64(i)/10, y, chromedp.ButtonLeft, held))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x1, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	return chromedp.Steps(steps...)
}

// TestE2ETimeline: a folder of clips that the recorder made of two
// cameras shows a row each, with the clips as bars and motion marked; a
// click in a gap says "no recording"; a click in a clip plays the frame
// at that time (±1); a drag exports the range, and ffprobe finds in the
// AVI each frame of the range once, with the gap kept as time.
func TestE2ETimeline(t *testing.T) {
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("no ffprobe")
	}
	dir := recordTwoCameras(t)
	folder, err := export.OpenFolder(dir)
	require.NoError(t, err)
	defer folder.Close()
	var door []export.Clip
	for _, c := range folder.Clips() {
		assert.Equal(t, export.ClockSide, c.Clock, "%s has a side file", c.Path)
		if c.Camera == "door" {
			door = append(door, c)
		}
	}
	require.Equal(t, []string{"door", "yard"}, folder.Cameras())
	require.Len(t, door, 2, "two motion events at the door")
	assert.Equal(t, "motion", door[0].Trigger)

	p, err := player.NewDir(dir, player.Options{})
	require.NoError(t, err)
	ts := httptest.NewServer(p)
	t.Cleanup(func() { ts.Close(); p.Close() })

	ctx := browser(t, 1000, 800)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('.track .clip').length === 4`, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err, "four clips drawn")
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.row .label')].map((e) => e.textContent)`))
	require.NoError(t, err)
	assert.Equal(t, []string{"door", "yard"}, rows, "a row a camera")
	marks, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.track .clip.motion').length`))
	require.NoError(t, err)
	assert.Equal(t, 2, marks, "door's clips marked as motion")

	// A click in the gap between door's clips.
	gap := door[0].End.Add(door[1].Start.Sub(door[0].End) / 2)
	x, y := trackX(t, ctx, "door", gap)
	require.NoError(t, chromedp.Do(ctx, click(x, y)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('status').textContent.includes('no recording')`, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "a click in a gap says no recording")

	// A click in door's second clip plays the frame at that time.
	c := door[1]
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(c.Path)))
	require.NoError(t, err)
	x0, _ := container.ReadIndex(f)
	f.Close()
	want := len(x0.Entries) / 2
	at := c.Start.Add(x0.Entries[want].Time)
	x, y = trackX(t, ctx, "door", at)
	require.NoError(t, chromedp.Do(ctx, click(x, y)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('view').dataset.first !== undefined`, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById('view').dataset.first, document.getElementById('view').dataset.firstClip]`))
	require.NoError(t, err)
	var first int
	fmt.Sscan(got[0], &first)
	assert.Equal(t, c.Path, got[1], "the clip clicked")
	assert.InDelta(t, want, first, 1, "the frame at the time clicked")
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`+document.getElementById('view').dataset.frame > %d && document.getElementById('view').complete`, first), chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "and plays on")

	// Played from near the end of door's first clip, it goes on into the
	// second, across the gap.
	f, err = os.Open(filepath.Join(dir, filepath.FromSlash(door[0].Path)))
	require.NoError(t, err)
	xa0, _ := container.ReadIndex(f)
	f.Close()
	x, y = trackX(t, ctx, "door", door[0].Start.Add(xa0.Entries[len(xa0.Entries)-3].Time))
	require.NoError(t, chromedp.Do(ctx, click(x, y)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById('view').dataset.firstClip === %q`, door[0].Path), chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "it plays the first clip")
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById('view').dataset.clip === %q && document.getElementById('view').complete`, door[1].Path),
		chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "playback crosses into the next clip")

	// A drag from door's first clip into its second exports the range.
	a := door[0].Start.Add(door[0].End.Sub(door[0].Start) / 3)
	b := door[1].Start.Add(door[1].End.Sub(door[1].Start) / 2)
	xa, y := trackX(t, ctx, "door", a)
	xb, _ := trackX(t, ctx, "door", b)
	require.NoError(t, chromedp.Do(ctx, drag(xa, xb, y)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!document.getElementById('selection').hidden`, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "the range is picked")
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('export-avi').href`))
	require.NoError(t, err)
	u, err := url.Parse(href)
	require.NoError(t, err)
	from, err := time.Parse(time.RFC3339Nano, u.Query().Get("from"))
	require.NoError(t, err)
	to, err := time.Parse(time.RFC3339Nano, u.Query().Get("to"))
	require.NoError(t, err)
	assert.Equal(t, "door", u.Query().Get("camera"))
	assert.InDelta(t, 0, from.Sub(a).Seconds(), 0.1, "the drag's start")
	assert.InDelta(t, 0, to.Sub(b).Seconds(), 0.1, "the drag's end")
	rec, picked, err := folder.Span("door", from, to)
	require.NoError(t, err)
	rec.Close()
	require.Equal(t, 2, picked.Clips)

	resp, err := http.Get(href)
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "range.avi")
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.NoError(t, os.WriteFile(out, body, 0o644))
	// ffprobe decodes each frame of the range once (the AVI's index holds
	// a frame for the slots of a gap, which ffmpeg reads as a gap in the
	// packets' times), and the video lasts the range's span.
	probe, err := exec.Command(ffprobe, "-v", "error", "-select_streams", "v:0", "-count_frames",
		"-show_entries", "stream=nb_read_frames,duration:packet=pts,pos", "-of", "json", out).Output()
	require.NoError(t, err)
	var pr struct {
		Packets []struct {
			PTS int64  `json:"pts"`
			Pos string `json:"pos"`
		} `json:"packets"`
		Streams []struct {
			Frames   string `json:"nb_read_frames"`
			Duration string `json:"duration"`
		} `json:"streams"`
	}
	require.NoError(t, json.Unmarshal(probe, &pr))
	require.Len(t, pr.Streams, 1)
	assert.Equal(t, fmt.Sprint(picked.Frames), pr.Streams[0].Frames, "ffprobe's frame count is the range's")
	stored := map[string]bool{}
	for _, pk := range pr.Packets {
		stored[pk.Pos] = true
	}
	assert.Equal(t, picked.Frames, len(stored), "each frame stored once")
	var secs float64
	fmt.Sscan(pr.Streams[0].Duration, &secs)
	span := picked.Last.Sub(picked.First) + time.Second/sceneFPS
	assert.InDelta(t, span.Seconds(), secs, 0.101, "the gap kept as time")
	assert.Greater(t, picked.Last.Sub(picked.First), 10*time.Second, "across the gap")

	// The README's picture of the timeline.
	if shot := os.Getenv("IMGSTREAM_TIMELINE_SCREENSHOT"); shot != "" {
		// with the square in the picture
		chromedp.Run(ctx, chromedp.Poll[bool](`+document.getElementById('view').dataset.frame >= 14 && document.getElementById('view').complete`, chromedp.WithPollingTimeout(10*time.Second)))
		img, err := chromedp.Run(ctx, chromedp.Screenshot("body"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(shot, img, 0o644))
	}
}
