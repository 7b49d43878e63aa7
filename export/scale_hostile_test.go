package export_test

import (
	"image"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
)

// TestScaleLimits: no Scale, however made, enlarges past MaxScaleFactor
// or past container.MaxDimension a side (the documented limits), so no
// frame asks for gigabytes.
func TestScaleLimits(t *testing.T) {
	for _, c := range []struct {
		s    export.Scale
		w, h int
	}{
		{export.ScaleTo(container.MaxDimension, container.MaxDimension), 320, 240},
		{export.ScaleTo(container.MaxDimension, 0), 1, 100},
		{export.ScaleTo(0, container.MaxDimension), 100, 1},
		{export.ScaleTo(1<<30, 1<<30), 320, 240},
		{export.ScaleBy(16), 4000, 3000},
		{export.ScaleBy(math.NaN()), 320, 240},
		{export.ScaleBy(math.Inf(1)), 320, 240},
	} {
		w, h := c.s.Size(c.w, c.h)
		assert.LessOrEqual(t, w, min(container.MaxDimension, c.w*export.MaxScaleFactor), "%v of %dx%d", c.s, c.w, c.h)
		assert.LessOrEqual(t, h, min(container.MaxDimension, c.h*export.MaxScaleFactor), "%v of %dx%d", c.s, c.w, c.h)
		assert.GreaterOrEqual(t, min(w, h), 1)
	}
	for _, s := range []string{"32767x0", "0x32767"} {
		sc, err := export.ParseScale(s)
		require.NoError(t, err)
		w, h := sc.Size(2, 200)
		assert.LessOrEqual(t, max(w, h), container.MaxDimension, s)
		w, h = sc.Size(200, 2)
		assert.LessOrEqual(t, max(w, h), container.MaxDimension, s)
	}
	// Apply on a picture: a bounded allocation.
	out := export.ScaleTo(container.MaxDimension, 0).Apply(image.NewRGBA(image.Rect(0, 0, 1, 100)))
	assert.LessOrEqual(t, out.Bounds().Dy(), container.MaxDimension)
}
