package export_test

import (
	"bytes"
	"image/gif"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
)

// TestGIFMixedSizes: a recording whose frame size changes gives a GIF that
// image/gif decodes, one palette or one a frame.
func TestGIFMixedSizes(t *testing.T) {
	var b bytes.Buffer
	zw := container.NewWriter(&b)
	for i, sz := range [][2]int{{16, 8}, {32, 24}, {8, 4}} {
		data := make([]byte, sz[0]*sz[1])
		h := container.Header{Elapsed: time.Duration(i) * 100 * time.Millisecond, Width: sz[0], Height: sz[1], Format: container.Grayscale, Size: len(data)}
		require.NoError(t, zw.WriteFrame(&h, data))
	}
	require.NoError(t, zw.Close())
	rec, err := export.Open(bytes.NewReader(b.Bytes()))
	require.NoError(t, err)
	for _, per := range []bool{false, true} {
		var out bytes.Buffer
		_, err = export.GIF(t.Context(), &out, rec, export.Options{PalettePerFrame: per})
		require.NoError(t, err)
		_, err = gif.DecodeAll(bytes.NewReader(out.Bytes()))
		require.NoError(t, err)
	}
}
