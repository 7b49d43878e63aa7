package imageio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/imgstream/imgstream/container"
)

// Create creates (or truncates) the file at path and returns a stream that
// records into it: OpenMV's ImageIO(path, "w"). The magic is written at
// once, so the file is a valid empty recording from the start.
func Create(path string, opts *Options) (*Stream, error) {
	f, err := openRegular(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, err
	}
	s, err := newFileStream(f, f, false, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// Open opens the recording at path for reading: OpenMV's ImageIO(path, "r").
// It indexes the frames' headers at once, so Seek takes constant time. A
// recording cut off or damaged (power loss, a killed recorder) opens with
// every complete frame before the damage; Read returns the damage after
// them, and [Repair] cuts the file back to them.
func Open(path string, opts *Options) (*Stream, error) {
	f, err := openRegular(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	s, err := newFileStream(f, f, true, opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("imageio: open %s: %w", path, err)
	}
	return s, nil
}

// ErrNotRegular is returned by Open, Create and Repair for a path that is
// not a regular file: a FIFO, a device, a directory. A file stream seeks
// and indexes its file; and a FIFO's open would wait for its other end,
// for ever if nobody comes (read a pipe with container.Reader instead).
var ErrNotRegular = errors.New("imageio: not a regular file")

// openRegular opens path as os.OpenFile does, without waiting (O_NONBLOCK,
// which a regular file ignores), and refuses anything but a regular file
// with ErrNotRegular. A file that O_TRUNC would empty is checked first, so
// that a device is never truncated.
func openRegular(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, (flag&^os.O_TRUNC)|syscall.O_NONBLOCK, perm)
	if errors.Is(err, syscall.EISDIR) { // opened for writing
		return nil, fmt.Errorf("%w: %s is a directory", ErrNotRegular, path)
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w: %s is %s", ErrNotRegular, path, kind(fi.Mode()))
	}
	if err == nil && flag&os.O_TRUNC != 0 {
		err = f.Truncate(0)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// kind names a file that is not a regular one.
func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// New returns a file stream over rws, which holds an OMV IMG STR stream from
// its current position, or nothing: no bytes, or only zero bytes where the
// magic would be, as in a fresh preallocated buffer. Then the stream starts
// empty, and its magic is written at once. Reads and writes go through rws: an *os.File, a
// bufferio.Buffer, anything with the io.ReadWriteSeeker contract. Close does
// not close rws.
func New(rws io.ReadWriteSeeker, opts *Options) (*Stream, error) {
	return newFileStream(rws, nil, false, opts)
}

// newFileStream makes a file stream over rws. A readOnly stream never
// writes to rws: where there is no stream to read, it is an error (an
// empty source is container.ErrTruncatedHeader, zeros are
// container.ErrBadMagic), not a fresh stream.
func newFileStream(rws io.ReadWriteSeeker, f *os.File, readOnly bool, opts *Options) (*Stream, error) {
	start, err := rws.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	end, err := rws.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	fb := &fileBackend{rws: rws, file: f, start: start}
	var damage error
	empty := end == start
	if !empty {
		// A preallocated region that was never written (a zeroed
		// bufferio.Buffer) has no length of its own: all zeros where the
		// magic would be means empty.
		var magic [container.MagicSize]byte
		if _, err := rws.Seek(start, io.SeekStart); err != nil {
			return nil, err
		}
		n, _ := io.ReadFull(rws, magic[:])
		empty = n == len(magic) && magic == [container.MagicSize]byte{}
		if _, err := rws.Seek(start, io.SeekStart); err != nil {
			return nil, err
		}
	}
	if empty && readOnly {
		if end == start {
			return nil, fmt.Errorf("%w: an empty file", container.ErrTruncatedHeader)
		}
		return nil, fmt.Errorf("%w: zeros where the magic should be", container.ErrBadMagic)
	}
	if empty {
		v := opts.version()
		if !v.Supported() {
			return nil, fmt.Errorf("%w: %s", container.ErrUnsupportedVersion, v)
		}
		m := v.Magic()
		if _, err := rws.Write(m[:]); err != nil {
			return nil, err
		}
		fb.x = &container.Index{Version: v, End: container.MagicSize}
	} else {
		fb.x, damage = container.ReadIndex(rws)
		var fe *container.FrameError
		if fb.x == nil || (damage != nil && !errors.As(damage, &fe)) {
			return nil, damage
		}
	}
	fb.pos = -1
	if ra, ok := rws.(io.ReaderAt); ok && start == 0 {
		fb.ra = ra
	} else {
		fb.ra = seekReaderAt{fb}
	}
	fb.zw = container.NewAppendWriter(rws, fb.x.Version)
	s := newStream(FileStream, fb, fb.x.Version, opts)
	s.damage = damage
	s.readOnly = readOnly
	return s, nil
}

type fileBackend struct {
	rws   io.ReadWriteSeeker
	ra    io.ReaderAt
	file  *os.File // the file Create or Open opened, to close; nil for New
	start int64    // position of the magic in rws
	pos   int64    // rws's position relative to start, -1 when unknown
	x     *container.Index
	zw    *container.Writer
}

// seekReaderAt reads a stream that is not an io.ReaderAt (or does not start
// at offset 0) by seeking.
type seekReaderAt struct{ fb *fileBackend }

func (r seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	r.fb.pos = -1
	if _, err := r.fb.rws.Seek(r.fb.start+off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(r.fb.rws, p)
}

func (fb *fileBackend) span() (int, int) { return 0, len(fb.x.Entries) }

func (fb *fileBackend) read(i int, m *Image) (int, error) {
	data, err := fb.x.ReadPayload(fb.ra, i, m.Data)
	if err != nil {
		return i, err
	}
	e := &fb.x.Entries[i]
	*m = ImageOf(&e.Header, data)
	m.Time = e.Time
	return i, nil
}

func (fb *fileBackend) write(i int, h *container.Header, data []byte, _ time.Duration) error {
	off := fb.x.End
	if i < len(fb.x.Entries) {
		off = fb.x.Entries[i].Offset
	}
	if fb.pos != off {
		if _, err := fb.rws.Seek(fb.start+off, io.SeekStart); err != nil {
			return err
		}
		fb.pos = off
	}
	if err := fb.zw.WriteFrame(h, data); err != nil {
		// Part of the frame may be written: the index still ends before
		// it, so the next write goes over it, with a fresh writer (a
		// failed one keeps failing).
		fb.pos = -1
		fb.zw = container.NewAppendWriter(fb.rws, fb.x.Version)
		return err
	}
	replaced := i < len(fb.x.Entries)
	fb.x.Truncate(i)
	fb.x.Append(*h)
	fb.pos = fb.x.End
	if replaced {
		// Drop the rest, as the firmware does: its frames were overwritten.
		if t, ok := fb.rws.(interface{ Truncate(int64) error }); ok {
			if err := t.Truncate(fb.start + fb.x.End); err != nil && !errors.Is(err, errors.ErrUnsupported) {
				return err
			}
		}
	}
	return nil
}

func (fb *fileBackend) size() int64     { return fb.x.End }
func (fb *fileBackend) bufferSize() int { return 0 }

func (fb *fileBackend) sync() error {
	if s, ok := fb.rws.(interface{ Sync() error }); ok {
		return s.Sync()
	}
	return nil
}

func (fb *fileBackend) close() error {
	if fb.file != nil {
		return fb.file.Close()
	}
	return nil
}

// A RepairReport says what Repair did, or what it would do ([DryRepair]).
type RepairReport struct {
	Frames  int   // complete frames kept
	Size    int64 // bytes kept
	Dropped int64 // bytes cut off the end
	Cause   error // the damage that was found (a *container.FrameError); nil if none
}

// Repair cuts the recording at path back to its last complete frame, so
// that every reader accepts it whole, and reports what it kept and dropped.
// A stream cannot be resynchronised after damage, so every byte from the
// damaged frame on is dropped. A file with no damage is left as it is. A file
// that is not a recording at all (bad magic) is an error and is not changed,
// and so is a file that cannot be read to its end (an I/O error such as EIO
// from a flaky card): what could not be read is not damage, and its frames
// may be good, so Repair returns the error and cuts nothing. [DryRepair]
// says what Repair would do, and changes nothing.
func Repair(path string) (RepairReport, error) {
	f, err := openRegular(path, os.O_RDWR, 0)
	if err != nil {
		return RepairReport{}, err
	}
	defer f.Close()
	r, err := repair(f)
	if err != nil {
		return r, fmt.Errorf("imageio: repair %s: %w", path, err)
	}
	return r, nil
}

// DryRepair reports what [Repair] would do to the recording at path, the
// same report from the same reading, and changes nothing: the file is
// opened read-only. The damage, when there is any, is Cause, a
// *container.FrameError with the damaged frame's index and offset; the
// errors are those of Repair.
func DryRepair(path string) (RepairReport, error) {
	f, err := openRegular(path, os.O_RDONLY, 0)
	if err != nil {
		return RepairReport{}, err
	}
	defer f.Close()
	r, err := planRepair(f)
	if err != nil {
		return r, fmt.Errorf("imageio: repair %s: %w", path, err)
	}
	return r, nil
}

// repairable is what repair needs of a file: an *os.File, or a test's
// wrapper of one.
type repairable interface {
	readableFile
	Truncate(size int64) error
	Sync() error
}

// readableFile is what planRepair needs of a file.
type readableFile interface {
	io.ReadSeeker
	Stat() (os.FileInfo, error)
}

// planRepair reads f's index and says what a repair would cut, changing
// nothing: Repair and DryRepair both report it.
func planRepair(f readableFile) (RepairReport, error) {
	x, cause := container.ReadIndex(f)
	if x == nil {
		return RepairReport{}, cause
	}
	if cause != nil && !container.IsDamage(cause) {
		return RepairReport{}, cause
	}
	fi, err := f.Stat()
	if err != nil {
		return RepairReport{}, err
	}
	return RepairReport{Frames: len(x.Entries), Size: x.End, Dropped: fi.Size() - x.End, Cause: cause}, nil
}

// repair cuts f back to its last complete frame, and syncs it so that the
// cut survives a crash.
func repair(f repairable) (RepairReport, error) {
	r, err := planRepair(f)
	if err != nil || r.Dropped == 0 {
		return r, err
	}
	if err := f.Truncate(r.Size); err != nil {
		return r, err
	}
	return r, f.Sync()
}
