package record_test

import (
	"context"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/record"
)

// TestWriteBatch: at 30 fps the writer is woken once a batch (writeBatch)
// and writes the frames waiting in one write; when the frames stop, a
// timer wakes it for the last ones within 3 batches; at 5 fps each frame
// is written as it comes.
func TestWriteBatch(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		frames   int
		maxWrite int // writes of frames, at most
	}{
		{"30 fps", 33 * time.Millisecond, 60, 60/int(record.WriteBatch/(33*time.Millisecond)) + 2},
		{"5 fps", 200 * time.Millisecond, 10, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dir := t.TempDir()
				writes := 0
				record.FileFault(t, func(op, name string) error {
					if op == "write" {
						writes++
					}
					return nil
				})
				sent := make(chan int)
				src := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
					for i := range tc.frames {
						time.Sleep(tc.interval)
						if err := emit(numbered(i)); err != nil {
							return err
						}
						sent <- i
					}
					<-ctx.Done() // a camera that stops sending
					return ctx.Err()
				})
				rec, err := record.New(record.Config{Source: src, Pattern: filepath.Join(dir, "rec.omv"), Stall: time.Minute})
				require.NoError(t, err)
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error)
				go func() { done <- rec.Run(ctx) }()
				lag := 0 // the most frames waiting for the writer
				for i := range tc.frames {
					<-sent
					synctest.Wait()
					lag = max(lag, i+1-rec.Status().Frames)
				}
				if tc.interval >= record.WriteBatch {
					assert.Zero(t, lag, "frames waited for the writer at %v a frame", tc.interval)
				} else {
					assert.Positive(t, lag, "no frame waited for a batch")
					assert.LessOrEqual(t, lag, int(record.WriteBatch/tc.interval)+1, "frames waiting")
				}
				time.Sleep(3 * record.WriteBatch)
				synctest.Wait()
				assert.Equal(t, tc.frames, rec.Status().Frames, "frames written 3 batches after the last")
				assert.LessOrEqual(t, writes-1, tc.maxWrite, "writes of frames (the first writes the magic)")
				cancel()
				require.ErrorIs(t, <-done, context.Canceled)
				assert.Len(t, readClip(t, filepath.Join(dir, "rec.omv")), tc.frames)
			})
		})
	}
}
