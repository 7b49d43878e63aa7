package container_test

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
)

// wantTimes works out each golden frame's time since the first from the
// manifest: the sum of the elapsed of the frames after the first.
func wantTimes(frames []goldenFrame, unit time.Duration) []time.Duration {
	times := make([]time.Duration, len(frames))
	for i := 1; i < len(frames); i++ {
		times[i] = times[i-1] + time.Duration(frames[i].Elapsed)*unit
	}
	return times
}

// TestGoldenTimes checks Entry.Time, Index.Duration and Reader.Time against
// the manifest for every golden file, damaged ones up to their damage.
func TestGoldenTimes(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		t.Run(g.Name, func(t *testing.T) {
			want := expect(&g, false)
			raw, err := os.ReadFile(testkit.GoldenPath(g.Name))
			require.NoError(t, err)
			x, _ := container.ReadIndex(bytes.NewReader(raw))
			if x == nil {
				return // a bad magic: no frames
			}
			unit := x.Version.TimeUnit()
			times := wantTimes(want.frames, unit)
			require.Len(t, x.Entries, len(times))
			for i, e := range x.Entries {
				assert.Equal(t, times[i], e.Time, "index: frame %d", i)
			}
			if n := len(times); n > 0 {
				assert.Equal(t, times[n-1], x.Duration())
			}

			zr, err := container.NewReader(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.Zero(t, zr.Time(), "before the first frame")
			for i := 0; ; i++ {
				_, err := zr.Next()
				if err != nil {
					assert.Equal(t, len(times), i, "frames read before %v", err)
					break
				}
				assert.Equal(t, times[i], zr.Time(), "reader: frame %d", i)
			}
		})
	}
}

// TestTimeSkipsFirstElapsed: a first frame written long after the stream
// was opened is at time 0, and the frames after it count from it.
func TestTimeSkipsFirstElapsed(t *testing.T) {
	var buf bytes.Buffer
	zw := container.NewWriter(&buf)
	zw.Version = container.V2_1
	elapsed := []time.Duration{time.Hour, 40 * time.Millisecond, 0, 25 * time.Millisecond}
	for _, e := range elapsed {
		require.NoError(t, zw.WriteFrame(&container.Header{Elapsed: e, Width: 1, Height: 1, Format: container.Grayscale, Size: 1}, []byte{7}))
	}
	want := []time.Duration{0, 40 * time.Millisecond, 40 * time.Millisecond, 65 * time.Millisecond}

	x, err := container.ReadIndex(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	for i, e := range x.Entries {
		assert.Equal(t, want[i], e.Time, "frame %d", i)
	}
	assert.Equal(t, 65*time.Millisecond, x.Duration())
	x.Truncate(2)
	x.Append(container.Header{Elapsed: 5 * time.Millisecond, Width: 1, Height: 1, Format: container.Grayscale, Size: 1})
	assert.Equal(t, 45*time.Millisecond, x.Entries[2].Time, "Append after Truncate counts from the frame before")
	assert.Zero(t, (&container.Index{}).Duration())

	zr, err := container.NewReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	for i := 0; ; i++ {
		if _, err := zr.Next(); err == io.EOF {
			break
		}
		assert.Equal(t, want[i], zr.Time(), "frame %d", i)
	}
	// Reset starts the count again.
	require.NoError(t, zr.Reset(bytes.NewReader(buf.Bytes())))
	_, err = zr.Next()
	require.NoError(t, err)
	assert.Zero(t, zr.Time())
}

// TestReadPayloadBounded: an index made by hand that says a frame holds
// 1 GiB gets an error, not a 1 GiB buffer.
func TestReadPayloadBounded(t *testing.T) {
	x := &container.Index{Version: container.V2_0, Entries: []container.Entry{{Header: container.Header{Width: 1, Height: 1, Format: container.JPEG, Size: 1 << 30}, Offset: 16}}}
	buf, err := x.ReadPayload(bytes.NewReader(make([]byte, 64)), 0, nil)
	require.ErrorIs(t, err, container.ErrInvalidSize)
	var fe *container.FrameError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 0, fe.Index)
	assert.Zero(t, cap(buf))
}
