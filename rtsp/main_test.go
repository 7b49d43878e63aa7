package rtsp_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: each Run stops
// its client, its decoder and the goroutines between them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
