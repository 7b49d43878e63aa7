package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
)

const sample = "../../testdata/sample.omv"

func run(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := newRoot()
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func TestInspect(t *testing.T) {
	out, err := run(t, context.Background(), "inspect", sample)
	require.NoError(t, err)
	assert.Contains(t, out, "OMV IMG STR V2.0, 90 frames, 6s (15.0 fps)")
	assert.Contains(t, out, "90 x JPEG 320x240")

	out, err = run(t, context.Background(), "inspect", "--frames", "../../testdata/golden/v20_mixed.omv")
	require.NoError(t, err)
	rows := regexp.MustCompile(`(?m)^[0-7] +[0-9]+ +[0-9]`).FindAllString(out, -1)
	assert.Len(t, rows, 8, "a table row a frame: %s", out)
	// Offsets as the golden manifest gives them.
	assert.Contains(t, out, "6      1344    16m39.999s  9x9    PNG")

	out, err = run(t, context.Background(), "inspect", "../../testdata/golden/truncated_header.omv")
	require.ErrorIs(t, err, errDamaged)
	assert.Contains(t, out, "2 frames")
	assert.Contains(t, out, "frame 2 at offset 1904")

	_, err = run(t, context.Background(), "inspect", "--strict", "../../testdata/golden/nonzero_padding.omv")
	require.ErrorIs(t, err, errDamaged)
	_, err = run(t, context.Background(), "inspect", "../../testdata/golden/nonzero_padding.omv")
	require.NoError(t, err, "lenient by default, as the firmware")
}

func TestRepair(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cut.omv")
	data, err := os.ReadFile("../../testdata/golden/truncated_payload.omv")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	out, err := run(t, context.Background(), "repair", path)
	require.NoError(t, err)
	assert.Contains(t, out, "kept 1 frames (3248 bytes), dropped 1032 bytes")
	out, err = run(t, context.Background(), "repair", path)
	require.NoError(t, err)
	assert.Contains(t, out, "1 frames, nothing to repair")
	_, err = run(t, context.Background(), "inspect", path)
	require.NoError(t, err)
}

// TestServe serves the sample on a real port and reads the stream: the
// frames are the recording's JPEG frames, untouched, at its pace.
func TestServe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		root := newRoot()
		root.SetOut(&out)
		root.SetArgs([]string{"serve", "--addr", addr, sample})
		done <- root.ExecuteContext(ctx)
	}()
	var r *mjpeg.Reader
	require.Eventually(t, func() bool {
		r, err = mjpeg.Dial(context.Background(), "http://"+addr+"/stream.mjpg")
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
	defer r.Close()

	s, err := imageio.Open(sample, nil)
	require.NoError(t, err)
	defer s.Close()
	start := time.Now()
	for i := range 5 {
		want, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
		require.Equal(t, container.JPEG, want.Format)
		got, err := r.NextFrame()
		require.NoError(t, err)
		assert.Equal(t, want.Data, got, "frame %d passes through untouched", i)
	}
	assert.GreaterOrEqual(t, time.Since(start), 4*time.Second/15, "five frames at 15 fps take at least four intervals")
	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, out.String(), "serving "+sample+" (90 frames) at http://"+addr+"/")
}

func TestServeErrors(t *testing.T) {
	_, err := run(t, context.Background(), "serve", "../../testdata/golden/bad_magic.omv")
	require.ErrorIs(t, err, container.ErrBadMagic)
	_, err = run(t, context.Background(), "serve", "../../testdata/golden/v20_empty.omv")
	require.ErrorContains(t, err, "no frames")
	_, err = run(t, context.Background(), "serve")
	require.Error(t, err)
}
