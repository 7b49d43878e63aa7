package record_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/record"
)

// TestSourceResumes: a Run of a pipe's source that its context ends (as
// the Recorder's stall watchdog does when the pipe pauses) leaves the
// stream where it was, and the next Run, which the Recorder makes after
// its backoff, goes on with the next frame. The OMV source ended at once
// (io.EOF: the rest of the pipe was never recorded), and Input lost what
// its JPEG splitter or multipart reader had read ahead, then called the
// middle of a frame an unknown input.
func TestSourceResumes(t *testing.T) {
	frames := stamped(6)
	for name, src := range map[string]func(io.Reader) record.Source{
		"omv":             record.OMV,
		"input-omv":       record.Input,
		"input-jpeg":      record.Input,
		"input-multipart": record.Input,
	} {
		t.Run(name, func(t *testing.T) {
			in := map[string][]byte{"omv": omvOfJPEGs(t, frames), "input-omv": omvOfJPEGs(t, frames),
				"input-jpeg": bytes.Join(frames, nil), "input-multipart": mpjpeg(frames)}[name]
			s := src(bytes.NewReader(in))
			var got [][]byte
			for run := 0; run < 10; run++ {
				ctx, cancel := context.WithCancel(t.Context())
				err := s.Run(ctx, func(f *record.Frame) error {
					got = append(got, bytes.Clone(f.Data))
					if len(got)%2 == 0 {
						cancel() // two frames a run
					}
					return nil
				})
				cancel()
				if err == io.EOF {
					break
				}
				require.ErrorIs(t, err, context.Canceled, "run %d", run)
			}
			assert.Equal(t, frames, got)
		})
	}
}
