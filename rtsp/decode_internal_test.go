package rtsp

import (
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNonRef: only access units whose slices no frame refers to may be
// skipped under an FPS limit.
func TestNonRef(t *testing.T) {
	h264c, err := h264Codec(&format.H264{PayloadTyp: 96, PacketizationMode: 1})
	require.NoError(t, err)
	for _, tc := range []struct {
		au     [][]byte
		nonRef bool
	}{
		{[][]byte{{0x01, 0}}, true},             // non-IDR slice, nal_ref_idc 0
		{[][]byte{{0x06, 0}, {0x01, 0}}, true},  // SEI and such a slice
		{[][]byte{{0x41, 0}}, false},            // non-IDR slice, nal_ref_idc 2
		{[][]byte{{0x65, 0}}, false},            // IDR
		{[][]byte{{0x01, 0}, {0x21, 0}}, false}, // one slice of the picture is a reference
	} {
		assert.Equal(t, tc.nonRef, h264c.nonRef(tc.au), "H.264 %x", tc.au)
	}
	h265c, err := h265Codec(&format.H265{PayloadTyp: 96})
	require.NoError(t, err)
	for _, tc := range []struct {
		typ    byte
		nonRef bool
	}{{0, true}, {1, false}, {2, true}, {8, true}, {9, false}, {19, false}, {21, false}} {
		au := [][]byte{{39 << 1, 1}, {tc.typ << 1, 1}} // a SEI, then the slice
		assert.Equal(t, tc.nonRef, h265c.nonRef(au), "H.265 NAL type %d", tc.typ)
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
