package export_test

import (
	"bytes"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
)

// failWriter fails every write, and calls failed at the first.
type failWriter struct {
	err    error
	failed func()
}

func (f *failWriter) Write(p []byte) (int, error) {
	if f.failed != nil {
		f.failed()
		f.failed = nil
	}
	return 0, f.err
}

func (f *failWriter) Seek(off int64, whence int) (int64, error) { return 0, nil }

// rawRecording returns a recording of n 64x48 grayscale frames, 10 ms
// apart: frames an export must encode.
func rawRecording(t *testing.T, n int) []byte {
	var b bytes.Buffer
	zw := container.NewWriter(&b)
	data := make([]byte, 64*48)
	for i := range n {
		for p := range data {
			data[p] = byte(i*7 + p*13) // noise: JPEGs of a few KiB
		}
		h := container.Header{Elapsed: 10 * time.Millisecond, Width: 64, Height: 48, Format: container.Grayscale, Size: len(data)}
		require.NoError(t, zw.WriteFrame(&h, data))
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

// TestExportStopsAtWriteError: once the output fails (a full disk), an
// export that encodes frames stops reading and encoding the recording,
// and returns that error.
func TestExportStopsAtWriteError(t *testing.T) {
	rec, err := export.Open(bytes.NewReader(rawRecording(t, 1000)))
	require.NoError(t, err)
	full := errors.New("disk full")
	// The writer fails on the goroutine that emits, while frames are read
	// on the test's.
	var read, atFailure atomic.Int64
	o := export.Options{Workers: 2, Progress: func(n int) { read.Store(int64(n)) }}
	w := &failWriter{err: full, failed: func() { atFailure.Store(read.Load()) }}
	_, err = export.AVI(t.Context(), w, rec, o)
	assert.ErrorIs(t, err, full)
	assert.LessOrEqual(t, read.Load()-atFailure.Load(), int64(2*o.Workers+2), "frames read after the output failed (at frame %d)", atFailure.Load())
	assert.Less(t, read.Load(), int64(1000))
}
