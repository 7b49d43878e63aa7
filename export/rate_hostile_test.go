package export_test

import (
	"bytes"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/export"
)

// TestInvalidRate: a rate that is set and is no frame rate is
// ErrInvalidOptions, never silently another rate (AVI took 30/0 for the
// rate of the frames; Convert kept the frames' own timing for MaxInt32/1,
// whose period rounds to 0).
func TestInvalidRate(t *testing.T) {
	rec, err := export.Open(bytes.NewReader(recording(5)))
	require.NoError(t, err)
	rates := []avi.Rate{{Num: 30}, {Den: 1}, {Num: -30, Den: 1}, {Num: math.MaxInt32, Den: 1}}
	if math.MaxInt > math.MaxInt32 {
		// Beyond MaxInt32 (a 64-bit int only; on 386 MaxInt is MaxInt32).
		rates = append(rates, avi.Rate{Num: 1, Den: math.MaxInt})
	}
	for _, r := range rates {
		_, err := export.Convert(t.Context(), io.Discard, rec, export.ConvertOptions{Rate: r})
		assert.ErrorIs(t, err, export.ErrInvalidOptions, "Convert %v", r)
		_, err = export.AVI(t.Context(), &seeker{}, rec, export.Options{Rate: r})
		assert.ErrorIs(t, err, export.ErrInvalidOptions, "AVI %v", r)
		_, err = export.NewAVIStream(t.Context(), rec, export.Options{Rate: r})
		assert.ErrorIs(t, err, export.ErrInvalidOptions, "NewAVIStream %v", r)
		_, err = export.Video(t.Context(), filepath.Join(t.TempDir(), "x.mp4"), rec, export.Options{Rate: r})
		assert.ErrorIs(t, err, export.ErrInvalidOptions, "Video %v", r)
	}
	_, err = export.Convert(t.Context(), io.Discard, rec, export.ConvertOptions{Rate: avi.Rate{Num: 30000, Den: 1001}})
	assert.NoError(t, err)
}

// TestInvalidSpeed: a Speed that is no number, or infinite, is
// ErrInvalidOptions (NaN was taken for no Speed).
func TestInvalidSpeed(t *testing.T) {
	rec, err := export.Open(bytes.NewReader(recording(3)))
	require.NoError(t, err)
	for _, s := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1} {
		_, err := export.Convert(t.Context(), io.Discard, rec, export.ConvertOptions{Speed: s})
		assert.ErrorIs(t, err, export.ErrInvalidOptions, "Speed %v", s)
	}
}
