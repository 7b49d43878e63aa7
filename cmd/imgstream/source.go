package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/natsbus"
	"github.com/imgstream/imgstream/record"
)

// recordSource returns the record.Source that SRC names.
func recordSource(cmd *cobra.Command, src string, n *natsFlags) (record.Source, error) {
	switch {
	case src == "-":
		// Read beside the context: a pipe with no frame in it would hold
		// the first Ctrl-C up until the second.
		in, err := openInput(cmd.Context(), "-", cmd.InOrStdin())
		if err != nil {
			return nil, err
		}
		return record.Input(in), nil // OMV IMG STR, JPEGs back to back, or multipart MJPEG
	case strings.HasPrefix(src, "shm:"):
		return record.SHM(strings.TrimPrefix(src, "shm:")), nil
	case strings.HasPrefix(src, "nats://"):
		serverURL, camera, err := natsTarget(src)
		if err != nil {
			return nil, err
		}
		return natsSource(serverURL, camera, n), nil
	case strings.HasPrefix(src, "http://"), strings.HasPrefix(src, "https://"):
		// The library's client: timeouts for connecting and for the
		// headers; the stream itself is watched for stalls by the recorder.
		return record.MJPEG(nil, src), nil
	}
	return nil, usageError{fmt.Errorf("source %q: want an http:// URL of an MJPEG stream, - for a stream on stdin (OMV IMG STR, JPEGs back to back as ffmpeg -f mjpeg writes them, or multipart MJPEG), shm:NAME, or nats://HOST/CAMERA", src)}
}

// natsSource is a record.Source of a camera on NATS that connects when it
// runs (and again after a failure, as the recorder asks).
func natsSource(serverURL, camera string, n *natsFlags) record.Source {
	return record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		nc, err := n.connect(serverURL)
		if err != nil {
			return err
		}
		defer nc.Close()
		return natsbus.Source(nc, camera).Run(ctx, emit)
	})
}

// play passes the frames of the recording at path to each at its
// recorded pace, round and round with loop, until ctx is done, and then
// returns ctx.Err(). Frames are at least imageio.MinFramePeriod apart, and
// a round of the loop takes at least imageio.MinLoopPeriod, so a one-frame
// recording does not spin. It returns nil at the end, and the
// damage (a *container.FrameError) at a damaged frame.
func play(ctx context.Context, path string, loop bool, each func(*imageio.Image) error) error {
	s, err := imageio.Open(path, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	img := new(imageio.Image)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.ReadContext(ctx, img, imageio.ReadOptions{Loop: loop, Pause: true})
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := each(img); err != nil {
			return err
		}
	}
}
