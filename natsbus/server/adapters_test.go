package server_test

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/natsbus"
	"github.com/imgstream/imgstream/record"
)

// TestAdapters: a camera's frames on NATS through natsbus.Source (for a
// Recorder) and natsbus.MJPEG (for a browser). JPEG frames reach both byte
// for byte, with their capture times on the Source; raw frames reach the
// MJPEG side encoded, at their size.
func TestAdapters(t *testing.T) {
	srv := start(t, "")
	pub, err := natsbus.NewPublisher(connect(t, srv.URL()), "cam")
	require.NoError(t, err)
	jh, jpg := frameOf(1, 0, 0)
	rh, raw := frameOf(2, 32, 16)
	t0 := time.Unix(1700000000, 0)
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	wg.Go(func() { // until both adapters have subscribed and seen both kinds
		for i := 0; ctx.Err() == nil; i++ {
			pub.Publish(jh, jpg, t0.Add(time.Duration(2*i)*time.Second))
			pub.Publish(rh, raw, t0.Add(time.Duration(2*i+1)*time.Second))
			time.Sleep(5 * time.Millisecond)
		}
	})

	nc := connect(t, srv.URL())
	var sawJPEG, sawRaw bool
	errEnough := errors.New("enough")
	err = natsbus.Source(nc, "cam").Run(ctx, func(f *record.Frame) error {
		sec := f.Time.Sub(t0) / time.Second
		switch f.Format {
		case container.JPEG:
			sawJPEG = true
			assert.True(t, bytes.Equal(jpg, f.Data), "JPEG byte for byte")
			assert.Equal(t, time.Duration(0), sec%2, "a JPEG's capture time: %v", f.Time)
		case container.RGB24:
			sawRaw = true
			assert.True(t, bytes.Equal(raw, f.Data), "raw byte for byte")
			assert.Equal(t, [2]int{32, 16}, [2]int{f.Width, f.Height})
			assert.Equal(t, time.Duration(1), sec%2, "a raw frame's capture time: %v", f.Time)
		default:
			t.Errorf("format %v", f.Format)
		}
		if sawJPEG && sawRaw {
			return errEnough
		}
		return nil
	})
	require.ErrorIs(t, err, errEnough, "Run returns emit's error")

	mctx, mcancel := context.WithCancel(ctx)
	sawJPEG, sawRaw = false, false
	err = natsbus.MJPEG(nc, "cam").Run(mctx, func(b []byte) {
		if bytes.Equal(b, jpg) {
			sawJPEG = true
		} else if c, err := jpeg.DecodeConfig(bytes.NewReader(b)); assert.NoError(t, err) {
			sawRaw = true
			assert.Equal(t, [2]int{32, 16}, [2]int{c.Width, c.Height}, "a raw frame encoded at its size")
		}
		if sawJPEG && sawRaw {
			mcancel()
		}
	})
	require.NoError(t, err, "MJPEG ends without an error when its viewers go")
	assert.True(t, sawJPEG && sawRaw)
}
