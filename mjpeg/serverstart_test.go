package mjpeg_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/mjpeg"
)

// TestNoViewerNoSource: a HEAD of the stream and a request refused for
// its ?fps= are no viewers: they do not start the Source (a camera), which
// would run on for IdleTimeout.
func TestNoViewerNoSource(t *testing.T) {
	s := &mjpeg.Server{Source: mjpeg.SourceFunc(func(ctx context.Context, publish func([]byte)) error {
		<-ctx.Done()
		return nil
	})}
	ts := serve(t, s)
	resp, err := http.Head(ts.URL + "/stream.mjpg")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get(ts.URL + "/stream.mjpg?fps=0")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.False(t, s.Stats().Running, "the source was started")
}
