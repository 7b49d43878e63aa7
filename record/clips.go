package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// expand replaces the strftime verbs of pattern with t's fields.
func expand(pattern string, t time.Time) (string, error) {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i++; i == len(pattern) {
			return "", fmt.Errorf("%w: pattern %q ends with %%", ErrInvalidConfig, pattern)
		}
		switch pattern[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case '%':
			b.WriteByte('%')
		default:
			return "", fmt.Errorf("%w: pattern %q has %%%c (the verbs are %%Y %%m %%d %%H %%M %%S %%j %%s %%%%)", ErrInvalidConfig, pattern, pattern[i])
		}
	}
	return b.String(), nil
}

// glob returns the shell pattern that matches every name pattern expands
// to, for retention: each verb becomes *, and so does the "-N" a taken
// name gets. It matches more than pattern can produce (my-holiday.omv for
// %Y%m%d-%H%M%S.omv): clipName says which of its matches are clips.
func glob(pattern string) string {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '%' && i+1 < len(pattern) && pattern[i+1] == '%':
			b.WriteByte('%')
			i++
		case c == '%':
			b.WriteByte('*')
			i++
		case c == '*' || c == '?' || c == '[' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	g := b.String()
	ext := filepath.Ext(g)
	return strings.TrimSuffix(g, ext) + "*" + ext
}

// verbDigits is the regular expression of what each verb expands to:
// digits of its exact width (%s, the Unix time, has no fixed width).
var verbDigits = map[byte]string{
	'Y': "[0-9]{4}", 'm': "[0-9]{2}", 'd': "[0-9]{2}", 'H': "[0-9]{2}",
	'M': "[0-9]{2}", 'S': "[0-9]{2}", 'j': "[0-9]{3}", 's': "[0-9]+",
}

// clipName returns the regular expression of the paths pattern can
// produce, cleaned (filepath.Clean): each verb's digits, and the "-N"
// (1 to 999) that commit puts before the extension of a taken name.
// Retention removes only the names it matches: only what we made is ours
// to delete.
func clipName(pattern string) (*regexp.Regexp, error) {
	pattern = filepath.Clean(pattern) // verbs expand to no separator and no dot: Clean commutes with expand
	ext := filepath.Ext(pattern)
	var b strings.Builder
	b.WriteByte('^')
	add := func(s string) error {
		for i := 0; i < len(s); i++ {
			if s[i] != '%' {
				b.WriteString(regexp.QuoteMeta(s[i : i+1]))
				continue
			}
			if i++; i == len(s) {
				return fmt.Errorf("%w: pattern %q ends with %%", ErrInvalidConfig, pattern)
			}
			if s[i] == '%' {
				b.WriteByte('%')
			} else if re, ok := verbDigits[s[i]]; ok {
				b.WriteString(re)
			} else {
				return fmt.Errorf("%w: pattern %q has %%%c", ErrInvalidConfig, pattern, s[i])
			}
		}
		return nil
	}
	if err := add(strings.TrimSuffix(pattern, ext)); err != nil {
		return nil, err
	}
	b.WriteString("(-[1-9][0-9]{0,2})?")
	if err := add(ext); err != nil {
		return nil, err
	}
	b.WriteByte('$')
	return regexp.Compile(b.String())
}

// A clip's file is made hidden, as a partial, and given its name only
// once its first frame is written whole: a process killed at any moment
// leaves no clip that does not open, and no clip without a frame. A
// partial older than stalePartial was left by a process killed between
// the two steps; the next clip made in its directory removes it.
const (
	partialSuffix = ".partial"
	stalePartial  = time.Minute
)

// link is os.Link; tests replace it to stand for a file system without
// hard links.
var link = os.Link

// clipFile is what a clip needs of its file: an *os.File, or a test's
// wrapper of one that fails as a full disk does.
type clipFile interface {
	io.Writer
	Name() string
	Sync() error
	Truncate(size int64) error
	Close() error
}

// openFile is os.OpenFile; tests replace it to make the disk fail.
var openFile = func(name string, flag int, perm fs.FileMode) (clipFile, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// create makes a hidden file in the directory of the clip starting at t,
// with its directories, and returns it with the clip's name.
func create(pattern string, t time.Time) (f clipFile, name string, err error) {
	name, err = expand(pattern, t)
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	ours, err := clipName(pattern)
	if err != nil {
		return nil, "", err
	}
	removeStale(dir, ours, t)
	// Not os.CreateTemp, whose 0600 would outlast the rename: a clip's
	// mode is 0644 less the umask, as a file the recorder creates.
	for range 100 {
		p := filepath.Join(dir, fmt.Sprintf(".%s.%08x%s", filepath.Base(name), rand.Uint32(), partialSuffix))
		f, err = openFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return nil, "", err
	}
	return f, name, nil
}

// commit makes f, a partial whose first frame is written, the clip
// itself: it gives f the clip's name, or name-N with the first N no file
// has, and returns the name.
func commit(f clipFile, name string) (string, error) {
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for n := 0; n < 1000; n++ {
		p := name
		if n > 0 {
			p = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		err := link(f.Name(), p)
		if err == nil {
			os.Remove(f.Name())
			return p, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		// No hard links (FAT and exFAT cards): rename, which does not
		// fail on a taken name, so look first.
		if _, err := os.Lstat(p); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if err := os.Rename(f.Name(), p); err != nil {
			return "", err
		}
		return p, nil
	}
	return "", fmt.Errorf("%s: the name and 999 others are taken", name)
}

// removeStale removes the partials in dir that a killed process left:
// files named as create names them (".NAME.XXXXXXXX.partial", NAME a clip
// name that ours matches), and no other file: only what we made is ours
// to delete.
func removeStale(dir string, ours *regexp.Regexp, now time.Time) {
	paths, _ := filepath.Glob(filepath.Join(dir, ".*"+partialSuffix))
	for _, p := range paths {
		m := partialName.FindStringSubmatch(filepath.Base(p))
		if m == nil || !ours.MatchString(filepath.Clean(filepath.Join(dir, m[1]))) {
			continue
		}
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && now.Sub(fi.ModTime()) > stalePartial {
			os.Remove(p)
		}
	}
}

// partialName is the name create gives a partial; its group is the clip's.
var partialName = regexp.MustCompile(`^\.(.+)\.[0-9a-f]{8}` + regexp.QuoteMeta(partialSuffix) + `$`)

// retain removes the oldest files that pattern can name (see clipName)
// until the rest fit in k, never the file at open (the clip being
// written), nor, when no clip is being written (open is ""), the newest:
// retention never leaves a recording with nothing. It returns the paths
// it removed; each one's side file goes with it.
func retain(pattern string, k Keep, open string, now time.Time) ([]string, error) {
	if k.Size <= 0 && k.Age <= 0 {
		return nil, nil
	}
	removed, err := retainAll([]clipSet{{pattern: pattern, open: open}}, k, now)
	paths := make([]string, len(removed))
	for i, r := range removed {
		paths[i] = r.path
	}
	return paths, err
}

// clipSet is the clips of one pattern, for retainAll.
type clipSet struct {
	pattern string
	open    string      // the clip being written, or ""
	notify  func(Event) // told of a removal
}

type removedClip struct {
	set  *clipSet
	path string
}

// retainAll removes the oldest clips of all the sets' patterns together
// until the rest fit in k, never a set's open clip, nor, when it has none,
// its newest. Only the names a pattern can produce count (see clipName);
// a removed clip's side file goes with it.
func retainAll(sets []clipSet, k Keep, now time.Time) ([]removedClip, error) {
	type clip struct {
		set  *clipSet
		path string
		size int64
		mod  time.Time
	}
	var all []clip
	var total int64
	seen := make(map[string]bool)
	var errs []error
	for i := range sets {
		s := &sets[i]
		paths, err := filepath.Glob(glob(s.pattern))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ours, err := clipName(s.pattern)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		open := filepath.Clean(s.open) // as Glob's paths are
		var mine []clip
		for _, p := range paths {
			if seen[p] || !ours.MatchString(filepath.Clean(p)) {
				continue
			}
			fi, err := os.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			seen[p] = true
			total += fi.Size()
			if p != open {
				mine = append(mine, clip{s, p, fi.Size(), fi.ModTime()})
			}
		}
		slices.SortFunc(mine, func(a, b clip) int {
			if c := a.mod.Compare(b.mod); c != 0 {
				return c
			}
			return strings.Compare(a.path, b.path)
		})
		if s.open == "" && len(mine) > 0 {
			mine = mine[:len(mine)-1] // its newest, the clip just closed
		}
		all = append(all, mine...)
	}
	slices.SortFunc(all, func(a, b clip) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	var removed []removedClip
	for _, c := range all {
		old := k.Age > 0 && now.Sub(c.mod) > k.Age
		if !old && (k.Size <= 0 || total <= k.Size) {
			break
		}
		if err := os.Remove(c.path); err != nil {
			errs = append(errs, err)
			continue
		}
		removeSide(c.path)
		total -= c.size
		removed = append(removed, removedClip{c.set, c.path})
	}
	return removed, errors.Join(errs...)
}

// SideSuffix ends the name of a clip's side file, CLIP.omv.json, which
// the Recorder writes beside each clip once its first frame is written:
// a ClipInfo as JSON. export.Folder reads it (export.SideSuffix).
const SideSuffix = ".json"

// ClipInfo is what a clip's side file holds: the wall time of its first
// frame, which an OMV IMG STR file has no field for (its frames hold
// only their intervals, and its name the time its event was triggered,
// to the second, which is Pre after its first frame), and its trigger.
//
// Why a side file: the format has no room for it. A frame header's
// reserved bytes are zero in every file the firmware writes, and V2.1
// only changes the unit of the intervals; writing into either would
// make files that are not byte for byte what OpenMV writes. An xattr
// is lost when a clip is copied off the card (FAT and exFAT have none).
// A small JSON file beside the clip survives a copy, and a reader that
// finds none falls back to the time in the clip's name.
type ClipInfo struct {
	// Start is the wall time of the clip's first frame.
	Start time.Time `json:"start"`
	// Trigger is what started the clip's event ("motion", "manual"...),
	// empty for a continuous recording; TriggerAt is when it came, zero
	// for a clip that a split started.
	Trigger   string    `json:"trigger,omitempty"`
	TriggerAt time.Time `json:"trigger_at,omitzero"`
}

// writeSide writes the side file of the clip at clip. It is advisory:
// a clip whose side file cannot be written is read by the time in its
// name, so a failure is not the disk's fault that stops the clip.
func writeSide(clip string, info ClipInfo) {
	b, _ := json.Marshal(info) // times and a string: no error
	os.WriteFile(clip+SideSuffix, append(b, '\n'), 0o644)
}

// removeSide removes the side file of the clip at clip, if it is one
// writeSide wrote: a regular file (only what we made is ours to delete).
func removeSide(clip string) {
	p := clip + SideSuffix
	if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
		os.Remove(p)
	}
}
