package container_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
)

// The golden files in testdata/golden are copied unchanged from the
// project's shared reference set; manifest.json holds the answers a correct
// reader gives. See testdata/golden/README.md.
type (
	goldenFrame = testkit.Frame
	goldenFile  = testkit.File
)

var categoryErr = map[string]error{
	"bad_magic":           container.ErrBadMagic,
	"unsupported_version": container.ErrUnsupportedVersion,
	"truncated_header":    container.ErrTruncatedHeader,
	"truncated_payload":   container.ErrTruncatedPayload,
	"invalid_pixfmt":      container.ErrInvalidPixFormat,
	"invalid_dimensions":  container.ErrInvalidDimensions,
	"invalid_size":        container.ErrInvalidSize,
	"nonzero_padding":     container.ErrNonZeroPadding,
}

// expectation is what a reader in one mode must produce for one file.
type expectation struct {
	frames     []goldenFrame
	categories []string // empty: a clean end of stream
	errFrame   *int
	errOffset  int64
}

func expect(g *goldenFile, strict bool) expectation {
	switch {
	case g.Valid:
		return expectation{frames: g.Frames}
	case g.StrictOnly && !strict:
		return expectation{frames: g.Lenient.Frames}
	}
	return expectation{
		frames:     g.Frames,
		categories: append([]string{g.Error}, g.AlsoAcceptable...),
		errFrame:   g.ErrorFrame,
		errOffset:  g.ErrorOffset,
	}
}

func (e *expectation) checkErr(t *testing.T, err error) {
	t.Helper()
	if len(e.categories) == 0 {
		require.NoError(t, err, "want a clean end of stream")
		return
	}
	require.Error(t, err)
	matched := false
	for _, c := range e.categories {
		want, ok := categoryErr[c]
		require.True(t, ok, "unknown category %q", c)
		matched = matched || errors.Is(err, want)
	}
	assert.True(t, matched, "error %v is none of %v", err, e.categories)
	var fe *container.FrameError
	if e.errFrame == nil {
		assert.False(t, errors.As(err, &fe), "magic error %v should not be a FrameError", err)
		return
	}
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, *e.errFrame, fe.Index, "error frame")
	assert.Equal(t, e.errOffset, fe.Offset, "error offset")
}

func checkFrame(t *testing.T, g *goldenFile, want goldenFrame, h *container.Header, payload []byte) {
	t.Helper()
	unit := time.Millisecond
	if g.TimeUnit == "us" {
		unit = time.Microsecond
	}
	assert.Equal(t, time.Duration(want.Elapsed)*unit, h.Elapsed, "frame %d elapsed", want.Index)
	assert.Equal(t, want.W, h.Width, "frame %d width", want.Index)
	assert.Equal(t, want.H, h.Height, "frame %d height", want.Index)
	assert.Equal(t, want.PixFmt, h.Format.String(), "frame %d format", want.Index)
	assert.Equal(t, want.Size, h.Size, "frame %d size", want.Index)
	assert.Equal(t, want.Padding, container.Padding(h.Size), "frame %d padding", want.Index)
	sum := sha256.Sum256(payload)
	assert.Equal(t, want.SHA256, hex.EncodeToString(sum[:]), "frame %d payload", want.Index)
}

// sources are the ways a test hands a golden file to a reader: a seekable
// file, a plain stream, and hostile streams from testing/iotest.
var sources = []struct {
	name string
	open func(t *testing.T, path string) io.Reader
}{
	{"file", func(t *testing.T, path string) io.Reader {
		f, err := os.Open(path)
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		return f
	}},
	{"stream", func(t *testing.T, path string) io.Reader {
		return struct{ io.Reader }{bytes.NewReader(readFile(t, path))}
	}},
	{"onebyte", func(t *testing.T, path string) io.Reader {
		return iotest.OneByteReader(bytes.NewReader(readFile(t, path)))
	}},
	{"dataerr", func(t *testing.T, path string) io.Reader {
		return iotest.DataErrReader(bytes.NewReader(readFile(t, path)))
	}},
	{"half", func(t *testing.T, path string) io.Reader {
		return iotest.HalfReader(bytes.NewReader(readFile(t, path)))
	}},
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// readAll reads frames with Next and io.ReadAll, the way most callers do,
// and returns the headers, payloads and the first error (nil at io.EOF).
func readAll(zr *container.Reader) (hs []container.Header, ps [][]byte, err error) {
	for {
		h, err := zr.Next()
		if err == io.EOF {
			return hs, ps, nil
		}
		if err != nil {
			return hs, ps, err
		}
		p, err := io.ReadAll(zr)
		if err != nil {
			return hs, ps, err
		}
		hs, ps = append(hs, *h), append(ps, p)
	}
}

func TestGolden(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		for _, strict := range []bool{false, true} {
			for _, src := range sources {
				name := g.Name + "/" + src.name
				if strict {
					name += "/strict"
				}
				t.Run(name, func(t *testing.T) {
					want := expect(&g, strict)
					zr, err := container.NewReader(src.open(t, testkit.GoldenPath(g.Name)))
					if err != nil {
						require.Empty(t, want.frames)
						want.checkErr(t, err)
						return
					}
					if g.Version != "" {
						assert.Equal(t, "V"+g.Version, zr.Version().String())
					}
					zr.Strict = strict
					// ReadFrame: a frame comes out only when it is complete.
					var buf []byte
					var n int
					for {
						var h *container.Header
						h, buf, err = zr.ReadFrame(buf)
						if err != nil {
							break
						}
						require.Less(t, n, len(want.frames), "more frames than expected")
						checkFrame(t, &g, want.frames[n], h, buf)
						assert.Equal(t, want.frames[n].Offset, zr.Offset(), "frame %d offset", n)
						n++
					}
					assert.Equal(t, len(want.frames), n, "frames delivered")
					if err == io.EOF {
						err = nil
					}
					want.checkErr(t, err)
					_, err2 := zr.Next()
					if err == nil {
						assert.Equal(t, io.EOF, err2, "EOF is sticky")
					} else {
						assert.Equal(t, err, err2, "errors are sticky")
					}
				})
			}
		}
	}
}

// TestGoldenNextRead reads with Next and io.ReadAll: the frames that come
// out whole are the expected ones, and the error is the same.
func TestGoldenNextRead(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		for _, strict := range []bool{false, true} {
			t.Run(g.Name, func(t *testing.T) {
				want := expect(&g, strict)
				zr, err := container.NewReader(bytes.NewReader(readFile(t, testkit.GoldenPath(g.Name))))
				if err != nil {
					want.checkErr(t, err)
					return
				}
				zr.Strict = strict
				hs, ps, err := readAll(zr)
				require.Len(t, hs, len(want.frames))
				for i := range hs {
					checkFrame(t, &g, want.frames[i], &hs[i], ps[i])
				}
				want.checkErr(t, err)
			})
		}
	}
}

func TestGoldenIndex(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		t.Run(g.Name, func(t *testing.T) {
			want := expect(&g, false)
			f, err := os.Open(testkit.GoldenPath(g.Name))
			require.NoError(t, err)
			defer f.Close()
			x, err := container.ReadIndex(f)
			want.checkErr(t, err)
			if want.errFrame == nil && len(want.categories) > 0 {
				assert.Nil(t, x)
				return
			}
			require.Len(t, x.Entries, len(want.frames))
			end := int64(container.MagicSize)
			for i, e := range x.Entries {
				wf := want.frames[i]
				assert.Equal(t, wf.Offset, e.Offset, "frame %d offset", i)
				assert.Equal(t, wf.DataOffset, x.DataOffset(i), "frame %d data offset", i)
				assert.Equal(t, wf.Size, e.Size, "frame %d size", i)
				assert.Equal(t, wf.PixFmt, e.Format.String())
				end = wf.DataOffset + int64(wf.Size+wf.Padding)
			}
			assert.Equal(t, end, x.End)
		})
	}
}

// TestGoldenRewrite writes the frames of every valid file again with a
// Writer of the file's version: canonical files come out byte for byte, and
// the others come out canonical with the same frames.
func TestGoldenRewrite(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		if !g.Valid {
			continue
		}
		t.Run(g.Name, func(t *testing.T) {
			orig := readFile(t, testkit.GoldenPath(g.Name))
			zr, err := container.NewReader(bytes.NewReader(orig))
			require.NoError(t, err)
			hs, ps, err := readAll(zr)
			require.NoError(t, err)

			var out bytes.Buffer
			zw := container.NewWriter(&out)
			zw.Version = zr.Version()
			for i := range hs {
				require.NoError(t, zw.WriteFrame(&hs[i], ps[i]))
			}
			require.NoError(t, zw.Close())
			if g.Canonical {
				assert.Equal(t, orig, out.Bytes(), "rewrite is not byte-exact")
			} else {
				assert.NotEqual(t, orig, out.Bytes())
			}
			zr2, err := container.NewReader(&out)
			require.NoError(t, err)
			zr2.Strict = true
			hs2, ps2, err := readAll(zr2)
			require.NoError(t, err)
			assert.Equal(t, hs, hs2)
			assert.Equal(t, ps, ps2)
		})
	}
}

// TestGoldenReadPayload reads every frame of every valid file at random
// through the index, as a stream's Seek does.
func TestGoldenReadPayload(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		if !g.Valid {
			continue
		}
		t.Run(g.Name, func(t *testing.T) {
			f, err := os.Open(testkit.GoldenPath(g.Name))
			require.NoError(t, err)
			defer f.Close()
			x, err := container.ReadIndex(f)
			require.NoError(t, err)
			var buf []byte
			for i := len(x.Entries) - 1; i >= 0; i-- {
				buf, err = x.ReadPayload(f, i, buf)
				require.NoError(t, err)
				checkFrame(t, &g, g.Frames[i], &x.Entries[i].Header, buf)
			}
			_, err = x.ReadPayload(f, len(x.Entries), buf)
			require.ErrorIs(t, err, container.ErrInvalidIndex)
			_, err = x.ReadPayload(f, -1, buf)
			require.ErrorIs(t, err, container.ErrInvalidIndex)
			// A file cut after indexing: the payload is reported missing.
			data := readFile(t, testkit.GoldenPath(g.Name))
			if len(x.Entries) > 0 {
				last := len(x.Entries) - 1
				cut := bytes.NewReader(data[:x.DataOffset(last)+1])
				_, err = x.ReadPayload(cut, last, buf)
				require.ErrorIs(t, err, container.ErrTruncatedPayload)
				var fe *container.FrameError
				require.ErrorAs(t, err, &fe)
				require.Equal(t, last, fe.Index)
			}
		})
	}
}
