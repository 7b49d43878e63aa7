package export_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/imgstream/imgstream/export"
)

// TestParseRangeNegativeEnd: an end given as a negative number, or as no
// number (NaN, Inf), is no range; it never silently means the end.
func TestParseRangeNegativeEnd(t *testing.T) {
	for _, s := range []string{"0:-5", "3:-1"} {
		_, err := export.ParseFrames(s)
		assert.ErrorIs(t, err, export.ErrInvalidRange, s)
	}
	for _, s := range []string{"0:-1s", "0:-0.5", "0:NaN", "NaN:", "0:Inf", "1e300:", "0:1e300"} {
		_, err := export.ParseTimes(s)
		assert.ErrorIs(t, err, export.ErrInvalidRange, s)
	}
}
