package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// Limits of a Folder; see [ReadFolder] and [Folder.Recording].
const (
	// MaxClips is the most clips a Folder lists; the walk stops there.
	MaxClips = 100000
	// MaxSideFile is the largest side file read (CLIP.omv.json).
	MaxSideFile = 4 << 10
	// MaxRangeFrames is the most frames a Folder.Recording holds in its
	// index: about 80 bytes each, so 160 MiB; a longer range is
	// ErrTooManyFrames.
	MaxRangeFrames = 1 << 21
)

// SideSuffix ends the name of a clip's side file: the recorder (package
// record) writes CLIP.omv.json beside CLIP.omv when the clip's first
// frame is written, with the first frame's wall time, which no field of
// an OMV IMG STR file holds (see [Clip]).
const SideSuffix = ".json"

// Errors of a Folder's ranges.
var (
	// ErrNoClips is returned for a range in which the folder has no
	// frame of the camera asked.
	ErrNoClips = errors.New("export: no recording in the range")
	// ErrCamera is returned for a camera the folder has no clip of, or
	// for no camera named when the range holds clips of several.
	ErrCamera = errors.New("export: camera")
	// ErrTooManyFrames is returned for a range of more than
	// MaxRangeFrames frames.
	ErrTooManyFrames = errors.New("export: too many frames in the range")
	// ErrMixedVersions is returned for a range whose clips are of
	// different versions, which one export cannot read as one.
	ErrMixedVersions = errors.New("export: clips of different versions in the range")
	// ErrInvalidTime is returned by ParseClock and the ranges for a time
	// they cannot read, or a range that ends before it starts.
	ErrInvalidTime = errors.New("export: invalid time")
)

// A ClockSource says where a clip's start time comes from.
type ClockSource string

// Where a clip's start time comes from, best first.
const (
	// ClockSide: the recorder's side file, CLIP.omv.json: the wall time
	// of the first frame, to the nanosecond, in the zone it was written.
	ClockSide ClockSource = "side"
	// ClockName: the date and time in the clip's name (YYYYMMDD-HHMMSS,
	// or YYYY-MM-DD_HH-MM-SS, as record's patterns write them), read as
	// local time, to the second. The recorder names an event's clip by
	// its trigger, which may be Pre after the first frame: a side file
	// says when the first frame was.
	ClockName ClockSource = "name"
	// ClockModified: neither; the file's modification time, less its
	// duration (the last frame is about when the file was last written).
	ClockModified ClockSource = "modified"
)

// A Clip is one recording of a folder, placed on the clock: its first
// frame at Start, and each frame at Start plus its time since the first
// (container.Entry.Time), the last at End (Start plus Index.Duration).
type Clip struct {
	// Camera is the camera the clip is of: the first folder below the
	// Folder's root that holds it, or else the part of its name before
	// the date (door-20261202-100000.omv: "door"), or else "".
	Camera string `json:"camera"`
	// Path is the clip's path below the Folder's root, slash-separated.
	Path string `json:"path"`
	// Start is the wall time of the clip's first frame, End of its last.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Frames is the number of its complete frames.
	Frames int `json:"frames"`
	// Clock says where Start comes from.
	Clock ClockSource `json:"clock"`
	// Trigger is what started the clip's event ("motion", "manual"...),
	// and TriggerAt when, from the side file; empty and zero for a
	// continuous recording's clip or one without a side file.
	Trigger   string    `json:"trigger,omitempty"`
	TriggerAt time.Time `json:"trigger_at,omitzero"`
	// Size is the file's size, Modified its modification time, and
	// Damaged says the file holds damage after its good frames.
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	Damaged  bool      `json:"damaged,omitempty"`
	// Duration is End less Start.
	Duration time.Duration `json:"-"`
}

// side is the side file's schema (record.ClipInfo writes it).
type side struct {
	Start     time.Time `json:"start"`
	Trigger   string    `json:"trigger"`
	TriggerAt time.Time `json:"trigger_at"`
}

// A Folder is the clips of a recorder's output folder (one camera or
// many), on the clock: the exports by clock time ([Folder.Recording]) and
// the player's timeline read it. It holds the list of clips, found once,
// and the folder open, and opens a clip only while it reads it. It is
// safe for concurrent use.
type Folder struct {
	root  *os.Root
	own   bool   // the Folder opened root, and closes it
	clips []Clip // by Start, then Camera, then Path
}

// OpenFolder opens dir and reads its clips (see [ReadFolder]); Close
// closes it.
func OpenFolder(dir string) (*Folder, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	f, err := ReadFolder(root)
	if err != nil {
		root.Close()
		return nil, err
	}
	f.own = true
	return f, nil
}

// openFlags open a clip without waiting on a FIFO put in its place.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// ReadFolder finds the clips under root: every regular file that starts
// with an OMV IMG STR magic and holds a complete frame, in subfolders too
// (links are not followed), at most MaxClips, reading each one's frame
// headers once, and its side file if it has one. root stays the
// caller's: the Folder reads clips through it until it is closed.
func ReadFolder(root *os.Root) (*Folder, error) {
	f := &Folder{root: root}
	err := fs.WalkDir(root.FS(), ".", func(p string, e fs.DirEntry, err error) error {
		if len(f.clips) >= MaxClips {
			return fs.SkipAll
		}
		if err != nil || !e.Type().IsRegular() || strings.HasSuffix(p, SideSuffix) {
			return nil
		}
		if c, ok := f.read(p); ok {
			f.clips = append(f.clips, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(f.clips, func(a, b Clip) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := strings.Compare(a.Camera, b.Camera); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	return f, nil
}

// read indexes the clip at p; ok is false for a file that is none.
func (f *Folder) read(p string) (Clip, bool) {
	fh, err := f.root.OpenFile(p, openFlags, 0)
	if err != nil {
		return Clip{}, false
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return Clip{}, false
	}
	x, damage := container.ReadIndex(fh)
	if x == nil || len(x.Entries) == 0 {
		return Clip{}, false
	}
	c := Clip{Path: p, Frames: len(x.Entries), Duration: x.Duration(), Size: fi.Size(), Modified: fi.ModTime(), Damaged: damage != nil}
	stamp, prefix, named := nameTime(path.Base(p))
	c.Camera = cameraOf(p, prefix)
	if s, ok := f.side(p); ok {
		c.Start, c.Clock, c.Trigger, c.TriggerAt = s.Start, ClockSide, s.Trigger, s.TriggerAt
	} else if named {
		c.Start, c.Clock = stamp, ClockName
	} else {
		c.Start, c.Clock = fi.ModTime().Add(-c.Duration), ClockModified
	}
	c.End = c.Start.Add(c.Duration)
	return c, true
}

// side reads the side file of the clip at p.
func (f *Folder) side(p string) (side, bool) {
	fh, err := f.root.OpenFile(p+SideSuffix, openFlags, 0)
	if err != nil {
		return side{}, false
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err != nil || !fi.Mode().IsRegular() {
		return side{}, false
	}
	b, err := io.ReadAll(io.LimitReader(fh, MaxSideFile+1))
	if err != nil || len(b) > MaxSideFile {
		return side{}, false
	}
	var s side
	if json.Unmarshal(b, &s) != nil || s.Start.IsZero() {
		return side{}, false // half written, or not ours: the name tells
	}
	return s, true
}

// nameTimes are the dates and times a clip's name may hold: record's
// default %Y%m%d-%H%M%S, and %Y-%m-%d_%H-%M-%S and the like.
var nameTimes = []*regexp.Regexp{
	regexp.MustCompile(`([0-9]{4})([0-9]{2})([0-9]{2})[-_T ]?([0-9]{2})([0-9]{2})([0-9]{2})`),
	regexp.MustCompile(`([0-9]{4})-([0-9]{2})-([0-9]{2})[-_T ]([0-9]{2})[-:_.]?([0-9]{2})[-:_.]?([0-9]{2})`),
}

// nameTime reads the local date and time in a clip's base name, and the
// part of the name before it.
func nameTime(base string) (t time.Time, prefix string, ok bool) {
	best := -1
	for _, re := range nameTimes {
		m := re.FindStringSubmatchIndex(base)
		if m == nil || (best >= 0 && m[0] >= best) {
			continue
		}
		var v [6]int
		for i := range v {
			v[i], _ = strconv.Atoi(base[m[2+2*i]:m[3+2*i]])
		}
		d := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, time.Local)
		if d.Year() != v[0] || int(d.Month()) != v[1] || d.Day() != v[2] || d.Hour() != v[3] || d.Minute() != v[4] || d.Second() != v[5] {
			continue // 20261332-...: no date
		}
		best, t, prefix, ok = m[0], d, strings.TrimRight(base[:m[0]], "-_. "), true
	}
	return t, prefix, ok
}

// cameraOf returns the camera of the clip at p (slash-separated) whose
// name has prefix before its date.
func cameraOf(p, prefix string) string {
	if dir, _, ok := strings.Cut(p, "/"); ok {
		return dir
	}
	return prefix
}

// Close closes the folder if OpenFolder opened it.
func (f *Folder) Close() error {
	if f.own {
		return f.root.Close()
	}
	return nil
}

// Clips returns the folder's clips, by start time; the slice is the
// Folder's and must not be changed.
func (f *Folder) Clips() []Clip { return f.clips }

// Cameras returns the names of the cameras the folder has clips of,
// sorted.
func (f *Folder) Cameras() []string {
	var cams []string
	for _, c := range f.clips {
		if !slices.Contains(cams, c.Camera) {
			cams = append(cams, c.Camera)
		}
	}
	slices.Sort(cams)
	return cams
}

// Between returns the clips that have a frame in [from, to), by start
// time; a zero to is no end.
func (f *Folder) Between(from, to time.Time) []Clip {
	var in []Clip
	for _, c := range f.clips {
		if !c.End.Before(from) && (to.IsZero() || c.Start.Before(to)) {
			in = append(in, c)
		}
	}
	return in
}

// camera picks the camera of a range: cam if set (ErrCamera if the
// folder has no clip of it), else the one camera of clips, else
// ErrCamera naming them.
func (f *Folder) camera(cam string, clips []Clip) (string, error) {
	if cam != "" {
		if !slices.Contains(f.Cameras(), cam) {
			return "", fmt.Errorf("%w %q: the folder has clips of %s", ErrCamera, cam, quoteList(f.Cameras()))
		}
		return cam, nil
	}
	var cams []string
	for _, c := range clips {
		if !slices.Contains(cams, c.Camera) {
			cams = append(cams, c.Camera)
		}
	}
	if len(cams) > 1 {
		slices.Sort(cams)
		return "", fmt.Errorf("%w: the range holds clips of %s: name one", ErrCamera, quoteList(cams))
	}
	if len(cams) == 1 {
		return cams[0], nil
	}
	return "", nil
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// checkRange returns ErrInvalidTime for a range that ends before it
// starts or a zero from.
func checkRange(from, to time.Time) error {
	if from.IsZero() || to.IsZero() {
		return fmt.Errorf("%w: a range needs a start and an end", ErrInvalidTime)
	}
	if !to.After(from) {
		return fmt.Errorf("%w: the range ends (%s) before it starts (%s)", ErrInvalidTime, to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return nil
}

// Recording returns the frames of camera cam ("" for the only camera the
// range has clips of) whose wall time is in [from, to), from every clip
// in the range, in order, as one Recording that every export takes: a
// frame's time is its wall time less the first frame's, so the gaps
// between clips are kept as time (a video shows the frame before a gap
// for the gap's length, up to avi.DefaultMaxHold). A frame of a clip
// that overlaps the one before it, at or before the last frame taken, is
// left out, so times never go back. Close the Recording when done: it
// opens one clip at a time as its frames are read.
//
// A range with no frame is ErrNoClips; a bad range, ErrInvalidTime; more
// than MaxRangeFrames frames, ErrTooManyFrames; clips of different
// versions, ErrMixedVersions.
func (f *Folder) Recording(cam string, from, to time.Time) (*Recording, error) {
	rec, _, err := f.span(cam, from, to)
	return rec, err
}

// Picked is what Folder.Span tells of a range's frames.
type Picked struct {
	// Camera is the camera picked.
	Camera string
	// First and Last are the wall times of the first frame and the last.
	First, Last time.Time
	// Frames is the number of frames, and Clips of clips they are from.
	Frames, Clips int
}

// Span is Recording, and also says what it picked.
func (f *Folder) Span(cam string, from, to time.Time) (*Recording, Picked, error) {
	return f.span(cam, from, to)
}

func (f *Folder) span(cam string, from, to time.Time) (*Recording, Picked, error) {
	var p Picked
	if err := checkRange(from, to); err != nil {
		return nil, p, err
	}
	clips := f.Between(from, to)
	cam, err := f.camera(cam, clips)
	if err != nil {
		return nil, p, err
	}
	p.Camera = cam
	mr := &multiReader{root: f.root, cur: -1}
	x := &container.Index{}
	var last time.Time
	var base int64
	for _, c := range clips {
		if c.Camera != cam {
			continue
		}
		cx, err := f.index(c.Path)
		if err != nil {
			return nil, p, err
		}
		taken := 0
		for i := range cx.Entries {
			e := cx.Entries[i]
			at := c.Start.Add(e.Time)
			if at.Before(from) || !at.Before(to) || (len(x.Entries) > 0 && !at.After(last)) {
				continue
			}
			if taken == 0 {
				if len(x.Entries) == 0 {
					x.Version = cx.Version
				} else if cx.Version != x.Version {
					return nil, p, fmt.Errorf("%w: %s is %v, the clips before it %v", ErrMixedVersions, c.Path, cx.Version, x.Version)
				}
				mr.parts = append(mr.parts, part{path: c.Path, base: base, end: cx.End})
			}
			if len(x.Entries) >= MaxRangeFrames {
				return nil, p, fmt.Errorf("%w: over %d, from %s: pick a shorter one", ErrTooManyFrames, MaxRangeFrames, from.Format(time.RFC3339))
			}
			if len(x.Entries) == 0 {
				e.Elapsed, e.Time, p.First = 0, 0, at
			} else {
				e.Elapsed, e.Time = at.Sub(last), at.Sub(p.First)
			}
			e.Offset += base
			x.Entries = append(x.Entries, e)
			last = at
			taken++
		}
		if taken > 0 {
			base += cx.End + 1 // each clip's bytes at an offset of their own
			p.Clips++
		}
	}
	if len(x.Entries) == 0 {
		what := "the folder"
		if cam != "" {
			what = fmt.Sprintf("camera %q", cam)
		}
		return nil, p, fmt.Errorf("%w: %s has no frame from %s to %s", ErrNoClips, what, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	x.End = base
	p.Frames, p.Last = len(x.Entries), last
	rec := FromIndex(x, mr)
	rec.closer = mr
	return rec, p, nil
}

// index reads the index of the clip at p.
func (f *Folder) index(p string) (*container.Index, error) {
	fh, err := f.root.OpenFile(p, openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	x, err := container.ReadIndex(fh)
	if x == nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return x, nil // damage: its good frames
}

// Nearest returns the frame of camera cam ("" for the folder's only
// camera) nearest to at, from its clips, read into m (whose Data it
// reuses; m.Time is the frame's time since its clip's first frame), with
// its clip and its wall time. A folder with no clip of cam is ErrNoClips
// or ErrCamera.
func (f *Folder) Nearest(cam string, at time.Time, m *imageio.Image) (Clip, time.Time, error) {
	if at.IsZero() {
		return Clip{}, time.Time{}, fmt.Errorf("%w: no time given", ErrInvalidTime)
	}
	cam, err := f.camera(cam, f.clips)
	if err != nil {
		return Clip{}, time.Time{}, err
	}
	best, dist := -1, time.Duration(0)
	for i, c := range f.clips {
		if c.Camera != cam {
			continue
		}
		var d time.Duration
		switch {
		case at.Before(c.Start):
			d = c.Start.Sub(at)
		case at.After(c.End):
			d = at.Sub(c.End)
		}
		if best < 0 || d < dist {
			best, dist = i, d
		}
	}
	if best < 0 {
		return Clip{}, time.Time{}, fmt.Errorf("%w: camera %q has no clip", ErrNoClips, cam)
	}
	c := f.clips[best]
	fh, err := f.root.OpenFile(c.Path, openFlags, 0)
	if err != nil {
		return c, time.Time{}, err
	}
	defer fh.Close()
	x, _ := container.ReadIndex(fh)
	if x == nil || len(x.Entries) == 0 {
		return c, time.Time{}, fmt.Errorf("%w: %s has no frame now", ErrNoClips, c.Path)
	}
	off := at.Sub(c.Start)
	i := sort.Search(len(x.Entries), func(i int) bool { return x.Entries[i].Time >= off })
	if i == len(x.Entries) || (i > 0 && off-x.Entries[i-1].Time <= x.Entries[i].Time-off) {
		i = max(i-1, 0)
	}
	data, err := x.ReadPayload(fh, i, m.Data)
	if err != nil {
		return c, time.Time{}, err
	}
	e := &x.Entries[i]
	*m = imageio.ImageOf(&e.Header, data)
	m.Time = e.Time
	return c, c.Start.Add(e.Time), nil
}

// part is one clip of a multiReader, at offsets base to base+end.
type part struct {
	path      string
	base, end int64
}

// multiReader reads the clips of a Folder.Recording as one run of bytes,
// each clip at its part's base; it holds one clip open, the last read.
// It is safe for concurrent use: a read holds its lock.
type multiReader struct {
	root  *os.Root
	parts []part

	mu     sync.Mutex // guards cur, f, closed
	cur    int
	f      *os.File
	closed bool
}

var errRecordingClosed = errors.New("export: the recording is closed")

func (r *multiReader) ReadAt(b []byte, off int64) (int, error) {
	k := sort.Search(len(r.parts), func(i int) bool { return r.parts[i].base+r.parts[i].end > off }) // the first part ending past off
	if k == len(r.parts) || off < r.parts[k].base {
		return 0, io.EOF
	}
	p := r.parts[k]
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, errRecordingClosed
	}
	if r.cur != k {
		if r.f != nil {
			r.f.Close()
			r.f = nil
		}
		f, err := r.root.OpenFile(p.path, openFlags, 0)
		if err != nil {
			return 0, err
		}
		r.f, r.cur = f, k
	}
	return r.f.ReadAt(b, off-p.base)
}

func (r *multiReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.f != nil {
		err := r.f.Close()
		r.f = nil
		return err
	}
	return nil
}

// ParseClock parses the time of a range's end: RFC 3339 with or without
// its zone (2026-12-02T10:02:00Z, 2026-12-02T10:02:00+01:00,
// 2026-12-02T10:02:00, also with a space for the T and with fractions of
// a second), or a time of day alone (10:05, 10:05:30) on the date of day,
// which must then be set, in day's zone; a date alone is its midnight. A time with no zone is local
// (loc; time.Local when nil).
func ParseClock(s string, day time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.Local
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("%w: no time given", ErrInvalidTime)
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.Replace(s, " ", "T", 1)); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, strings.Replace(s, " ", "T", 1), loc); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05.999999999", "15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if day.IsZero() {
				return time.Time{}, fmt.Errorf("%w: %q is a time of day, with no date to put it on: give a date (2026-12-02T%s)", ErrInvalidTime, s, s)
			}
			return time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), day.Location()), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q: want RFC 3339 (2026-12-02T10:02:00, local unless it has a zone such as Z or +01:00), or a time of day (10:05:00) on the range's start date", ErrInvalidTime, s)
}

// ParseClockRange parses a range by wall time: from as ParseClock reads
// it (with a date), and to also as a time of day on from's date.
func ParseClockRange(from, to string, loc *time.Location) (time.Time, time.Time, error) {
	a, err := ParseClock(from, time.Time{}, loc)
	if err != nil {
		return a, time.Time{}, fmt.Errorf("from: %w", err)
	}
	b, err := ParseClock(to, a, loc)
	if err != nil {
		return a, b, fmt.Errorf("to: %w", err)
	}
	if err := checkRange(a, b); err != nil {
		return a, b, err
	}
	return a, b, nil
}
