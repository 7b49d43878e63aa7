package imageio

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFancyUpsampling(t *testing.T) {
	dst := make([]byte, 6)
	fancy1(dst, []byte{100, 100, 100})
	assert.Equal(t, []byte{100, 100, 100, 100, 100, 100}, dst)
	fancy1(dst, []byte{0, 0, 200})
	// Each output is 3/4 the nearer sample and 1/4 the next nearer.
	assert.Equal(t, []byte{0, 0, 0, 50, 150, 200}, dst)
	odd := make([]byte, 5) // an odd width drops the last half sample
	fancy1(odd, []byte{0, 0, 200})
	assert.Equal(t, []byte{0, 0, 0, 50, 150}, odd)

	fancy2(dst, []byte{0, 0, 200}, []byte{0, 0, 200})
	assert.Equal(t, []byte{0, 0, 0, 50, 150, 200}, dst, "identical rows: as fancy1")
	fancy2(dst, []byte{160, 160, 160}, []byte{0, 0, 0})
	assert.Equal(t, []byte{120, 120, 120, 120, 120, 120}, dst, "vertically 3:1")
}
