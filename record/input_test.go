package record_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/record"
)

// collect runs src to its end and returns copies of the frames it emitted.
func collect(t *testing.T, src record.Source) ([]record.Frame, error) {
	t.Helper()
	var got []record.Frame
	err := src.Run(context.Background(), func(f *record.Frame) error {
		c := *f
		c.Data = bytes.Clone(f.Data)
		got = append(got, c)
		return nil
	})
	return got, err
}

func stamped(n int) [][]byte {
	base := testkit.SolidJPEG(48, 32, color.RGBA{200, 40, 90, 255})
	var frames [][]byte
	for i := range n {
		frames = append(frames, testkit.StampJPEG(base, uint64(i)))
	}
	return frames
}

// mpjpeg writes frames as ffmpeg -f mpjpeg does.
func mpjpeg(frames [][]byte) []byte {
	var b bytes.Buffer
	for _, f := range frames {
		fmt.Fprintf(&b, "--ffmpeg\r\nContent-type: image/jpeg\r\nContent-length: %d\r\n\r\n", len(f))
		b.Write(f)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func omvOfJPEGs(t *testing.T, frames [][]byte) []byte {
	var b bytes.Buffer
	zw := container.NewWriter(&b)
	for i, f := range frames {
		require.NoError(t, zw.WriteFrame(&container.Header{Elapsed: time.Duration(i) * 40 * time.Millisecond, Width: 48, Height: 32, Format: container.JPEG, Size: len(f)}, f))
	}
	return b.Bytes()
}

// TestInputKinds: an OMV stream, JPEGs back to back and a multipart
// stream each give their frames, told apart by their first bytes alone.
func TestInputKinds(t *testing.T) {
	frames := stamped(5)
	inputs := map[string][]byte{
		"omv":       omvOfJPEGs(t, frames),
		"jpeg":      bytes.Join(frames, nil),
		"multipart": mpjpeg(frames),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			got, err := collect(t, record.Input(iotest.HalfReader(bytes.NewReader(in))))
			assert.Equal(t, io.EOF, err)
			require.Len(t, got, len(frames))
			for i, f := range got {
				assert.Equal(t, frames[i], f.Data, "frame %d", i)
				assert.Equal(t, [3]any{48, 32, container.JPEG}, [3]any{f.Width, f.Height, f.Format})
				if name == "omv" {
					assert.False(t, f.Time.IsZero(), "an OMV stream has its own clock")
				} else {
					assert.True(t, f.Time.IsZero(), "JPEG frames are timed by arrival")
				}
			}
		})
	}
	assert.Equal(t, record.OMVInput, record.Sniff(inputs["omv"]))
	assert.Equal(t, record.JPEGInput, record.Sniff(inputs["jpeg"]))
	assert.Equal(t, record.MultipartInput, record.Sniff(inputs["multipart"]))
	assert.Equal(t, record.MultipartInput, record.Sniff([]byte("\r\n--myboundary\r\n")))
	assert.Equal(t, record.UnknownInput, record.Sniff([]byte("GIF89a")))
}

// TestInputUnknown: bytes that are none of the streams get a permanent
// error that shows them, as text or in hex.
func TestInputUnknown(t *testing.T) {
	for in, want := range map[string]string{
		"P6\n640 480\n255\n....":              `"P6\n640 480\n255\n."`,
		"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR": "89 50 4e 47",
	} {
		_, err := collect(t, record.Input(bytes.NewReader([]byte(in))))
		require.ErrorIs(t, err, record.ErrUnknownInput)
		assert.ErrorIs(t, err, record.ErrPermanent)
		assert.Contains(t, err.Error(), want)
	}
	// Nothing at all is the end, not an error.
	_, err := collect(t, record.Input(bytes.NewReader(nil)))
	assert.Equal(t, io.EOF, err)
}

// TestInputDamage: a JPEG whose header cannot be read is dropped and
// counted in the next frame's Skipped; a stream cut inside a frame ends
// with a permanent error after every whole frame.
func TestInputDamage(t *testing.T) {
	frames := stamped(3)
	broken := []byte{0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x04, 'x', 'y', 0xFF, 0xD9} // no frame header
	in := bytes.Join([][]byte{frames[0], broken, frames[1], frames[2][:40]}, nil)
	got, err := collect(t, record.Input(bytes.NewReader(in)))
	assert.ErrorIs(t, err, mjpeg.ErrTruncatedFrame)
	assert.ErrorIs(t, err, record.ErrPermanent)
	require.Len(t, got, 2)
	assert.Equal(t, frames[1], got[1].Data)
	assert.Equal(t, []uint64{0, 1}, []uint64{got[0].Skipped, got[1].Skipped})
}
