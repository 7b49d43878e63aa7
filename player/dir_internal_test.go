package player

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// TestDirIndexBound: between requests a folder's player keeps at most its
// bound of frames indexed and of recordings open, closing the least
// recently used; a recording a request still uses (a stream) stays open
// meanwhile (issue 17, item 10: every recording was indexed for good,
// about 270 B a frame).
func TestDirIndexBound(t *testing.T) {
	dir := t.TempDir()
	const n, frames = 6, 10
	for i := range n {
		s, err := imageio.Create(filepath.Join(dir, fmt.Sprintf("c%d.omv", i)), nil)
		require.NoError(t, err)
		at := time.Now()
		for j := range frames {
			require.NoError(t, s.WriteAt(&imageio.Image{Width: 8, Height: 4, Format: container.Grayscale, Data: make([]byte, 32)}, at.Add(time.Duration(j)*time.Millisecond)))
		}
		require.NoError(t, s.Close())
	}
	p, d, err := newDir(dir, Options{}, 3, 2*frames+frames/2)
	require.NoError(t, err)
	ts := httptest.NewServer(p)
	t.Cleanup(func() { ts.Close(); p.Close() })
	held := func() (open, indexed int) {
		d.mu.Lock()
		defer d.mu.Unlock()
		return len(d.open), d.frames
	}
	get := func(path string) int {
		resp, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range n {
		require.Equal(t, http.StatusOK, get(fmt.Sprintf("/r/%d/api/frames", i)))
		open, indexed := held()
		assert.Equal(t, min(i+1, 2), open, "after %d: the two used last", i)
		assert.LessOrEqual(t, indexed, 2*frames+frames/2)
	}

	// A stream of recording 0 keeps it open while the others come and go.
	resp, err := http.Get(ts.URL + "/r/0/stream.mjpg?from=0")
	require.NoError(t, err)
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(t, err)
	mr := multipart.NewReader(resp.Body, params["boundary"])
	_, err = mr.NextPart()
	require.NoError(t, err)
	for i := 1; i < n; i++ {
		require.Equal(t, http.StatusOK, get(fmt.Sprintf("/r/%d/frame/%d.jpg", i, i)))
		open, _ := held()
		assert.LessOrEqual(t, open, 3, "the stream's and the two used last")
	}
	for range frames {
		part, err := mr.NextPart()
		require.NoError(t, err, "the stream reads on")
		io.Copy(io.Discard, part)
	}
}
