package export_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/export"
)

// TestRenderNilDone: a Render that gives no function to call after the
// frame (nothing to give back) is no panic.
func TestRenderNilDone(t *testing.T) {
	rec, err := export.Open(bytes.NewReader(recording(3)))
	require.NoError(t, err)
	renders := 0
	o := export.Options{Render: func(context.Context) (func(), error) {
		renders++
		return nil, nil
	}}
	res, err := export.GIF(t.Context(), io.Discard, rec, o)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Frames)
	assert.Equal(t, 3, renders)
}
