//go:build e2e

package bench

import (
	"testing"
	"time"
)

// TestE2EAgainstMotion is the test-sized form of TestAgainstMotion, for CI
// (make e2e): at once, 4 emulated cameras recorded continuously and 4
// others on motion with 10 s before it by `imgstream record --config`,
// and 2 by Motion, for 22 s: the figure walks across each picture 12 s in.
// imgstream must keep every frame the cameras sent, in order, in the
// continuous mode, and every walk with the 10 s before it in the motion
// mode; Motion must record (the harness that configures it works).
func TestE2EAgainstMotion(t *testing.T) {
	h := newHarness(t)
	needTools(t, h)
	const (
		n      = 4
		length = 22 * time.Second
	)
	t.Run("imgstream-continuous", func(t *testing.T) {
		t.Parallel()
		r := h.forTest(t).run(imgstreamRec, "continuous", n, length)
		if r.Sent < n*20*camFPS {
			t.Fatalf("the cameras sent %d frames in %v: want at least %d", r.Sent, length, n*20*camFPS)
		}
		// A camera that ran late itself (a starved test process)
		// skipped frames it never sent: no fault of the recorder.
		if r.Kept != r.Sent || r.Skipped != r.Late || r.Gaps != 0 || r.Repeats != 0 {
			t.Errorf("kept %d of %d frames sent (%d the recorder held up), %d missing between two kept, %d repeated: want all, once, in order\n%s",
				r.Kept, r.Sent, r.Skipped-r.Late, r.Gaps, r.Repeats, r.Log)
		}
	})
	t.Run("imgstream-motion", func(t *testing.T) {
		t.Parallel()
		r := h.forTest(t).run(imgstreamRec, "motion", n, length)
		if r.Events != n {
			t.Fatalf("%d walks sent in full: want one per camera (%d); the cameras sent %d frames", r.Events, n, r.Sent)
		}
		if r.EventsWithPre != r.Events || r.Skipped != r.Late || r.Gaps != 0 || r.Repeats != 0 {
			t.Errorf("%d of %d walks kept whole with the %d s before them, %d frames the recorder held up, %d missing in clips, %d repeated: want all, none, none, none\n%s",
				r.EventsWithPre, r.Events, preSeconds, r.Skipped-r.Late, r.Gaps, r.Repeats, r.Log)
		}
	})
	t.Run("motion-h264-continuous", func(t *testing.T) {
		t.Parallel()
		r := h.forTest(t).run(motionH264Rec, "continuous", 2, length)
		if r.Clips < 2 || r.Kept < r.Sent/2 {
			t.Errorf("Motion wrote %d movies of %d frames of the %d sent: want a movie per camera with most of the frames\n%s", r.Clips, r.Kept, r.Sent, r.Log)
		}
	})
}

// forTest returns a copy of h that reports to t, for a parallel subtest.
func (h *harness) forTest(t testing.TB) *harness {
	c := *h
	c.t = t
	return &c
}
