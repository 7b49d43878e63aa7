package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"image"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/motion"
	"github.com/imgstream/imgstream/player"
	"github.com/imgstream/imgstream/record"
)

type recordFlags struct {
	duration, pre, post, maxEvent, sync, stall  time.Duration
	frames                                      int
	split, preSize, serve, token, auth, onEvent string
	configFile                                  string // --config: many cameras (group.go)
	keep, masks                                 []string
	events, motion, json, v21                   bool
	motionArea                                  float64
	motionThreshold, motionEvery                int
	src                                         sourceFlags
	sinks                                       sinkFlags
}

func newRecord() *cobra.Command {
	var o recordFlags
	cmd := &cobra.Command{
		Use:   "record SRC [OUT] | record --config cameras.yaml",
		Short: "Record a camera: continuously, or the seconds around motion and triggers (a security camera)",
		Long: `Record keeps what SRC sends in OMV files, JPEG as it comes, never re-encoded;
RGB24 and BGR24 frames (numpy's and OpenCV's, from shm:NAME), which no OMV
file holds, are stored as JPEG at quality 90.

SRC is
  http://...   an MJPEG stream: an IP camera, an ESP32-CAM, an OpenMV board,
               imgstream serve (ADDRESS/stream.mjpg)
  rtsp://[USER:PASSWORD@]HOST[:PORT]/PATH, rtsps://...
               an RTSP camera: MJPEG kept as the camera sent it, H.264 and
               H.265 decoded by ffmpeg (--fps decodes fewer); TCP unless
               --rtsp-transport udp; rtsps:// checked against --tls-ca
  exec:COMMAND a camera program, run with no shell (write sh -c '...' for
               one), writing JPEGs, multipart MJPEG or OMV to its stdout; its
               stderr is logged; started again when it exits, its whole
               process group stopped at the end
  -            a stream on stdin, told from its first bytes: OMV IMG STR, JPEGs
               back to back (ffmpeg -f mjpeg -, rpicam-vid --codec mjpeg -o -,
               cv2.imencode's bytes written to stdout), or multipart MJPEG
               (ffmpeg -f mpjpeg -): camera-program | imgstream record - ...
  FILE         a file or a FIFO holding any of these (a FIFO is read as stdin)
  shm:NAME     an shm stream (imgstream shm ls lists them)
  nats://HOST[:PORT]/CAMERA
               a camera that imgstream publish sends on NATS

Cameras, as recipes:
  a USB webcam, with no re-encoding:
    'exec:ffmpeg -f v4l2 -input_format mjpeg -i /dev/video0 -c:v copy -f mjpeg -'
  the Raspberry Pi camera:  'exec:rpicam-vid -t 0 --codec mjpeg -o -'
  any camera ffmpeg reads, as JPEG:
    'exec:ffmpeg -rtsp_transport tcp -i rtsp://CAMERA/stream -f mjpeg -q:v 5 -'

Frames are timed by the source's own clock where it has one (OMV, RTP, shm,
NATS), else by their arrival; imgstream info shows the intervals recorded.

OUT names the files, with strftime's %Y %m %d %H %M %S %j %s from the time
each starts (default clips/%Y%m%d-%H%M%S.omv); directories are made.

Without --pre, --post, --max-event, --motion or --events it records every
frame, for --duration or --count or until interrupted, in files that
--split starts anew (every 10m, or at 1GiB) with no frame lost at a split.

With them it records events: --pre keeps the seconds before a trigger in
memory (at most 5m, in the memory they need, up to --pre-size), and a clip
goes on until --post has passed since the last trigger, so that triggers
close together make one clip; --max-event splits a long one. Triggers: --motion (frame differencing, which
ignores sensor noise and slow light changes), SIGUSR1, a line on stdin (when
SRC is not -), POST /trigger on the --listen address.

Clips are fsynced every --sync, so a power loss or a kill takes at most that
much; --keep 20GiB or --keep 7d removes the oldest clips so that the disk
never fills.

Events: clip_opened, clip (closed), motion_start (with the changed area, 0
to 1), motion_end, camera_up, camera_down, camera_stalled, disk_error, gap,
removed (--keep), and sync (a clip fsynced, only on /api/events). Each has
the camera's --name, the time and the clip. They go, each sink on its own
queue so that none holds up the recording or the others, to:
  --json         a JSON line each on stdout (before, only closed clips)
  --on-event CMD a command (sh -c) for every event (before, only closed
                 clips: test IMGSTREAM_EVENT = clip for the old behaviour),
                 one at a time (at most 16 wait; an event that comes while
                 they do gets none, logged), with IMGSTREAM_EVENT (the kind),
                 IMGSTREAM_CAMERA, IMGSTREAM_CLIP, IMGSTREAM_START,
                 IMGSTREAM_END (RFC 3339), IMGSTREAM_FRAMES, IMGSTREAM_TRIGGER
                 and IMGSTREAM_JSON (the JSON line, also on its stdin)
  --listen       /api/events, Server-Sent Events, which the live page shows
  --webhook URL  a POST of the JSON, retried with a backoff (repeatable)
  --mqtt URL     imgstream/NAME/motion (ON/OFF, retained), .../event (JSON),
                 .../snapshot (JPEG at motion_start), .../availability, and
                 Home Assistant discovery; a message on imgstream/NAME/trigger
                 starts a recording. mqtts:// checks the broker against
                 --mqtt-ca (else the system's CAs).

When the camera drops or sends nothing for --stall, record connects again,
backing off up to 3 s, and says so once; the clip goes on, the gap in its
timing. A source that never delivers (a refused connection, a web page
instead of the stream, no NATS server) is logged at its first failure, with
what it answered, and retried; --duration counts from the start, and ends
such a run with exit status 3. --listen ADDR shows the camera live in the browser while it records,
with a snapshot, a trigger button and /api/status (127.0.0.1 only, unless
--token or --auth guard it; a token is made and printed if neither is given).

Many cameras: --config cameras.yaml records every camera of the file in
one process; one that fails never stops the others, and kill -HUP reloads
the file (cameras added, removed and changed start, stop and restart; the
others run on, losing no frame). --keep (or keep: in the file) bounds the
clips of all the cameras together, the oldest going first. --listen shows
them all in a grid, with /cam/NAME/stream.mjpg, POST /cam/NAME/trigger,
/api/cameras and /api/events. The event sinks (--json, --on-event,
--webhook, --mqtt) take every camera's events, each with its name; mqtt:
and webhooks: in the file serve when the flags are not given (read at the
start, not at a reload). The file:

  keep: 200GiB                  # all cameras together (a size, an age, or both)
  mqtt: mqtt://user:secret@homeassistant.local:1883   # optional
  webhooks: [http://10.0.0.2:8123/api/webhook/imgstream]  # optional
  defaults:                     # for every camera; each may override them
    mode: motion                # continuous (the default), events or motion
    pre: 10s
    post: 5s
    output: clips/{name}/%Y%m%d-%H%M%S.omv   # the default
  cameras:
    door:
      source: http://10.0.0.5/stream.mjpg    # any SRC but -
      motion: {area: 1.5, threshold: 30, every: 2, mask: ["0,0,640,40"]}
    yard:
      source: shm:yard
      mode: continuous
      split: 10m
      keep: 7d                  # this camera's own bound, besides the global

A camera's fields: source, mode, pre, post, pre-size, max-event, split,
sync, stall, output, keep, motion (area, threshold, every, mask), as the
flags of the same names. An error names the file, the line and the field.

CPU: after 10 s using less than a quarter of a core, record runs Go on one
processor, which wakes fewer threads a frame; from the first second above
half a core it takes every core again. GOMAXPROCS=N in the environment sets
the processors instead.`,
		Example: `  imgstream record http://camera/stream.mjpg --duration 1h --split 10m
  imgstream record rtsp://viewer:secret@192.168.1.64/stream1 --motion --pre 10s
  imgstream record 'exec:rpicam-vid -t 0 --codec mjpeg -o -' --events --pre 5s
  imgstream record http://camera/stream.mjpg 'clips/%Y%m%d-%H%M%S.omv' --motion --pre 10s --post 5s --keep 20GiB --listen :8080
  camera-program | imgstream record - out.omv
  imgstream record shm:camera --events --pre 5s --on-event '[ "$IMGSTREAM_EVENT" = clip ] && notify-send "motion: $IMGSTREAM_CLIP"'
  imgstream record http://camera/stream.mjpg --name door --motion --mqtt mqtt://user:secret@homeassistant.local
  kill -USR1 $(pidof imgstream)    # a trigger
  imgstream record --config cameras.yaml --keep 200GiB --listen :8080`,
		Args: cobra.RangeArgs(0, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer governProcs(cmd.Context())() // see procsPeriod
			if o.configFile != "" {
				return runGroup(cmd, args, &o)
			}
			if len(args) == 0 {
				return usageError{fmt.Errorf("record needs SRC, or --config FILE of cameras")}
			}
			return runRecord(cmd, args, &o)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.duration, "duration", 0, "stop after this long")
	f.IntVar(&o.frames, "count", 0, "stop after this many frames (continuous; it was --frames, which works until the next release)")
	oldFlag(cmd, "count", "frames", "")
	f.StringVar(&o.split, "split", "", "start a new file every DURATION (10m) or SIZE (1GiB)")
	f.BoolVar(&o.events, "events", false, "record events only (implied by --pre, --post, --max-event, --motion)")
	f.DurationVar(&o.pre, "pre", 0, "keep this much from before a trigger (at most 5m)")
	f.StringVar(&o.preSize, "pre-size", "64MiB", "the most memory the --pre ring grows to (at most 1GiB and a quarter of the machine's)")
	f.DurationVar(&o.post, "post", 0, "go on this long after the last trigger (default 5s in events)")
	f.DurationVar(&o.maxEvent, "max-event", 0, "split an event's clip after this long")
	f.BoolVar(&o.motion, "motion", false, "trigger on motion")
	f.Float64Var(&o.motionArea, "motion-area", motion.DefaultArea, "percent of the picture that must change for motion")
	f.IntVar(&o.motionThreshold, "motion-threshold", motion.DefaultThreshold, "grey levels (of 255) a pixel must change by")
	f.IntVar(&o.motionEvery, "motion-every", 1, "look at one frame in this many")
	f.StringArrayVar(&o.masks, "motion-mask", nil, "ignore the region X,Y,W,H in the frame's pixels (repeatable)")
	f.DurationVar(&o.sync, "sync", time.Second, "fsync clips this often (0: only when a clip closes)")
	f.StringArrayVar(&o.keep, "keep", nil, "keep at most SIZE (20GiB) or AGE (7d, 12h) of clips, removing the oldest (repeatable)")
	f.StringVar(&o.onEvent, "on-event", "", "run this command (sh -c) at each event: IMGSTREAM_EVENT says which (see Events above)")
	f.BoolVar(&o.json, "json", false, "print each event as a JSON line")
	f.DurationVar(&o.stall, "stall", record.DefaultStall, "connect again after this long with no frame")
	f.StringVar(&o.serve, "listen", "", "show the camera live at this address while recording (it was --serve, which works until the next release)")
	oldFlag(cmd, "listen", "serve", "")
	f.StringVar(&o.token, "token", "", "with --listen: a token every request needs")
	f.StringVar(&o.auth, "auth", "", "with --listen: USER:PASSWORD every request needs")
	f.StringVar(&o.configFile, "config", "", "record the cameras of this YAML file (see Many cameras above)")
	f.BoolVar(&o.v21, "v21", false, "write OMV V2.1 (microsecond timing) instead of V2.0")
	o.sinks.add(cmd)
	o.src.nats.addCredentials(cmd, "nats://: ")
	o.src.addCamera(cmd)
	return cmd
}

func runRecord(cmd *cobra.Command, args []string, o *recordFlags) error {
	c, err := o.config(cmd, args)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	logger := log.New(stderr, "imgstream: ", 0)
	c.Log = logger
	var rec *record.Recorder
	sinks, err := newSinks(cmd, o, logger, func(_, reason string) { rec.Trigger(reason) })
	if err != nil {
		return err
	}
	defer sinks.close() // the --on-event commands, waited for before exiting
	c.Name = cmp.Or(o.sinks.name, "camera")
	c.Notify = func(e record.Event) {
		sinks.notify(e)
		switch e.Kind {
		case record.ClipClosed:
			if !o.json && !quiet(cmd) {
				fmt.Fprintf(stderr, "imgstream: %s: %d frames, %s to %s (%s)\n", e.Path, e.Frames,
					e.Start.Format("15:04:05.000"), e.End.Format("15:04:05.000"), e.End.Sub(e.Start).Round(time.Millisecond))
			}
		case record.Removed:
			if !quiet(cmd) {
				fmt.Fprintf(stderr, "imgstream: removed %s (--keep)\n", e.Path)
			}
		}
	}
	var live *mjpeg.Server
	if o.serve != "" {
		live = &mjpeg.Server{ErrorLog: logger}
		c.Live = live
	}
	rec, err = record.New(c)
	if err != nil {
		return usageError{err}
	}
	sinks.camera(c.Name) // MQTT's triggers call rec
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	if c.Mode == record.Events {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		defer signal.Stop(usr1)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-usr1:
					rec.Trigger("signal")
				}
			}
		}()
		if args[0] != "-" {
			go func() {
				lines := bufio.NewScanner(cmd.InOrStdin())
				for lines.Scan() {
					rec.Trigger("stdin")
				}
			}()
		}
	}
	errc := make(chan error, 1)
	if live != nil {
		l, link, opts, err := listen(o.serve, o.token, o.auth)
		if err != nil {
			return err
		}
		opts.ErrorLog = logger
		opts.Trigger = func() { rec.Trigger("http") }
		opts.Status = func() any { return rec.Status() }
		opts.SnapshotAt = rec.FrameAt
		opts.Events = sinks.sse
		fmt.Fprintf(stderr, "imgstream: live at %s\n", link)
		go func() { errc <- mjpeg.Serve(ctx, l, player.NewLive(live, args[0], opts), live) }()
	}
	if !quiet(cmd) {
		what := "every frame"
		if c.Mode == record.Events {
			what = "events"
		}
		fmt.Fprintf(stderr, "imgstream: recording %s from %s into %s\n", what, args[0], c.Pattern)
	}
	err = rec.Run(ctx)
	cancel()
	if live != nil {
		if serr := <-errc; err == nil {
			err = serr
		}
	}
	if err == context.Canceled && cmd.Context().Err() != nil {
		return nil // interrupted: the clip in progress is closed
	}
	if st := rec.Status(); err == nil && st.FramesIn == 0 {
		// --duration ran out on a source that never delivered, or it
		// ended with none: not a success.
		why := st.LastError
		switch {
		case why != "":
		case c.Duration > 0:
			why = fmt.Sprintf("nothing came in %v (--duration)", c.Duration)
		default:
			why = "it ended with none"
		}
		return fmt.Errorf("no frame from %s: %s", args[0], why)
	}
	return err
}

// config turns the command line into a record.Config.
func (o *recordFlags) config(cmd *cobra.Command, args []string) (record.Config, error) {
	c := record.Config{Pattern: record.DefaultPattern, Duration: o.duration, Frames: o.frames, Pre: o.pre, Post: o.post, SplitEvery: o.maxEvent, Stall: o.stall}
	if len(args) == 2 {
		c.Pattern = args[1]
	}
	src, err := recordSource(cmd, args[0], &o.src)
	if err != nil {
		return c, err
	}
	c.Source = src
	f := cmd.Flags()
	if o.events || o.motion || f.Changed("pre") || f.Changed("post") || f.Changed("max-event") {
		c.Mode = record.Events
		if !f.Changed("post") {
			c.Post = 5 * time.Second
		}
	}
	if o.split != "" {
		if d, err := time.ParseDuration(o.split); err == nil && d > 0 {
			c.SplitEvery = d
		} else if n, err := parseSize(o.split); err == nil {
			c.SplitSize = n
		} else {
			return c, usageError{fmt.Errorf("--split %q: want a duration (10m) or a size (1GiB)", o.split)}
		}
	}
	if c.Mode == record.Events {
		n, err := parseSize(o.preSize)
		if err != nil {
			return c, usageError{fmt.Errorf("--pre-size %q: want a size such as 64MiB", o.preSize)}
		}
		if n > record.MaxPreSize {
			return c, usageError{fmt.Errorf("--pre-size %q: at most %dMiB, as the ring is held in memory", o.preSize, record.MaxPreSize>>20)}
		}
		c.PreSize = int(n)
	}
	if o.motion {
		mc := &motion.Config{Area: o.motionArea, Threshold: o.motionThreshold, Every: o.motionEvery}
		for _, m := range o.masks {
			r, err := parseRect(m)
			if err != nil {
				return c, usageError{fmt.Errorf("--motion-mask %q: %w", m, err)}
			}
			mc.Mask = append(mc.Mask, r)
		}
		c.Motion = mc
	} else if len(o.masks) > 0 || f.Changed("motion-area") || f.Changed("motion-threshold") || f.Changed("motion-every") {
		return c, usageError{fmt.Errorf("the --motion-* flags need --motion")}
	}
	c.Sync = o.sync
	if o.sync == 0 {
		c.Sync = -1
	}
	if c.Keep.Size, c.Keep.Age, err = parseKeep(o.keep); err != nil {
		return c, err
	}
	if o.v21 {
		c.Version = container.V2_1
	}
	if (o.token != "" || o.auth != "") && o.serve == "" {
		return c, usageError{fmt.Errorf("--token and --auth need --listen")}
	}
	return c, nil
}

// maxHooksWaiting bounds the --on-event commands that wait for the one
// running.
const maxHooksWaiting = 16

// hookQueue runs the --on-event command for the events one at a time,
// in order, so that a command slower than the events never piles up
// processes: at most a bound wait, and an event that comes while that
// many wait gets no command, which is logged.
type hookQueue struct {
	run    func(record.Event)
	logger *log.Logger
	queue  chan record.Event
	done   chan struct{}
}

// newHookQueue starts a queue that runs run for each event added, with
// at most size events waiting.
func newHookQueue(run func(record.Event), logger *log.Logger, size int) *hookQueue {
	h := &hookQueue{run: run, logger: logger, queue: make(chan record.Event, size), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for e := range h.queue {
			h.run(e)
		}
	}()
	return h
}

// add queues the command for e, or logs that too many wait.
func (h *hookQueue) add(e record.Event) {
	select {
	case h.queue <- e:
	default:
		h.logger.Printf("--on-event: %d events wait for the command already: none for the %s event %s", cap(h.queue), e.Kind, e.Path)
	}
}

// close waits for the commands queued to run. No add may follow.
func (h *hookQueue) close() {
	close(h.queue)
	<-h.done
}

// parseRect parses X,Y,W,H.
func parseRect(s string) (image.Rectangle, error) {
	var x, y, w, h int
	if n, err := fmt.Sscanf(s, "%d,%d,%d,%d", &x, &y, &w, &h); err != nil || n != 4 || w <= 0 || h <= 0 {
		return image.Rectangle{}, fmt.Errorf("want X,Y,W,H")
	}
	return image.Rect(x, y, x+w, y+h), nil
}
