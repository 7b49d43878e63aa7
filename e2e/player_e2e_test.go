//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/player"
)

var sample = filepath.Join(testkit.Root, "testdata", "sample.omv")

// browser starts headless Chromium (Debian's) at a viewport of w x h and
// returns its context.
func browser(t *testing.T, w, h int) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Debian's chromium is needed")
		}
		t.Skip("no chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel3)
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h))))
	return ctx
}

func serveFile(t *testing.T, path string) string {
	p, err := player.NewFile(path, player.Options{})
	require.NoError(t, err)
	ts := httptest.NewServer(p)
	t.Cleanup(func() { ts.Close(); p.Close() })
	return ts.URL
}

// open navigates to the player at url and waits until its script has the
// recording and shows a frame: before that, clicks find no handlers and
// the frame attribute is not set.
func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url)))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('view').dataset.frame !== undefined`, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err, "the player is ready")
}

// shown returns the frame the page shows (the img's data-frame).
func shown(t *testing.T, ctx context.Context) int {
	t.Helper()
	a, err := chromedp.Run(ctx, chromedp.AttributeValue("#view", "data-frame"))
	require.NoError(t, err)
	n, err := strconv.Atoi(a.Value)
	require.NoError(t, err, "data-frame %q", a.Value)
	return n
}

// waitFrame waits until the page shows frame n and its image has loaded.
func waitFrame(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	js := fmt.Sprintf(`document.getElementById('view').dataset.frame === '%d' && document.getElementById('view').complete`, n)
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err)
}

func TestE2EPlayerPlays(t *testing.T) {
	ctx := browser(t, 1000, 900)
	url := serveFile(t, sample)
	open(t, ctx, url+"/")
	// Playing: the frame shown advances, in the recording's order.
	first := shown(t, ctx)
	seen := []int{first}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < 6 && time.Now().Before(deadline) {
		if f := shown(t, ctx); f != seen[len(seen)-1] {
			seen = append(seen, f)
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.GreaterOrEqual(t, len(seen), 6, "the frame counter advances: %v", seen)
	for i := 1; i < len(seen); i++ {
		assert.Greater(t, seen[i], seen[i-1], "frames follow the recording's order: %v", seen)
	}
	status, err := chromedp.Run(ctx, chromedp.Text("#status"))
	require.NoError(t, err)
	assert.Contains(t, status, "/ 90")
	assert.Contains(t, status, "JPEG 320×240")
}

func TestE2ESeekStepPause(t *testing.T) {
	ctx := browser(t, 1000, 900)
	url := serveFile(t, sample)
	open(t, ctx, url+"/")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click("#play"), // pause
		chromedp.SetValue("#seek", "45")))
	seekTo(t, ctx)
	waitFrame(t, ctx, 45)
	// The image shown is frame 45, as imageio decodes it. The picture is
	// shown at its own size for the comparison, without letterboxing.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const v = document.getElementById('view'); v.style.width = v.naturalWidth + 'px'; v.style.maxHeight = 'none'; return true; })()`))
	require.NoError(t, err)
	shot, err := chromedp.Run(ctx, chromedp.Screenshot("#view", chromedp.NodeVisible))
	require.NoError(t, err)
	s, err := imageio.Open(sample, nil)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Seek(45))
	m, err := s.Read(imageio.ReadOptions{})
	require.NoError(t, err)
	want, err := m.Decode()
	require.NoError(t, err)
	got, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	assert.Equal(t, want.Bounds().Size(), got.Bounds().Size())
	assert.Less(t, meanDiff(want, got), 6.0, "the screen shows frame 45, within JPEG decoders' differences")
	require.NoError(t, s.Seek(10))
	other, _ := s.Read(imageio.ReadOptions{})
	otherImg, _ := other.Decode()
	assert.Greater(t, meanDiff(otherImg, got), meanDiff(want, got), "and not another frame")

	// → steps one frame; paused, it stays there.
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowRight)))
	waitFrame(t, ctx, 46)
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, 46, shown(t, ctx), "paused: the frame holds")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click("#prev")))
	waitFrame(t, ctx, 45)

	// By time: 2 s in is frame 30 of this 15 fps recording.
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue("#seekt", "2000")))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('seekt').dispatchEvent(new Event('input'))`))
	require.NoError(t, err)
	waitFrame(t, ctx, 30)
}

// seekTo sends the seek bar's input event, as a user's drag does.
func seekTo(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('seek').dispatchEvent(new Event('input'))`))
	require.NoError(t, err)
}

// meanDiff is the mean absolute difference of the grey levels of a and b,
// with b scaled to a's size by nearest sampling.
func meanDiff(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	var sum float64
	n := 0
	for y := 0; y < ab.Dy(); y += 2 {
		for x := 0; x < ab.Dx(); x += 2 {
			bx := bb.Min.X + x*bb.Dx()/ab.Dx()
			by := bb.Min.Y + y*bb.Dy()/ab.Dy()
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bx, by).RGBA()
			sum += math.Abs(float64(r1+g1+b1)-float64(r2+g2+b2)) / 3 / 257
			n++
		}
	}
	return sum / float64(n)
}

func TestE2EChartSeeks(t *testing.T) {
	ctx := browser(t, 1000, 900)
	url := serveFile(t, sample)
	open(t, ctx, url+"/")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click("#play")))
	drawn, err := chromedp.Run(ctx, chromedp.AttributeValue("#chart", "data-drawn"))
	require.NoError(t, err)
	assert.Equal(t, "90", drawn.Value, "the chart is drawn with every frame")
	// A click three quarters of the way along seeks there.
	r, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById('chart').getBoundingClientRect(); return [r.left, r.top + r.height / 2, r.width]; })()`))
	require.NoError(t, err)
	x, y, w := r[0], r[1], r[2]
	require.NoError(t, chromedp.Do(ctx, chromedp.MouseClickXY(x+w*0.75, y)))
	f := shown(t, ctx)
	assert.InDelta(t, 67, f, 2, "clicked at 3/4 of 90 frames")
	// A bright (non-empty) chart: some pixels are the bar colour.
	lit, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const c = document.getElementById('chart'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; for (let i = 0; i < d.length; i += 4) if (d[i+2] > 200 && d[i] < 120) return true; return false; })()`))
	require.NoError(t, err)
	assert.True(t, lit, "bars are drawn")
}

func TestE2EFolder(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	for _, n := range []string{"one.omv", "two.omv", "three.omv"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), data, 0o644))
	}
	p, err := player.NewDir(dir, player.Options{})
	require.NoError(t, err)
	ts := httptest.NewServer(p)
	defer ts.Close()
	defer p.Close()
	ctx := browser(t, 1000, 900)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/list"), chromedp.WaitVisible("#recordings li")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`[...document.querySelectorAll('#recordings img')].filter(i => i.complete && i.naturalWidth > 0).length === 3`, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err, "three thumbnails load")
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#recordings img').length`))
	require.NoError(t, err)
	assert.Equal(t, 3, loaded, "three thumbnails")
	// The click leaves the page: wait for the player's before polling it.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click("#recordings li a"), chromedp.WaitVisible("#view")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!document.getElementById('view') && document.getElementById('view').dataset.frame !== undefined`, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err, "the player of the first recording is ready")
	title, err := chromedp.Run(ctx, chromedp.Text("#title"))
	require.NoError(t, err)
	assert.Equal(t, "one.omv", title, "the first card opens its recording in the player")
}

func TestE2EDamaged(t *testing.T) {
	ctx := browser(t, 1000, 900)
	url := serveFile(t, testkit.GoldenPath("truncated_header.omv"))
	open(t, ctx, url+"/")
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible("#damage")))
	damage, err := chromedp.Run(ctx, chromedp.Text("#damage"))
	require.NoError(t, err)
	assert.Contains(t, damage, "frame 2, offset 1904")
	// It plays its two good frames, round and round.
	seen := map[int]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < 2 && time.Now().Before(deadline) {
		seen[shown(t, ctx)] = true
		time.Sleep(10 * time.Millisecond)
	}
	assert.Equal(t, map[int]bool{0: true, 1: true}, seen)
}

// TestE2EPhone: on a 375-pixel-wide viewport the controls fit, are big
// enough to touch, and work; the screenshot goes in the README.
func TestE2EPhone(t *testing.T) {
	ctx := browser(t, 375, 740)
	url := serveFile(t, sample)
	open(t, ctx, url+"/")
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	require.NoError(t, err)
	smallest, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`Math.min(...[...document.querySelectorAll('#controls button, #controls select')].map(e => e.getBoundingClientRect().height))`))
	require.NoError(t, err)
	assert.False(t, overflow, "nothing wider than the screen")
	assert.GreaterOrEqual(t, smallest, 40.0, "controls big enough to touch")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click("#play"), chromedp.Click("#next")))
	f := shown(t, ctx)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click("#next")))
	waitFrame(t, ctx, f+1)

	// The README's picture of the player, at a desktop size.
	desk := browser(t, 900, 760)
	open(t, desk, url+"/")
	require.NoError(t, chromedp.Do(desk, chromedp.Click("#play"), chromedp.SetValue("#seek", "30")))
	seekTo(t, desk)
	waitFrame(t, desk, 30)
	shot, err := chromedp.Run(desk, chromedp.Screenshot("body"))
	require.NoError(t, err)
	if out := os.Getenv("IMGSTREAM_SCREENSHOT"); out != "" {
		require.NoError(t, os.WriteFile(out, shot, 0o644))
	}
}
