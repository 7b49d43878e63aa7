package server_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/natsbus"
)

// recorded starts a server with JetStream recording camera, and returns a
// connection and its JetStream.
func recorded(t *testing.T, camera string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	srv := start(t, t.TempDir())
	nc := connect(t, srv.URL())
	js := jetstreamOf(t, nc)
	_, err := natsbus.Record(t.Context(), js, camera, natsbus.RecordOptions{Memory: true})
	require.NoError(t, err)
	return nc, js
}

// waitMsgs waits until camera's stream holds n messages.
func waitMsgs(t *testing.T, js jetstream.JetStream, camera string, n uint64) {
	t.Helper()
	require.Eventually(t, func() bool {
		st, err := js.Stream(t.Context(), natsbus.StreamName(camera))
		if err != nil {
			return false
		}
		info, err := st.Info(t.Context())
		return err == nil && info.State.Msgs >= n
	}, 10*time.Second, 5*time.Millisecond)
}

// export exports camera to a file and returns what Export said and the
// file's frames.
func export(t *testing.T, js jetstream.JetStream, camera string) (natsbus.ExportStats, []container.Header, [][]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), camera+".omv")
	f, err := os.Create(path)
	require.NoError(t, err)
	st, err := natsbus.Export(t.Context(), js, camera, natsbus.ReplayOptions{}, f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	zr, err := container.NewReader(bytes.NewReader(mustRead(t, path)))
	require.NoError(t, err)
	var hs []container.Header
	var data [][]byte
	for {
		h, d, err := zr.ReadFrame(nil)
		if err != nil {
			break
		}
		hs, data = append(hs, *h), append(data, bytes.Clone(d))
	}
	return st, hs, data
}

// TestExportLongGap: a gap longer than a V2.1 interval holds (71.6 min)
// is clamped to MaxInterval and counted; the frames after it are kept,
// with their intervals.
func TestExportLongGap(t *testing.T) {
	nc, js := recorded(t, "door")
	pub, err := natsbus.NewPublisher(nc, "door")
	require.NoError(t, err)
	t0 := time.Unix(1700000000, 0)
	times := []time.Time{t0, t0.Add(100 * time.Millisecond), t0.Add(3 * time.Hour), t0.Add(3*time.Hour + 40*time.Millisecond), t0.Add(30 * 24 * time.Hour)}
	var want [][]byte
	for i, at := range times {
		h, data := frameOf(i, 0, 0)
		require.NoError(t, pub.Publish(h, data, at))
		want = append(want, data)
	}
	waitMsgs(t, js, "door", uint64(len(times)))

	st, hs, got := export(t, js, "door")
	assert.Equal(t, natsbus.ExportStats{Frames: 5, Clamped: 2}, st)
	require.Len(t, got, 5, "every frame, those after the gaps too")
	for i := range want {
		assert.True(t, bytes.Equal(want[i], got[i]), "frame %d", i)
	}
	assert.Equal(t, 100*time.Millisecond, hs[1].Elapsed)
	assert.Equal(t, natsbus.MaxInterval, hs[2].Elapsed, "the gap, clamped")
	assert.Equal(t, 40*time.Millisecond, hs[3].Elapsed, "the interval after the gap is kept")
	assert.Equal(t, natsbus.MaxInterval, hs[4].Elapsed)
}

// TestExportGoesOn: an RGB24 or BGR24 frame (OpenCV's) is converted to
// JPEG, a frame no OMV file holds is skipped, a message that is not a
// frame is skipped; each is counted, and the frames after them exported.
func TestExportGoesOn(t *testing.T) {
	nc, js := recorded(t, "yard")
	pub, err := natsbus.NewPublisher(nc, "yard")
	require.NoError(t, err)
	t0 := time.Unix(1700000000, 0)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 100 * time.Millisecond) }
	h0, jpg0 := frameOf(0, 0, 0)
	require.NoError(t, pub.Publish(h0, jpg0, at(0)))
	rgb := container.Header{Width: 32, Height: 16, Format: container.RGB24}
	require.NoError(t, pub.Publish(rgb, make([]byte, 32*16*3), at(1)))
	bgr := container.Header{Width: 32, Height: 16, Format: container.BGR24}
	require.NoError(t, pub.Publish(bgr, make([]byte, 32*16*3), at(2)))
	// A format of no OMV file, and a message that is no frame.
	require.NoError(t, pub.Publish(container.Header{Width: 4, Height: 4, Format: 0x7f000000}, []byte("????"), at(3)))
	require.NoError(t, nc.Publish(natsbus.Subject("yard"), []byte("hello")))
	h4, jpg4 := frameOf(4, 0, 0)
	require.NoError(t, pub.Publish(h4, jpg4, at(4)))
	waitMsgs(t, js, "yard", 6)

	st, hs, got := export(t, js, "yard")
	assert.Equal(t, natsbus.ExportStats{Frames: 4, Converted: 2, Skipped: 1, Invalid: 1}, st)
	require.Len(t, got, 4)
	assert.True(t, bytes.Equal(jpg0, got[0]))
	for i := 1; i <= 2; i++ {
		assert.Equal(t, container.JPEG, hs[i].Format, "frame %d, converted", i)
		assert.Equal(t, 32, hs[i].Width)
	}
	assert.True(t, bytes.Equal(jpg4, got[3]), "the frame after the bad ones")
	assert.Equal(t, 200*time.Millisecond, hs[3].Elapsed, "at its capture time")
}

// TestReplayEmptyRange: a replay from after the newest frame is empty, at
// once; a camera that JetStream does not record is ErrNotRecorded.
func TestReplayEmptyRange(t *testing.T) {
	nc, js := recorded(t, "gate")
	pub, err := natsbus.NewPublisher(nc, "gate")
	require.NoError(t, err)
	h, data := frameOf(1, 0, 0)
	require.NoError(t, pub.Publish(h, data, time.Time{}))
	waitMsgs(t, js, "gate", 1)
	n := 0
	// Not a wait for a message that never comes (MaxWait, then an error).
	o := natsbus.ReplayOptions{Since: time.Now().Add(time.Hour)}
	require.NoError(t, natsbus.Replay(t.Context(), js, "gate", o, func(*natsbus.Frame) error { n++; return nil }))
	assert.Zero(t, n)

	err = natsbus.Replay(t.Context(), js, "nobody", natsbus.ReplayOptions{}, func(*natsbus.Frame) error { return nil })
	assert.ErrorIs(t, err, natsbus.ErrNotRecorded)
	_, err = natsbus.Export(t.Context(), js, "nobody", natsbus.ReplayOptions{}, nil)
	assert.ErrorIs(t, err, natsbus.ErrNotRecorded)
}
