package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/motion"
	"github.com/imgstream/imgstream/player"
	"github.com/imgstream/imgstream/record"
)

// groupFlags are the record flags that work with --config; the others
// belong in the config.
var groupFlags = []string{"config", "keep", "listen", "serve", "token", "auth", "json", "on-event", "webhook", "mqtt", "mqtt-ca", "duration", "v21", "quiet", "creds", "tls-ca"}

// cameraSet is the cameras record --config runs: what the config says of
// each, for /api/cameras and for telling a reload's changed cameras.
type cameraSet struct {
	mu      sync.Mutex          // guards the fields below
	specs   map[string]*camSpec // the running cameras' specs
	next    map[string]*camSpec // the specs of a Set in progress
	failed  map[string]string   // cameras left out, and why
	sources map[string]string   // each camera's source, redacted
}

// runGroup is record --config: the cameras of the config file in one
// record.Group, until interrupted; SIGHUP reloads the file.
func runGroup(cmd *cobra.Command, args []string, o *recordFlags) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("--config gives the cameras: no SRC or OUT beside it")}
	}
	var bad []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if !slices.Contains(groupFlags, f.Name) {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) > 0 {
		return usageError{fmt.Errorf("%v: with --config, set these per camera in the config file", bad)}
	}
	if (o.token != "" || o.auth != "") && o.serve == "" {
		return usageError{fmt.Errorf("--token and --auth need --listen")}
	}
	cfg, err := loadConfig(o.configFile)
	if err != nil {
		return usageError{err}
	}
	stderr := cmd.ErrOrStderr()
	logger := log.New(stderr, "imgstream: ", 0)
	set := &cameraSet{specs: map[string]*camSpec{}}
	keepFlags := o.keep
	if len(keepFlags) == 0 {
		keepFlags = cfg.keep
	}
	// The sinks of every camera: the flags', or else the file's.
	if len(o.sinks.webhooks) == 0 {
		o.sinks.webhooks = cfg.webhooks
	}
	if o.sinks.mqtt == "" {
		o.sinks.mqtt, o.sinks.mqttCA = cfg.mqtt, cmp.Or(o.sinks.mqttCA, cfg.mqttCA)
	}
	var g *record.Group
	sinks, err := newSinks(cmd, o, logger, func(camera, reason string) { g.Trigger(camera, reason) })
	if err != nil {
		return err
	}
	defer sinks.close()
	g = &record.Group{Log: logger, Same: func(old, new record.Config) bool {
		set.mu.Lock()
		defer set.mu.Unlock()
		a, b := set.specs[old.Name], set.next[new.Name]
		return a != nil && b != nil && a.key() == b.key()
	}}
	if g.Keep.Size, g.Keep.Age, err = parseKeep(keepFlags); err != nil {
		return err
	}
	notify := func(name string) func(record.Event) {
		sinks.camera(name)
		return func(e record.Event) {
			sinks.notify(e)
			switch e.Kind {
			case record.ClipClosed:
				if !o.json && !quiet(cmd) {
					logger.Printf("%s: %s: %d frames, %s to %s", name, e.Path, e.Frames,
						e.Start.Format("15:04:05.000"), e.End.Format("15:04:05.000"))
				}
			case record.Removed:
				if !quiet(cmd) {
					logger.Printf("%s: removed %s (keep)", name, e.Path)
				}
			}
		}
	}
	apply := func(cfg *camConfig) error {
		var cs []record.Config
		next, failed, sources := map[string]*camSpec{}, map[string]string{}, map[string]string{}
		for _, s := range cfg.cameras {
			sources[s.Name] = redact(s.Source)
			c, err := s.config(cmd, o)
			if err != nil {
				err = &configError{file: cfg.file, line: s.sourceNode.Line, field: "cameras." + s.Name + ".source", err: err}
				logger.Printf("%v: camera %s left out; the others run", err, s.Name)
				failed[s.Name] = err.Error()
				continue
			}
			c.Notify = notify(s.Name)
			cs = append(cs, c)
			next[s.Name] = s
		}
		set.mu.Lock()
		set.next = next
		set.mu.Unlock()
		err := g.Set(cs)
		set.mu.Lock()
		set.specs, set.next, set.failed, set.sources = next, nil, failed, sources
		set.mu.Unlock()
		running := map[string]bool{}
		for _, name := range g.Names() {
			running[name] = true
		}
		sinks.retire(running)
		if err != nil {
			logger.Printf("%v; the other cameras run", err)
		}
		return err
	}
	apply(cfg)

	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	if o.duration > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, o.duration)
		defer c2()
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-sigs:
				if s == syscall.SIGUSR1 {
					for _, name := range g.Names() {
						g.Trigger(name, "signal")
					}
					continue
				}
				cfg, err := loadConfig(o.configFile)
				if err != nil {
					logger.Printf("reload: %v; the cameras run on as they were", err)
					continue
				}
				apply(cfg)
				logger.Printf("reloaded %s: %d cameras", o.configFile, len(g.Names()))
			}
		}
	}()
	errc := make(chan error, 1)
	if o.serve != "" {
		l, link, opts, err := listen(o.serve, o.token, o.auth)
		if err != nil {
			return err
		}
		opts.ErrorLog = logger
		opts.Events = sinks.sse
		cams := func() []player.LiveCamera {
			var out []player.LiveCamera
			for _, name := range g.Names() {
				out = append(out, player.LiveCamera{Name: name, Live: g.Live(name), Trigger: func() { g.Trigger(name, "http") }})
			}
			return out
		}
		fmt.Fprintf(stderr, "imgstream: live at %s\n", link)
		go func() {
			errc <- mjpeg.Serve(ctx, l, player.NewGrid(cams, func() any { return set.status(g) }, opts), nil)
		}()
	} else {
		errc <- nil
	}
	if !quiet(cmd) {
		logger.Printf("recording %d cameras of %s (kill -HUP %d reloads it)", len(g.Names()), o.configFile, os.Getpid())
	}
	err = g.Run(ctx)
	cancel()
	if serr := <-errc; serr != nil {
		return serr
	}
	if err == context.Canceled || err == context.DeadlineExceeded {
		return nil
	}
	return err
}

// cameraStatus is a camera in /api/cameras.
type cameraStatus struct {
	Name      string    `json:"name"`
	Source    string    `json:"source"` // passwords redacted
	Running   bool      `json:"running"`
	Connected bool      `json:"connected"`
	Recording bool      `json:"recording"`
	Clip      string    `json:"clip,omitempty"`
	FPS       float64   `json:"fps"`
	FramesIn  uint64    `json:"frames_in"`
	Dropped   uint64    `json:"dropped"`
	Clips     int       `json:"clips"`
	LastEvent time.Time `json:"last_event,omitzero"` // the start of the last clip closed
	LastClip  string    `json:"last_clip,omitempty"`
	LastError string    `json:"last_error,omitempty"`
}

// status returns the cameras for /api/cameras, by name; those left out
// of the config have running false and say why.
func (s *cameraSet) status(g *record.Group) []cameraStatus {
	s.mu.Lock()
	failed, sources := s.failed, s.sources
	s.mu.Unlock()
	var out []cameraStatus
	for _, st := range g.Status() {
		c := cameraStatus{Name: st.Name, Source: sources[st.Name], Running: st.Ended == "", Connected: st.Connected,
			Recording: st.Recording, Clip: st.Clip, FPS: st.FPS, FramesIn: st.FramesIn, Dropped: st.Dropped, Clips: st.Clips,
			LastError: st.LastError}
		if st.LastClip != nil {
			c.LastEvent, c.LastClip = st.LastClip.Start, st.LastClip.Path
		}
		if st.Ended != "" {
			c.LastError = st.Ended
		}
		out = append(out, c)
	}
	for name, why := range failed {
		out = append(out, cameraStatus{Name: name, Source: sources[name], LastError: why})
	}
	slices.SortFunc(out, func(a, b cameraStatus) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

// config makes the record.Config of the camera.
func (s *camSpec) config(cmd *cobra.Command, o *recordFlags) (record.Config, error) {
	c := record.Config{Name: s.Name, Pattern: s.Output, Stall: s.Stall, Sync: s.Sync}
	if s.Sync == 0 {
		c.Sync = -1
	}
	if o.v21 {
		c.Version = container.V2_1
	}
	if s.Mode != "continuous" {
		c.Mode = record.Events
		c.Pre, c.Post, c.SplitEvery, c.PreSize = s.Pre, s.Post, s.MaxEvent, int(s.PreSize)
	}
	if s.Split != "" {
		if d, err := time.ParseDuration(s.Split); err == nil && d > 0 {
			c.SplitEvery = d
		} else if n, err := parseSize(s.Split); err == nil {
			c.SplitSize = n
		}
	}
	if s.Mode == "motion" {
		mc := &motion.Config{Area: motion.DefaultArea, Threshold: motion.DefaultThreshold, Every: s.Every}
		if s.Area > 0 {
			mc.Area = s.Area
		}
		if s.Threshold > 0 {
			mc.Threshold = s.Threshold
		}
		for _, m := range s.Mask {
			r, _ := parseRect(m) // checked by the parser
			mc.Mask = append(mc.Mask, r)
		}
		c.Motion = mc
	}
	var err error
	if c.Keep.Size, c.Keep.Age, err = parseKeep(s.Keep); err != nil {
		return c, err
	}
	src, err := recordSource(cmd, s.Source, &o.src)
	if err != nil {
		return c, err
	}
	c.Source = src
	return c, nil
}
