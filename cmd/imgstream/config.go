package main

// The camera config of record --config, in YAML through go.yaml.in/yaml/v3:
// the YAML project's maintained v3 (gopkg.in/yaml.v3's successor, already
// in this module's graph through cobra's docs), whose yaml.Node carries
// the line of every key and value, so that an error names the file, the
// line and the field, and an unknown field is refused with its line.

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/imgstream/imgstream/mqtt"
)

// camSpec is one camera of a config, defaults applied; each field's node
// is kept for its line in an error.
type camSpec struct {
	Name       string
	Source     string
	Mode       string // continuous, events, motion
	Pre, Post  time.Duration
	PreSize    int64
	MaxEvent   time.Duration
	Split      string
	Sync       time.Duration
	Stall      time.Duration
	Output     string
	Keep       []string
	Area       float64
	Threshold  int
	Every      int
	Mask       []string
	sourceNode *yaml.Node // for errors about the source
	line       int        // the camera's line
}

// key is what the camera's recording depends on: two specs with the same
// key record the same way, so a reload keeps such a camera running.
func (s *camSpec) key() string {
	c := *s
	c.sourceNode, c.line = nil, 0
	return fmt.Sprintf("%#v", c)
}

// camConfig is a parsed config file.
type camConfig struct {
	file     string
	keep     []string
	mqtt     string   // mqtt: the broker of every camera's events
	mqttCA   string   // mqtt-ca: its CA
	webhooks []string // webhooks: the URLs every camera's events are posted to
	cameras  []*camSpec
}

// configError is an error in a config file: its line and the field.
type configError struct {
	file  string
	line  int
	field string
	err   error
}

func (e *configError) Error() string {
	if e.field == "" {
		return fmt.Sprintf("%s:%d: %v", e.file, e.line, e.err)
	}
	return fmt.Sprintf("%s:%d: %s: %v", e.file, e.line, e.field, e.err)
}

func (e *configError) Unwrap() error { return e.err }

// camFields are the fields of a camera and of defaults.
var camFields = []string{"source", "mode", "pre", "post", "pre-size", "max-event", "split", "sync", "stall", "output", "keep", "motion"}

// motionFields are the fields of a camera's motion.
var motionFields = []string{"area", "threshold", "every", "mask"}

// cameraName is what a camera may be called: it is a path segment in
// /cam/NAME/ and {name} in output patterns.
var cameraName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// yamlLine is the line yaml's errors start with.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// defaultOutput is a camera's output pattern when neither it nor the
// defaults give one.
const defaultOutput = "clips/{name}/%Y%m%d-%H%M%S.omv"

// loadConfig reads and checks the config file.
func loadConfig(file string) (*camConfig, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parseConfig(file, b)
}

// parseConfig parses a config: keep, defaults and cameras, a mapping of
// names to cameras.
func parseConfig(file string, b []byte) (*camConfig, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		line, msg := 0, err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = strings.TrimPrefix(msg, m[0])
		}
		return nil, &configError{file: file, line: line, err: errors.New(msg)}
	}
	cfg := &camConfig{file: file}
	fail := func(n *yaml.Node, field string, format string, args ...any) error {
		return &configError{file: file, line: n.Line, field: field, err: fmt.Errorf(format, args...)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &configError{file: file, line: 1, err: errors.New("empty: want a cameras: map")}
	}
	top := doc.Content[0]
	fields, err := mapping(file, top, "", []string{"keep", "mqtt", "mqtt-ca", "webhooks", "defaults", "cameras"})
	if err != nil {
		return nil, err
	}
	if n := fields["keep"]; n != nil {
		if cfg.keep, err = strings1(file, n, "keep"); err != nil {
			return nil, err
		}
		if _, _, err := parseKeep(cfg.keep); err != nil {
			return nil, fail(n, "keep", "want a size (20GiB) or an age (7d, 12h), or a list of them")
		}
	}
	if n := fields["webhooks"]; n != nil {
		if cfg.webhooks, err = strings1(file, n, "webhooks"); err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"mqtt", "mqtt-ca"} {
		n := fields[k]
		if n == nil {
			continue
		}
		v, err := strings1(file, n, k)
		if err != nil {
			return nil, err
		}
		if len(v) != 1 {
			return nil, fail(n, k, "want one URL or file")
		}
		if k == "mqtt" {
			if err := mqtt.CheckBroker(v[0]); err != nil {
				return nil, fail(n, k, "%v", err)
			}
			cfg.mqtt = v[0]
		} else {
			cfg.mqttCA = v[0]
		}
	}
	defaults := map[string]*yaml.Node{}
	dpath := map[string]string{}
	if n := fields["defaults"]; n != nil {
		if defaults, err = mapping(file, n, "defaults", camFields); err != nil {
			return nil, err
		}
		for k := range defaults {
			dpath[k] = "defaults." + k
		}
	}
	cams := fields["cameras"]
	if cams == nil {
		return nil, fail(top, "", "no cameras:")
	}
	if cams.Kind != yaml.MappingNode || len(cams.Content) == 0 {
		return nil, fail(cams, "cameras", "want a mapping of camera names to cameras")
	}
	outputs := map[string]string{}
	for i := 0; i < len(cams.Content); i += 2 {
		kn, vn := cams.Content[i], cams.Content[i+1]
		name := kn.Value
		if !cameraName.MatchString(name) {
			return nil, fail(kn, "cameras."+name, "a camera's name is letters, digits, '.', '_' and '-' (at most 64)")
		}
		if slices.ContainsFunc(cfg.cameras, func(c *camSpec) bool { return c.Name == name }) {
			return nil, fail(kn, "cameras."+name, "a second camera of this name")
		}
		own, err := mapping(file, vn, "cameras."+name, camFields)
		if err != nil {
			return nil, err
		}
		merged, path := map[string]*yaml.Node{}, map[string]string{}
		for k, n := range defaults {
			merged[k], path[k] = n, dpath[k]
		}
		for k, n := range own {
			merged[k], path[k] = n, "cameras."+name+"."+k
		}
		s, err := camera(file, name, kn.Line, merged, path)
		if err != nil {
			return nil, err
		}
		if other, ok := outputs[s.Output]; ok {
			return nil, fail(kn, "cameras."+name+".output", "%q is camera %s's too: each camera needs its own clips (put {name} in it)", s.Output, other)
		}
		outputs[s.Output] = name
		cfg.cameras = append(cfg.cameras, s)
	}
	return cfg, nil
}

// mapping checks that n is a mapping of the known fields, each once, and
// returns their value nodes.
func mapping(file string, n *yaml.Node, path string, known []string) (map[string]*yaml.Node, error) {
	where := path
	if where == "" {
		where = "the file"
	}
	if n.Kind != yaml.MappingNode {
		return nil, &configError{file: file, line: n.Line, field: path, err: fmt.Errorf("want a mapping of %s", strings.Join(known, ", "))}
	}
	out := map[string]*yaml.Node{}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := k.Value
		if path != "" {
			field = path + "." + k.Value
		}
		if !slices.Contains(known, k.Value) {
			return nil, &configError{file: file, line: k.Line, field: field, err: fmt.Errorf("unknown field (%s has %s)", where, strings.Join(known, ", "))}
		}
		if out[k.Value] != nil {
			return nil, &configError{file: file, line: k.Line, field: field, err: errors.New("given twice")}
		}
		out[k.Value] = v
	}
	return out, nil
}

// strings1 reads a string or a list of strings.
func strings1(file string, n *yaml.Node, field string) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		var out []string
		for _, e := range n.Content {
			if e.Kind != yaml.ScalarNode {
				return nil, &configError{file: file, line: e.Line, field: field, err: errors.New("want a string")}
			}
			out = append(out, e.Value)
		}
		return out, nil
	}
	return nil, &configError{file: file, line: n.Line, field: field, err: errors.New("want a string or a list of strings")}
}

// camera makes the spec of camera name from its fields (defaults
// applied); path gives each field's name for errors.
func camera(file, name string, line int, f map[string]*yaml.Node, path map[string]string) (*camSpec, error) {
	s := &camSpec{Name: name, Mode: "continuous", Output: defaultOutput, Threshold: -1, Area: -1, Every: 1, Sync: time.Second, line: line}
	fail := func(k string, format string, args ...any) error {
		return &configError{file: file, line: f[k].Line, field: path[k], err: fmt.Errorf(format, args...)}
	}
	scalar := func(k string) (string, bool, error) {
		n := f[k]
		if n == nil {
			return "", false, nil
		}
		if n.Kind != yaml.ScalarNode {
			return "", false, fail(k, "want a single value")
		}
		return n.Value, true, nil
	}
	dur := func(k string, to *time.Duration) error {
		v, ok, err := scalar(k)
		if !ok || err != nil {
			return err
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fail(k, "%q: want a duration such as 10s or 1m30s", v)
		}
		*to = d
		return nil
	}
	v, ok, err := scalar("source")
	if err != nil {
		return nil, err
	}
	if !ok || v == "" {
		return nil, &configError{file: file, line: line, field: "cameras." + name + ".source", err: errors.New("missing: every camera needs one")}
	}
	if v == "-" {
		return nil, fail("source", "- (stdin) is for one camera: give a FIFO's path or exec:COMMAND")
	}
	s.Source, s.sourceNode = v, f["source"]
	if v, ok, err := scalar("mode"); err != nil {
		return nil, err
	} else if ok {
		if !slices.Contains([]string{"continuous", "events", "motion"}, v) {
			return nil, fail("mode", "%q: want continuous, events or motion", v)
		}
		s.Mode = v
	}
	events := s.Mode != "continuous"
	if events {
		s.Post = 5 * time.Second
	}
	for _, d := range []struct {
		k  string
		to *time.Duration
	}{{"pre", &s.Pre}, {"post", &s.Post}, {"max-event", &s.MaxEvent}, {"sync", &s.Sync}, {"stall", &s.Stall}} {
		if err := dur(d.k, d.to); err != nil {
			return nil, err
		}
		if !events && f[d.k] != nil && (d.k == "pre" || d.k == "post" || d.k == "max-event") && !strings.HasPrefix(path[d.k], "defaults.") {
			return nil, fail(d.k, "needs mode: events or motion (the mode is continuous)")
		}
	}
	if s.Pre > 5*time.Minute {
		return nil, fail("pre", "%v: at most 5m, as the ring is held in memory", s.Pre)
	}
	if v, ok, err := scalar("pre-size"); err != nil {
		return nil, err
	} else if ok {
		if s.PreSize, err = parseSize(v); err != nil || s.PreSize > 1<<30 {
			return nil, fail("pre-size", "%q: want a size up to 1GiB, such as 64MiB", v)
		}
	}
	if v, ok, err := scalar("split"); err != nil {
		return nil, err
	} else if ok {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
		} else if _, err := parseSize(v); err != nil {
			return nil, fail("split", "%q: want a duration (10m) or a size (1GiB)", v)
		}
		s.Split = v
	}
	if v, ok, err := scalar("output"); err != nil {
		return nil, err
	} else if ok {
		if v == "" {
			return nil, fail("output", "empty")
		}
		s.Output = v
	}
	s.Output = strings.ReplaceAll(s.Output, "{name}", name)
	if n := f["keep"]; n != nil {
		if s.Keep, err = strings1(file, n, path["keep"]); err != nil {
			return nil, err
		}
		if _, _, err := parseKeep(s.Keep); err != nil {
			return nil, fail("keep", "want a size (20GiB) or an age (7d, 12h), or a list of them")
		}
	}
	if n := f["motion"]; n != nil {
		mf, err := mapping(file, n, path["motion"], motionFields)
		if err != nil {
			return nil, err
		}
		mpath := func(k string) string { return path["motion"] + "." + k }
		mfail := func(k string, format string, args ...any) error {
			return &configError{file: file, line: mf[k].Line, field: mpath(k), err: fmt.Errorf(format, args...)}
		}
		if s.Mode != "motion" && !strings.HasPrefix(path["motion"], "defaults.") {
			return nil, &configError{file: file, line: n.Line, field: path["motion"], err: errors.New("needs mode: motion")}
		}
		for _, k := range []string{"area", "threshold", "every"} {
			vn := mf[k]
			if vn == nil {
				continue
			}
			if vn.Kind != yaml.ScalarNode {
				return nil, mfail(k, "want a number")
			}
			switch k {
			case "area":
				a, err := strconv.ParseFloat(vn.Value, 64)
				if err != nil || !(a > 0 && a <= 100) {
					return nil, mfail(k, "%q: want a percent of the picture, above 0 and at most 100", vn.Value)
				}
				s.Area = a
			case "threshold":
				t, err := strconv.Atoi(vn.Value)
				if err != nil || t < 1 || t > 255 {
					return nil, mfail(k, "%q: want grey levels from 1 to 255", vn.Value)
				}
				s.Threshold = t
			case "every":
				e, err := strconv.Atoi(vn.Value)
				if err != nil || e < 1 {
					return nil, mfail(k, "%q: want 1 or more (one frame in this many)", vn.Value)
				}
				s.Every = e
			}
		}
		if mn := mf["mask"]; mn != nil {
			if s.Mask, err = strings1(file, mn, mpath("mask")); err != nil {
				return nil, err
			}
			for _, m := range s.Mask {
				if _, err := parseRect(m); err != nil {
					return nil, mfail("mask", "%q: want X,Y,W,H", m)
				}
			}
		}
	}
	return s, nil
}

// redact returns src with any password in it replaced by xxxxx.
func redact(src string) string {
	if u, err := url.Parse(src); err == nil && u.User != nil {
		return u.Redacted()
	}
	return src
}
