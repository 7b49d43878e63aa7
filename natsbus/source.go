package natsbus

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/record"
)

// Source returns a record.Source of camera's live frames on nc, for a
// Recorder on another host than the camera: each frame keeps its capture
// time, and the frames it skipped or lost are counted as Skipped.
func Source(nc *nats.Conn, camera string) record.Source {
	return record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		sub, err := Subscribe(nc, camera)
		if errors.Is(err, ErrInvalidCamera) || errors.Is(err, nats.ErrConnectionClosed) {
			return record.Permanent(err)
		} else if err != nil {
			return err // a server slow to answer: the Recorder tries again
		}
		defer sub.Close()
		var rf record.Frame
		var gone uint64 // skipped and lost, told already
		for {
			f, err := sub.Next(ctx)
			if err != nil {
				return err
			}
			st := sub.Stats()
			rf.Image = imageio.ImageOf(&f.Header, f.Data)
			rf.Time = f.Time
			rf.Skipped = st.Skipped + st.Lost - gone
			gone = st.Skipped + st.Lost
			if err := emit(&rf); err != nil {
				return err
			}
		}
	})
}

// MJPEG returns an mjpeg.Source of camera's live frames on nc, for a
// browser, ffmpeg or VLC: JPEG frames pass through, others are encoded
// once each.
func MJPEG(nc *nats.Conn, camera string) mjpeg.Source {
	return mjpeg.SourceFunc(func(ctx context.Context, publish func([]byte)) error {
		sub, err := Subscribe(nc, camera)
		if err != nil {
			return err
		}
		defer sub.Close()
		var jpg []byte
		for {
			f, err := sub.Next(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if f.Header.Format == container.JPEG {
				publish(f.Data) // which copies it
				continue
			}
			m := imageio.ImageOf(&f.Header, f.Data)
			if jpg, err = m.AppendJPEG(jpg[:0]); err != nil {
				continue // a frame that does not encode: the next one will
			}
			publish(jpg)
		}
	})
}
