package imageio_test

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// TestReadTimes writes frames at known times into every kind of stream and
// checks the Elapsed and Time each read gives: the first frame's Elapsed
// is the wait since the stream was made, and frame times count from the
// first frame, not from the stream's start.
func TestReadTimes(t *testing.T) {
	offsets := []time.Duration{3 * time.Second, 3040 * time.Millisecond, 3040 * time.Millisecond, 3100 * time.Millisecond}
	wantElapsed := []time.Duration{3 * time.Second, 40 * time.Millisecond, 0, 60 * time.Millisecond}
	wantTime := []time.Duration{0, 40 * time.Millisecond, 40 * time.Millisecond, 100 * time.Millisecond}
	kinds := map[string]func(*imageio.Options) (*imageio.Stream, error){
		"file": func(o *imageio.Options) (*imageio.Stream, error) {
			return imageio.Create(filepath.Join(t.TempDir(), "s.omv"), o)
		},
		"memory": func(o *imageio.Options) (*imageio.Stream, error) {
			return imageio.NewMemory(8, 4, container.Grayscale, len(offsets), o)
		},
		"ring": func(o *imageio.Options) (*imageio.Stream, error) {
			return imageio.NewRing(circular.FrameConfig{Size: 1 << 16}, o)
		},
	}
	for name, open := range kinds {
		t.Run(name, func(t *testing.T) {
			clock := newFakeClock()
			s, err := open(&imageio.Options{Clock: clock})
			require.NoError(t, err)
			defer s.Close()
			for i, d := range offsets {
				require.NoError(t, s.WriteAt(grayFrame(i), clock.now.Add(d)))
			}
			require.NoError(t, s.Seek(0))
			for i := range offsets {
				m, err := s.Read(imageio.ReadOptions{})
				require.NoError(t, err)
				assert.Equal(t, wantElapsed[i], m.Elapsed, "frame %d elapsed", i)
				assert.Equal(t, wantTime[i], m.Time, "frame %d time", i)
				assert.Equal(t, byte(i), m.Data[0])
			}
			// Random access gives the same times.
			require.NoError(t, s.Seek(2))
			m, err := s.Read(imageio.ReadOptions{})
			require.NoError(t, err)
			assert.Equal(t, wantTime[2], m.Time)
		})
	}
}

// TestRingTimesAfterDrops: a ring that dropped its oldest frames still
// times the frames it holds from the first frame ever written.
func TestRingTimesAfterDrops(t *testing.T) {
	clock := newFakeClock()
	frame := grayFrame(1)
	chunk := 32 + len(frame.Data) + container.Padding(len(frame.Data))
	s, err := imageio.NewRing(circular.FrameConfig{Size: 3 * chunk}, &imageio.Options{Clock: clock})
	require.NoError(t, err)
	for i := range 10 {
		require.NoError(t, s.WriteAt(frame, clock.now.Add(time.Second+time.Duration(i)*10*time.Millisecond)))
	}
	require.Less(t, s.Count(), 10, "the ring dropped frames")
	require.NoError(t, s.Seek(0))
	first := 10 - s.Count()
	for i := first; i < 10; i++ {
		m, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
		assert.Equal(t, time.Duration(i)*10*time.Millisecond, m.Time, "frame %d", i)
	}
}

// TestMemoryRewriteTimes: writing a slot again, after a Seek, keeps the
// rule that a frame's time is the sum of the intervals after the first.
func TestMemoryRewriteTimes(t *testing.T) {
	clock := newFakeClock()
	s, err := imageio.NewMemory(8, 4, container.Grayscale, 3, &imageio.Options{Clock: clock})
	require.NoError(t, err)
	for i := range 3 {
		require.NoError(t, s.WriteAt(grayFrame(i), clock.now.Add(time.Duration(i+1)*time.Second)))
	}
	// Slot 1 again, 10 s after the stream was made: 7 s after the last write.
	require.NoError(t, s.Seek(1))
	require.NoError(t, s.WriteAt(grayFrame(9), clock.now.Add(10*time.Second)))
	require.NoError(t, s.Seek(0))
	var times []time.Duration
	for range 3 {
		m, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
		times = append(times, m.Time)
	}
	// Slot 1 now holds a frame 7 s after the previous write; slot 2 keeps
	// its own 1 s interval after slot 1.
	assert.Equal(t, []time.Duration{0, 7 * time.Second, 8 * time.Second}, times)
}

// TestImageOfHeader: ImageOf and Header are inverses, and the payload is
// shared, not copied.
func TestImageOfHeader(t *testing.T) {
	h := container.Header{Elapsed: 33 * time.Millisecond, Width: 2, Height: 3, Format: container.RGB565, Size: 12}
	data := bytes.Repeat([]byte{0xAB}, 12)
	m := imageio.ImageOf(&h, data)
	assert.Equal(t, imageio.Image{Width: 2, Height: 3, Format: container.RGB565, Data: data, Elapsed: 33 * time.Millisecond}, m)
	assert.Equal(t, h, m.Header())
	data[0] = 1
	assert.Equal(t, byte(1), m.Data[0], "ImageOf does not copy")
	// Header sizes from Data, whatever h said.
	m.Data = m.Data[:5]
	assert.Equal(t, 5, m.Header().Size)
}
