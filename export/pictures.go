package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/imgstream/imgstream/imageio"
)

// ErrBadPattern is returned by CheckPattern and Pictures for a pattern
// that would not give each frame a picture of its own: its file name
// needs exactly one %d and an extension .png, .jpg or .jpeg.
var ErrBadPattern = errors.New("export: bad picture pattern")

// ErrPictureExists is returned by Pictures when a file has a picture's
// name already: it is left as it was, and the pictures written before it
// are removed.
var ErrPictureExists = errors.New("export: picture exists")

// CheckPattern checks a picture pattern: its file name has exactly one
// integer verb, %d with optional flags and width (%d, %05d, %-3d), and no
// other verb: %% stands for a %. Anything else (%s, %.png, %%d alone, two
// %d) would give every frame one name, or a garbled one. The directory is
// taken as it is, % and all. The error matches ErrBadPattern.
func CheckPattern(pattern string) error {
	verbs := 0
	base := filepath.Base(pattern)
	bad := fmt.Errorf("%w: %s: a picture pattern needs exactly one %%d, such as %%05d, and no other %% verb (%%%% is a %%)", ErrBadPattern, pattern)
	for i := 0; i < len(base); i++ {
		if base[i] != '%' {
			continue
		}
		i++
		if i < len(base) && base[i] == '%' {
			continue
		}
		for i < len(base) && strings.IndexByte("+- #0", base[i]) >= 0 {
			i++
		}
		for i < len(base) && base[i] >= '0' && base[i] <= '9' {
			i++
		}
		if i >= len(base) || base[i] != 'd' {
			return bad
		}
		verbs++
	}
	if verbs != 1 {
		return bad
	}
	return nil
}

// Pictures writes each frame of rec that o picks as a picture of its own,
// named by pattern (see CheckPattern) with the frame's index in the
// recording, as PNG or JPEG (at o's quality) by the pattern's extension;
// frames are encoded on o.Workers goroutines. It makes the pattern's
// directory if need be. A picture is never written over: a file that has
// a picture's name already stops the export with ErrPictureExists (and is
// left as it was). On any error, and when ctx is done, it removes the
// pictures it wrote and the directories it made (only when empty), and
// leaves everything else as it was. It returns ErrNoFrames when o picks
// no frame.
func Pictures(ctx context.Context, pattern string, rec *Recording, o Options) (res *Result, err error) {
	if err := CheckPattern(pattern); err != nil {
		return nil, err
	}
	ext := strings.ToLower(filepath.Ext(pattern))
	asJPEG := ext == ".jpg" || ext == ".jpeg"
	if !asJPEG && ext != ".png" {
		return nil, fmt.Errorf("%w: %s: pictures are .png or .jpg", ErrBadPattern, pattern)
	}
	// Only the directories made here and the pictures written here are
	// removed when the export fails.
	var made []string
	for d := filepath.Dir(pattern); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		made = append(made, d)
	}
	if err := os.MkdirAll(filepath.Dir(pattern), 0o755); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(pattern) // the directory as it is
	var written []string
	defer func() {
		if err != nil {
			for _, name := range written {
				os.Remove(name)
			}
			for _, d := range made {
				os.Remove(d) // only when empty
			}
		}
	}()
	q := o.quality()
	encode := func(m *imageio.Image, s *scratch) ([]byte, error) {
		if asJPEG {
			return jpegWith(m, o.Scale, q, false, s)
		}
		img, err := s.dec.Decode(m)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		err = picturePNG.Encode(&b, o.Scale.Apply(img))
		return b.Bytes(), err
	}
	p := newPool(o.Workers, encode, func(b []byte, i int64) error {
		if err := stopped(ctx); err != nil {
			return err
		}
		name := dir + fmt.Sprintf(base, i)
		// O_EXCL: a file that has the name already is the user's, never
		// written over, and never removed by the clean-up.
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s: exists already: pictures are never written over (remove the old ones, or export elsewhere)", ErrPictureExists, name)
		}
		if err != nil {
			return err
		}
		written = append(written, name)
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	n := 0
	err = eachPicked(ctx, rec, &o, func(i int, _ time.Duration, m *imageio.Image) error {
		n++
		return p.put(m, int64(i))
	})
	if perr := p.close(); err == nil || err == errPoolFailed {
		err = perr
	}
	if err == nil {
		err = stopped(ctx)
	}
	if err == nil && n == 0 {
		err = ErrNoFrames
	}
	if err != nil {
		return nil, err
	}
	return &Result{Frames: n}, nil
}

// picturePNG encodes the PNG pictures of Pictures at the default level (the
// files are kept: png.BestSpeed is 5.2x as fast but makes a 640x480 camera
// picture 23 % larger: the player's BenchmarkFramePNG), reusing its
// compressor's buffers across frames and workers.
var picturePNG = png.Encoder{BufferPool: new(pngBuffers)}

// pngBuffers is a png.EncoderBufferPool over a sync.Pool, safe for
// concurrent use.
type pngBuffers struct{ p sync.Pool }

func (b *pngBuffers) Get() *png.EncoderBuffer {
	e, _ := b.p.Get().(*png.EncoderBuffer)
	return e
}

func (b *pngBuffers) Put(e *png.EncoderBuffer) { b.p.Put(e) }
