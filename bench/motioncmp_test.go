package bench

// Against Motion, side by side (issue 20): the same emulated 640x480 30 fps
// MJPEG cameras recorded by `imgstream record --config` and by Debian's
// Motion 4.5.1, one after the other, continuously and on motion with 10 s
// before it.
//
// Each emulated camera is an HTTP server on 127.0.0.1 in the test's process
// that sends multipart/x-mixed-replace as an IP camera does: a boundary and
// a Content-Length per JPEG, 30 a second on a ticker. The JPEGs are encoded
// once (a still scene with a little sensor noise, and a figure walking
// across it for sceneMove frames every scenePeriod), and each frame sent
// carries its number in a JPEG comment, so the frames imgstream kept are
// counted exactly. Motion re-encodes them, so its movies are counted in
// packets by ffprobe.
//
//	cd bench && IMGSTREAM_MOTION_N=1,2,4,8,16,32 IMGSTREAM_MOTION_SECONDS=60 \
//	    go test -run TestAgainstMotion -v -timeout 0
//
// TestAgainstMotion skips without IMGSTREAM_MOTION_N. The test-sized form,
// for CI, is TestE2EAgainstMotion (make e2e).

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/imgstream/imgstream/container"
)

// The emulated cameras and their scene.
const (
	camW, camH  = 640, 480
	camFPS      = 30
	camQuality  = 80
	scenePeriod = 30 * camFPS // a figure walks across every 30 s
	sceneStart  = 12 * camFPS // 12 s into each period: after 10 s of pre-capture
	sceneMove   = 3 * camFPS  // for 3 s
	stillFrames = 15          // still pictures, each with its own noise, in turn

	// preSeconds and postSeconds are the pre- and post-capture of the
	// motion mode: imgstream's `pre: 10s`, and its default post of 5 s.
	preSeconds  = 10
	postSeconds = 5
	// motionPreCap is Motion's pre_capture, in frames: 10 s at 30 fps.
	// Motion 4.5.1 takes it (its log says "Resizing pre_capture buffer to
	// 301 items"), though its manual recommends 0 to 5 and warns that
	// large values make it skip frames when an event starts.
	motionPreCap = preSeconds * camFPS
	// framePeriod is the time between two frames of a camera.
	framePeriod = time.Second / camFPS
	// sendBuffer is how many frames a camera holds for a client slow to
	// read (a second's), before it skips frames.
	sendBuffer = camFPS
	// detectSlack is how many frames after the figure first shows that a
	// detector may see it and still count as keeping its pre-capture.
	detectSlack = camFPS / 2
)

// sceneFrames are the pre-encoded JPEGs of the scene.
type sceneFrames struct {
	still [][]byte
	move  [][]byte
}

var (
	sceneOnce sync.Once
	scene     *sceneFrames
)

// theScene encodes the scene's JPEGs once.
func theScene() *sceneFrames {
	sceneOnce.Do(func() {
		s := &sceneFrames{}
		rng := rand.New(rand.NewPCG(1, 2))
		for range stillFrames {
			s.still = append(s.still, sceneJPEG(rng, -1))
		}
		for i := range sceneMove {
			s.move = append(s.move, sceneJPEG(rng, i))
		}
		scene = s
	})
	return scene
}

// sceneJPEG draws the background with noise of a few levels and, when
// step >= 0, a dark figure 100x180 at step of its walk from the left edge
// to the right, and encodes it.
func sceneJPEG(rng *rand.Rand, step int) []byte {
	m := image.NewYCbCr(image.Rect(0, 0, camW, camH), image.YCbCrSubsampleRatio420)
	for y := range camH {
		for x := range camW {
			v := 60 + x/5 + y/6
			if (x/80+y/60)%2 == 0 { // tiles, so the picture has edges
				v += 30
			}
			v += rng.IntN(5) - 2
			m.Y[y*m.YStride+x] = byte(v)
		}
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = 120, 135
	}
	if step >= 0 {
		x0 := -100 + step*(camW+100)/sceneMove
		for y := 200; y < 380; y++ {
			for x := max(x0, 0); x < min(x0+100, camW); x++ {
				m.Y[y*m.YStride+x] = 20
			}
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: camQuality}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// frame returns the JPEG of frame n.
func (s *sceneFrames) frame(n int64) []byte {
	if p := n % scenePeriod; p >= sceneStart && p < sceneStart+sceneMove {
		return s.move[p-sceneStart]
	}
	return s.still[n%stillFrames]
}

const numberMagic = "imgstream-frame:"

// appendNumbered appends jpg to dst with a comment holding n after its SOI.
func appendNumbered(dst, jpg []byte, n int64) []byte {
	dst = append(dst, jpg[:2]...)
	dst = append(dst, 0xff, 0xfe, 0, byte(2+len(numberMagic)+8))
	dst = append(dst, numberMagic...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	return append(dst, jpg[2:]...)
}

// frameNumber returns the number appendNumbered put in a frame.
func frameNumber(frame []byte) (int64, bool) {
	i := bytes.Index(frame[:min(len(frame), 64)], []byte(numberMagic))
	if i < 0 || i+len(numberMagic)+8 > len(frame) {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(frame[i+len(numberMagic):])), true
}

// camera is an emulated IP camera: an MJPEG stream at camFPS on its own
// port. Its frames are numbered from 0 across its connections.
type camera struct {
	URL     string
	srv     *http.Server
	scene   *sceneFrames
	next    atomic.Int64 // the number of the next frame: the frames sent
	skipped atomic.Int64 // frames never sent: the client was more than sendBuffer behind
	late    atomic.Int64 // of those, frames skipped though the client was not blocking the writes
	conns   atomic.Int64 // connections served
}

// startCamera starts a camera on 127.0.0.1.
func startCamera(t testing.TB) *camera {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &camera{URL: "http://" + l.Addr().String() + "/stream.mjpg", scene: theScene()}
	c.srv = &http.Server{Handler: c, ReadHeaderTimeout: 5 * time.Second}
	go c.srv.Serve(l)
	t.Cleanup(c.stop)
	return c
}

// stop ends the camera: its listener and streams close.
func (c *camera) stop() { c.srv.Close() }

func (c *camera) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.conns.Add(1)
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=camframe")
	w.Header().Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	tick := time.NewTicker(framePeriod)
	defer tick.Stop()
	start := time.Now()
	var sent int64            // frames this connection sent
	var blocked time.Duration // in writes since the last tick
	buf := make([]byte, 0, 128<<10)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		// Frames are due on the clock. One sent late (a busy machine,
		// a client slow to read) goes out as soon as it can, after the
		// one before, as from a camera's send buffer; a client more
		// than sendBuffer behind loses the frames it holds up: a
		// camera does not wait.
		due := int64(time.Since(start)/framePeriod) + 1
		if behind := due - sent; behind > sendBuffer {
			c.skipped.Add(behind - sendBuffer)
			if blocked < time.Second {
				// The client read the frames before: this camera
				// itself ran late (a starved test process).
				c.late.Add(behind - sendBuffer)
			}
			sent += behind - sendBuffer
		}
		blocked = 0
		for ; sent < due; sent++ {
			w0 := time.Now()
			n := c.next.Load()
			jpg := c.scene.frame(n)
			size := len(jpg) + 4 + len(numberMagic) + 8
			buf = fmt.Appendf(buf[:0], "--camframe\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", size)
			buf = appendNumbered(buf, jpg, n)
			buf = append(buf, "\r\n"...)
			if _, err := w.Write(buf); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			blocked += time.Since(w0)
			c.next.Add(1)
		}
	}
}

// A recorder under comparison.
type recorder struct {
	Name string // imgstream, motion-h264, motion-pass
	// Pass is Motion's movie_passthrough: the camera's JPEGs into the
	// movie, decoded for detection only.
	Pass bool
}

func (r recorder) motion() bool { return strings.HasPrefix(r.Name, "motion") }

var (
	imgstreamRec  = recorder{Name: "imgstream"}
	motionH264Rec = recorder{Name: "motion-h264"}
	motionPassRec = recorder{Name: "motion-pass", Pass: true}
)

// runResult is what one run measured.
type runResult struct {
	Recorder string
	Mode     string // continuous or motion
	N        int
	Seconds  float64 // the recorder's run, from start to stop
	Window   float64 // the steady-state window CPU is measured over, seconds
	CPU      float64 // CPU time over the window / window / N: a fraction of one core per camera
	RSS      int64   // peak RSS (VmHWM), bytes
	Sent     int64   // frames the cameras sent
	Skipped  int64   // frames the cameras could not send: the recorder was not reading, or the camera ran late
	Late     int64   // of those, frames skipped by a camera that ran late while its writes did not block
	Kept     int64   // frames in the recordings
	Clips    int     // files
	Bytes    int64   // bytes of the recordings
	// Imgstream's frames are numbered, so these are exact for it (-1 for
	// Motion): frames missing between two frames of a clip, frames
	// repeated, and in the motion mode, the events (figure walks sent)
	// and those kept whole with their pre-capture.
	Gaps, Repeats         int64
	Events, EventsWithPre int
	// SeenAfter is the most frames after the figure showed that the
	// detector saw it, from where its clips start (±1).
	SeenAfter int64
	Log       string // the recorder's log, for a failure
}

// lost is the frames a continuous recording did not keep.
func (r *runResult) lost() int64 { return r.Sent - r.Kept + r.Skipped }

// MBPerCamMinute is the megabytes written per camera-minute.
func (r *runResult) MBPerCamMinute() float64 {
	return float64(r.Bytes) / 1e6 / float64(r.N) / (r.Seconds / 60)
}

// harness holds what every run needs.
type harness struct {
	t        testing.TB
	dir      string
	imgBin   string
	clkTck   float64
	warmup   time.Duration
	settle   time.Duration // between stopping the cameras and the recorder
	ffprobe  string
	motionFn string // /usr/bin/motion
}

// newHarness builds the imgstream command into a temporary directory.
func newHarness(t testing.TB) *harness {
	h := &harness{t: t, dir: t.TempDir(), clkTck: 100, warmup: 5 * time.Second, settle: 2 * time.Second}
	if d := os.Getenv(envMotionKeep); d != "" { // keep the recordings and logs there
		h.dir = d
	}
	if out, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && v > 0 {
			h.clkTck = float64(v)
		}
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command, to build imgstream: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if bin := os.Getenv(envMotionBin); bin != "" {
		// An A/B comparison of two builds; absolute, as the recorder
		// runs in its own directory.
		if h.imgBin, err = filepath.Abs(bin); err != nil {
			t.Fatal(err)
		}
		return h
	}
	h.imgBin = filepath.Join(h.dir, "imgstream")
	build := exec.Command(goCmd, "build", "-o", h.imgBin, "./cmd/imgstream")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/imgstream: %v\n%s", err, out)
	}
	return h
}

// procCPU returns the CPU time of process pid and its waited-for
// children, all threads, in seconds.
func (h *harness) procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after its closing one. utime is field 14, stime 15, cutime
	// 16, cstime 17.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var ticks float64
	for _, k := range []int{11, 12, 13, 14} { // fields 14-17, counted from field 3
		v, err := strconv.ParseFloat(f[k], 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += v
	}
	return ticks / h.clkTck, nil
}

// peakRSS returns VmHWM of process pid, in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
}

// run records n new cameras with rec in mode for the given time and
// measures it.
func (h *harness) run(rec recorder, mode string, n int, length time.Duration) *runResult {
	t := h.t
	t.Helper()
	dir := filepath.Join(h.dir, fmt.Sprintf("%s-%s-%d", rec.Name, mode, n))
	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	cams := make([]*camera, n)
	for i := range cams {
		cams[i] = startCamera(t)
	}
	var cmd *exec.Cmd
	logFile := filepath.Join(dir, "log")
	if rec.motion() {
		cmd = h.motionCmd(rec, mode, cams, dir, out, logFile)
	} else {
		cmd = h.imgstreamCmd(mode, cams, dir, out, logFile)
	}
	res := &runResult{Recorder: rec.Name, Mode: mode, N: n, Gaps: -1, Repeats: -1}
	readLog := func() string { b, _ := os.ReadFile(logFile); return string(b) }
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", rec.Name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	pid := cmd.Process.Pid
	warm := min(h.warmup, length/4)
	sample := func(at time.Duration) float64 {
		select {
		case err := <-exited:
			t.Fatalf("%s %s N=%d ended early (%v); its log:\n%s", rec.Name, mode, n, err, readLog())
		case <-time.After(time.Until(start.Add(at))):
		}
		cpu, err := h.procCPU(pid)
		if err != nil {
			t.Fatal(err)
		}
		return cpu
	}
	c0 := sample(warm)
	t0 := time.Now()
	var perf *exec.Cmd
	if file := os.Getenv(envMotionPerf); file != "" {
		// perf samples the recorder over the window, call graphs by
		// frame pointers, which Go keeps.
		perf = exec.Command("perf", "record", "-F", "499", "-g", "-o", fmt.Sprintf("%s.%s-%s-%d", file, rec.Name, mode, n), "-p", strconv.Itoa(pid))
		if out, err := os.Create(filepath.Join(dir, "perf.log")); err == nil {
			perf.Stdout, perf.Stderr = out, out
			defer out.Close()
		}
		if err := perf.Start(); err != nil {
			t.Logf("perf: %v", err)
			perf = nil
		}
	}
	c1 := sample(length)
	if perf != nil {
		perf.Process.Signal(syscall.SIGINT)
		perf.Wait()
	}
	res.Window = time.Since(t0).Seconds()
	res.CPU = (c1 - c0) / res.Window / float64(n)
	var err error
	if res.RSS, err = peakRSS(pid); err != nil {
		t.Fatal(err)
	}
	for _, c := range cams {
		c.stop()
	}
	for _, c := range cams {
		res.Sent += c.next.Load()
		res.Skipped += c.skipped.Load()
		res.Late += c.late.Load()
	}
	// The frames on their way are written before the recorder stops:
	// the cameras sent their last, and the recorder has nothing to wait
	// for but its disk.
	time.Sleep(h.settle)
	res.Seconds = time.Since(start).Seconds()
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Errorf("%s %s N=%d did not stop in 30 s after SIGINT: killed", rec.Name, mode, n)
	}
	res.Log = readLog()
	if rec.motion() {
		h.countMotion(res, out)
	} else {
		countImgstream(t, res, out, cams)
	}
	return res
}

// imgstreamCmd writes the cameras' config and returns the command that
// records it.
func (h *harness) imgstreamCmd(mode string, cams []*camera, dir, out, logFile string) *exec.Cmd {
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "defaults:\n  mode: %s\n  output: %s/{name}/%%Y%%m%%d-%%H%%M%%S.omv\n", mode, out)
	if mode == "motion" {
		// Every frame analysed (the default), at the motion package's
		// default threshold and area; pre 10 s, post the default 5 s.
		fmt.Fprintf(&cfg, "  pre: %ds\n  post: %ds\n  motion: {every: 1}\n", preSeconds, postSeconds)
	}
	cfg.WriteString("cameras:\n")
	for i, c := range cams {
		fmt.Fprintf(&cfg, "  cam%02d:\n    source: %s\n", i+1, c.URL)
	}
	file := filepath.Join(dir, "cameras.yaml")
	if err := os.WriteFile(file, []byte(cfg.String()), 0o644); err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command(h.imgBin, "record", "--config", file)
	cmd.Dir = dir
	lf, err := os.Create(logFile)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { lf.Close() })
	cmd.Stdout, cmd.Stderr = lf, lf
	return cmd
}

// motionCmd writes Motion's config, one camera file per camera, and
// returns the command that runs it. See motionConfig for the settings.
func (h *harness) motionCmd(rec recorder, mode string, cams []*camera, dir, out, logFile string) *exec.Cmd {
	var main strings.Builder
	main.WriteString(motionConfig(rec, mode))
	for i, c := range cams {
		name := fmt.Sprintf("cam%02d", i+1)
		target := filepath.Join(out, name)
		if err := os.MkdirAll(target, 0o755); err != nil {
			h.t.Fatal(err)
		}
		camFile := filepath.Join(dir, name+".conf")
		cam := fmt.Sprintf("camera_id %d\ncamera_name %s\nnetcam_url %s\ntarget_dir %s\n", i+1, name, c.URL, target)
		if err := os.WriteFile(camFile, []byte(cam), 0o644); err != nil {
			h.t.Fatal(err)
		}
		fmt.Fprintf(&main, "camera %s\n", camFile)
	}
	file := filepath.Join(dir, "motion.conf")
	if err := os.WriteFile(file, []byte(main.String()), 0o644); err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command(h.motionFn, "-n", "-c", file, "-l", logFile)
	cmd.Dir = dir
	return cmd
}

// motionConfig is Motion's main config for a recorder and mode, set to
// record as imgstream does: the camera's 640x480 at 30 fps, movies only
// (no pictures), no web control or stream port, the whole stream
// (emulate_motion) in the continuous mode; in the motion mode every frame
// analysed, motion at 1 % of the picture's pixels changed by 25 grey
// levels (imgstream's defaults; noise_tune off so the level holds),
// 10 s of pre-capture (motionPreCap) and 5 s after.
func motionConfig(rec recorder, mode string) string {
	var b strings.Builder
	b.WriteString("daemon off\nsetup_mode off\nlog_level 6\nwebcontrol_port 0\nstream_port 0\n")
	b.WriteString("width 640\nheight 480\nframerate 30\n")
	b.WriteString("picture_output off\nsnapshot_interval 0\nmovie_output on\nmovie_max_time 0\n")
	b.WriteString("movie_filename %v-%Y%m%d%H%M%S\n")
	b.WriteString("movie_codec mkv\n")
	if rec.Pass {
		b.WriteString("movie_passthrough on\n")
	}
	b.WriteString("threshold 3072\nnoise_level 25\nnoise_tune off\nminimum_motion_frames 1\n")
	if mode == "continuous" {
		b.WriteString("emulate_motion on\npre_capture 0\npost_capture 0\nevent_gap 60\n")
	} else {
		fmt.Fprintf(&b, "emulate_motion off\npre_capture %d\npost_capture %d\nevent_gap %d\n", motionPreCap, postSeconds*camFPS, postSeconds)
	}
	return b.String()
}

// countImgstream reads every clip: the frames kept, their numbers, the
// bytes; the gaps and repeats within clips, and in the motion mode the
// figure's walks kept whole with their pre-capture.
func countImgstream(t testing.TB, res *runResult, out string, cams []*camera) {
	res.Gaps, res.Repeats = 0, 0
	for i, c := range cams {
		dir := filepath.Join(out, fmt.Sprintf("cam%02d", i+1))
		var clips []clip
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			res.Bytes += fi.Size()
			if !strings.HasSuffix(p, ".omv") {
				return nil
			}
			c, err := readClip(p)
			if err != nil {
				return err
			}
			clips = append(clips, c)
			return nil
		})
		if err != nil {
			t.Fatalf("reading %s's clips: %v", dir, err)
		}
		res.Clips += len(clips)
		for _, c := range clips {
			nums := c.nums
			res.Kept += int64(len(nums))
			for j := 1; j < len(nums); j++ {
				switch d := nums[j] - nums[j-1]; {
				case d > 1:
					res.Gaps += d - 1
				case d < 1:
					res.Repeats++
				}
			}
		}
		if res.Mode != "motion" {
			continue
		}
		sent := c.next.Load()
		for s := int64(sceneStart); s+sceneMove+postSeconds*camFPS <= sent; s += scenePeriod {
			res.Events++
			for _, cl := range clips {
				if seen, ok := keptWhole(cl, s); ok {
					res.EventsWithPre++
					res.SeenAfter = max(res.SeenAfter, seen)
					break
				}
			}
		}
	}
}

// keptWhole reports whether the clip holds the walk that starts at frame
// s whole, with Pre before the trigger: every frame from its first to
// the walk's last, the first at least Pre (less detectSlack) before the
// walk's (by the clip's times, the frames' arrival, which Pre counts in;
// on a busy machine they arrive unevenly, so frame numbers would not
// do). seen is the frames from the walk's first to the one Pre after the
// clip's first: about the one the detector saw it in.
func keptWhole(cl clip, s int64) (seen int64, ok bool) {
	nums, to := cl.nums, s+sceneMove-1
	if len(nums) == 0 || nums[0] > s || nums[len(nums)-1] < to || hasGap(nums, nums[0], to) {
		return 0, false
	}
	j, _ := slices.BinarySearch(nums, s)
	const pre = preSeconds * time.Second
	if cl.times[j] < pre-detectSlack*framePeriod {
		return 0, false
	}
	k, _ := slices.BinarySearch(cl.times, pre)
	return nums[min(k, len(nums)-1)] - s, true
}

// hasGap reports whether the clip's numbers miss one in [from, to].
func hasGap(nums []int64, from, to int64) bool {
	i, _ := slices.BinarySearch(nums, from)
	j, _ := slices.BinarySearch(nums, to)
	return j >= len(nums) || nums[j] != to || int64(j-i) != to-from
}

// clip is what a clip holds: its frames' numbers and times, in order.
type clip struct {
	nums  []int64
	times []time.Duration // since the clip's first frame
}

// readClip reads the numbers and times of the frames of an OMV clip.
func readClip(path string) (clip, error) {
	var c clip
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	r, err := container.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	var buf []byte
	for {
		var err error
		_, buf, err = r.ReadFrame(buf)
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return c, fmt.Errorf("%s: frame %d: %w", path, len(c.nums), err)
		}
		n, ok := frameNumber(buf)
		if !ok {
			return c, fmt.Errorf("%s: frame %d has no number", path, len(c.nums))
		}
		c.nums = append(c.nums, n)
		c.times = append(c.times, r.Time())
	}
}

// countMotion counts the packets (frames) of Motion's movies with
// ffprobe, without decoding them, and their bytes.
func (h *harness) countMotion(res *runResult, out string) {
	t := h.t
	var files []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		res.Bytes += fi.Size()
		files = append(files, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		out, err := exec.Command(h.ffprobe, "-v", "error", "-count_packets", "-select_streams", "v:0",
			"-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", f).Output()
		if err != nil {
			t.Logf("ffprobe %s: %v (counted as 0 frames)", f, err)
			continue
		}
		k, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(out)), ",")), 10, 64)
		if err != nil {
			t.Logf("ffprobe %s: %q", f, out)
			continue
		}
		res.Kept += k
		res.Clips++
	}
}

// needTools returns the harness with Motion and ffprobe found, or skips
// (fails in CI, which installs them).
func needTools(t *testing.T, h *harness) {
	for _, name := range []string{"motion", "ffprobe"} {
		p, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed: %v", name, err)
			}
			t.Skipf("%s is not installed", name)
		}
		if name == "motion" {
			h.motionFn = p
		} else {
			h.ffprobe = p
		}
	}
}

// Knobs of TestAgainstMotion.
const (
	envMotionN         = "IMGSTREAM_MOTION_N"         // camera counts, such as 1,2,4,8,16,32
	envMotionSeconds   = "IMGSTREAM_MOTION_SECONDS"   // each run's length (default 30)
	envMotionRecorders = "IMGSTREAM_MOTION_RECORDERS" // imgstream,motion-h264,motion-pass (default all)
	envMotionModes     = "IMGSTREAM_MOTION_MODES"     // continuous,motion (default both)
	envMotionKeep      = "IMGSTREAM_MOTION_KEEP"      // a directory to leave the recordings and logs in
	envMotionPerf      = "IMGSTREAM_MOTION_PERF"      // perf record each recorder over the window, into FILE.RECORDER-MODE-N
	envMotionBin       = "IMGSTREAM_MOTION_BIN"       // an imgstream binary to run instead of building ../cmd/imgstream
)

// TestAgainstMotion is the full comparison: for each N of
// IMGSTREAM_MOTION_N, each mode and each recorder, a run of
// IMGSTREAM_MOTION_SECONDS; it prints a markdown table of the figures
// and their ratios to Motion's. It fails only on a recorder that does not
// run; what the figures say is for the reader.
func TestAgainstMotion(t *testing.T) {
	ns := os.Getenv(envMotionN)
	if ns == "" {
		t.Skipf("set %s=1,2,4,8,16,32 (and %s, default 30) to compare with Motion", envMotionN, envMotionSeconds)
	}
	var counts []int
	for f := range strings.SplitSeq(ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want camera counts such as 1,2,4", envMotionN, ns)
		}
		counts = append(counts, n)
	}
	seconds := 30
	if s := os.Getenv(envMotionSeconds); s != "" {
		var err error
		if seconds, err = strconv.Atoi(s); err != nil || seconds < 10 {
			t.Fatalf("%s=%q: want seconds, at least 10", envMotionSeconds, s)
		}
	}
	list := func(env string, all []string) []string {
		v := os.Getenv(env)
		if v == "" {
			return all
		}
		return strings.Split(v, ",")
	}
	modes := list(envMotionModes, []string{"continuous", "motion"})
	recs := map[string]recorder{}
	for _, name := range list(envMotionRecorders, []string{"imgstream", "motion-h264", "motion-pass"}) {
		switch name {
		case "imgstream":
			recs[name] = imgstreamRec
		case "motion-h264":
			recs[name] = motionH264Rec
		case "motion-pass":
			recs[name] = motionPassRec
		default:
			t.Fatalf("%s: %q: want imgstream, motion-h264 or motion-pass", envMotionRecorders, name)
		}
	}
	h := newHarness(t)
	if recs["motion-h264"].Name != "" || recs["motion-pass"].Name != "" {
		needTools(t, h)
	}
	var results []*runResult
	for _, n := range counts {
		for _, mode := range modes {
			for _, name := range []string{"imgstream", "motion-h264", "motion-pass"} {
				rec, ok := recs[name]
				if !ok {
					continue
				}
				r := h.run(rec, mode, n, time.Duration(seconds)*time.Second)
				t.Logf("%s %s N=%d: %.1f %% of a core per camera, %.0f MB peak RSS, %d/%d frames kept (%d skipped, %d of them by a late camera), %d clips, %.1f MB per camera-minute, gaps %d, events %d/%d seen after at most %d frames",
					r.Recorder, r.Mode, r.N, 100*r.CPU, float64(r.RSS)/1e6, r.Kept, r.Sent, r.Skipped, r.Late, r.Clips, r.MBPerCamMinute(), r.Gaps, r.EventsWithPre, r.Events, r.SeenAfter)
				if r.Recorder == "imgstream" && (r.Skipped > 0 || r.Gaps > 0 || r.EventsWithPre < r.Events) {
					lines := strings.Split(strings.TrimSpace(r.Log), "\n")
					t.Logf("imgstream's log, last lines:\n%s", strings.Join(lines[max(len(lines)-30, 0):], "\n"))
				}
				results = append(results, r)
			}
		}
	}
	fmt.Print(motionTable(results, seconds))
}

// motionTable formats the results as markdown: a row per run, imgstream's
// CPU per camera as a ratio to each Motion variant's of the same N and
// mode.
func motionTable(results []*runResult, seconds int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d s runs, CPU over the window after the first %s, per camera as %% of one core\n\n", seconds, "5 s")
	b.WriteString("| N | mode | recorder | CPU/camera | µs/frame | imgstream ÷ this | peak RSS | frames kept/sent | lost | events kept with pre | MB per camera-minute |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	find := func(rec, mode string, n int) *runResult {
		for _, r := range results {
			if r.Recorder == rec && r.Mode == mode && r.N == n {
				return r
			}
		}
		return nil
	}
	for _, r := range results {
		ratio := ""
		if r.Recorder != "imgstream" {
			if i := find("imgstream", r.Mode, r.N); i != nil && r.CPU > 0 {
				ratio = fmt.Sprintf("%.2f×", i.CPU/r.CPU)
			}
		}
		lost := "—"
		events := "—"
		if r.Recorder == "imgstream" {
			if r.Mode == "continuous" {
				lost = fmt.Sprintf("%d (%d by a late camera)", r.lost(), r.Late)
			} else {
				lost = fmt.Sprintf("%d (%d by a late camera)", r.Gaps+r.Skipped, r.Late)
				events = fmt.Sprintf("%d/%d, seen after ≤ %d frames", r.EventsWithPre, r.Events, r.SeenAfter)
			}
		} else if r.Mode == "continuous" {
			lost = fmt.Sprintf("%d (count)", r.lost())
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %.2f %% | %.0f | %s | %.0f MB | %d/%d (%.3f) | %s | %s | %.1f |\n",
			r.N, r.Mode, r.Recorder, 100*r.CPU, r.CPU/camFPS*1e6, ratio, float64(r.RSS)/1e6,
			r.Kept, r.Sent, float64(r.Kept)/float64(max(r.Sent, 1)), lost, events, r.MBPerCamMinute())
	}
	return b.String()
}
