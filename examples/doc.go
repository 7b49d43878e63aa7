// Package examples holds runnable programs, one per use case, that use only
// imgstream's public API. Each is a main package in its own directory:
//
//	go run ./examples/record -o /tmp/stream.bin      # record, as OpenMV's image_io record example
//	go run ./examples/replay /tmp/stream.bin         # replay at the recorded pace
//	go run ./examples/memory                         # a history in preallocated memory
//	go run ./examples/framediff                      # frame differencing on an in-memory history
//	go run ./examples/pretrigger -o /tmp/event.omv   # keep the last seconds; save them on motion
//	go run ./examples/securitycam -dir /tmp/clips    # the same on a camera, with the record package
//
// The programs make their own synthetic frames, so they run without a camera.
package examples
