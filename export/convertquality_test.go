package export_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/export"
)

// TestConvertScaledJPEGQuality: JPEG frames that are scaled are encoded
// again at Quality, as raw frames are (they took the default quality).
func TestConvertScaledJPEGQuality(t *testing.T) {
	rec, err := export.Open(bytes.NewReader(rawRecording(t, 3)))
	require.NoError(t, err)
	var jpegs bytes.Buffer // the raw recording as JPEGs
	_, err = export.Convert(t.Context(), &jpegs, rec, export.ConvertOptions{Quality: 95})
	require.NoError(t, err)
	rec, err = export.Open(bytes.NewReader(jpegs.Bytes()))
	require.NoError(t, err)
	size := map[int]int{}
	for _, q := range []int{5, 95} {
		var b bytes.Buffer
		_, err := export.Convert(t.Context(), &b, rec, export.ConvertOptions{Quality: q, Scale: export.ScaleBy(2)})
		require.NoError(t, err)
		size[q] = b.Len()
	}
	assert.Less(t, size[5], size[95]*2/3, "quality 5 is much smaller than 95: %v", size)
}
