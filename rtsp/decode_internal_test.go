package rtsp

import (
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEvery: the frames ffmpeg encodes under an FPS limit, one in K,
// from the least interval between the first units, B-frames and all.
func TestEvery(t *testing.T) {
	fifteen := func(k ...int) []unit { // units k frames of 1/15 s in
		var us []unit
		for _, k := range k {
			us = append(us, unit{t: ticks(int64(k*6000), 90000)})
		}
		return us
	}
	for _, tc := range []struct {
		fps  float64
		head []unit
		want int
	}{
		{5, fifteen(0, 1, 2, 3), 3},
		{5, fifteen(0, 3, 1, 2), 3}, // decode order with two B-frames
		{7, fifteen(0, 1, 2, 3), 2}, // 15/7: ffmpeg gives 7.5, the picker 7
		{30, fifteen(0, 1, 2, 3), 1},
		{0, fifteen(0, 1, 2, 3), 1},
		{1, fifteen(0, 0), 1}, // no interval seen
		{1, fifteen(0, 1), 15},
	} {
		s := &Source{FPS: tc.fps}
		assert.Equal(t, tc.want, s.every(tc.head), "%v fps", tc.fps)
	}
}

// TestAnnexB: a key frame gets the SDP's parameter sets before it,
// unless it carries its own; other frames never do.
func TestAnnexB(t *testing.T) {
	sps, pps := []byte{0x67, 1}, []byte{0x68, 2}
	c, err := h264Codec(&format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: pps})
	require.NoError(t, err)
	idr := [][]byte{{0x65, 9}}
	assert.Equal(t, []byte{0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2, 0, 0, 0, 1, 0x65, 9},
		annexB(idr, c.params, !c.inband(idr)))
	own := [][]byte{{0x67, 3}, {0x68, 4}, {0x65, 9}}
	assert.Equal(t, []byte{0, 0, 0, 1, 0x67, 3, 0, 0, 0, 1, 0x68, 4, 0, 0, 0, 1, 0x65, 9},
		annexB(own, c.params, !c.inband(own)))
	assert.Equal(t, []byte{0, 0, 0, 1, 0x41, 9}, annexB([][]byte{{0x41, 9}}, c.params, false))
}
