// Package bench compares imgstream with the libraries a Go programmer would
// otherwise pick, in the same benchmark run and beside the physical limit
// (a plain copy). It is its own module so that no peer ever enters the
// library's go.mod.
//
//	cd bench && go test -run '^$' -bench . -count 6 | go run ../internal/benchratio -limit copy
//
// TestAgainstMotion compares `imgstream record --config` with Motion 4.5.1,
// the recorder NVR users run, on emulated 640x480 30 fps MJPEG cameras:
// CPU per camera, peak RSS, frames kept against frames sent and MB per
// camera-minute, recording everything and on motion (see the README's
// "Against Motion"):
//
//	cd bench && IMGSTREAM_MOTION_N=1,2,4,8,16,32 IMGSTREAM_MOTION_SECONDS=40 go test -run TestAgainstMotion -v -timeout 0
package bench
