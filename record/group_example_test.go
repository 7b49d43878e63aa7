package record_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/record"
)

// Two cameras in one Group, each into its own clips, under one Keep of
// 1 GiB for both. Here each camera is a short OMV stream, which ends: a
// real one (record.MJPEG) runs until the Group's context is done, and
// Set may change the cameras meanwhile.
func ExampleGroup() {
	camera := func(n int) record.Source {
		var stream bytes.Buffer
		zw := container.NewWriter(&stream)
		for i := range n {
			h := container.Header{Elapsed: 10 * time.Millisecond, Width: 8, Height: 8, Format: container.Grayscale}
			zw.WriteFrame(&h, bytes.Repeat([]byte{byte(i)}, 64))
		}
		return record.OMV(&stream)
	}
	dir, _ := os.MkdirTemp("", "cameras")
	defer os.RemoveAll(dir)

	g := &record.Group{Keep: record.Keep{Size: 1 << 30}}
	err := g.Set([]record.Config{
		{Name: "door", Source: camera(5), Pattern: filepath.Join(dir, "door", "%Y%m%d-%H%M%S.omv")},
		{Name: "yard", Source: camera(8), Pattern: filepath.Join(dir, "yard", "%Y%m%d-%H%M%S.omv")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- g.Run(ctx) }()
	for ended := 0; ended < 2; time.Sleep(10 * time.Millisecond) {
		ended = 0
		for _, st := range g.Status() {
			if st.Ended != "" {
				ended++
			}
		}
	}
	cancel()
	<-done
	for _, st := range g.Status() {
		fmt.Printf("%s: %d frames in, %d in %s\n", st.Name, st.FramesIn, st.LastClip.Frames, filepath.Base(filepath.Dir(st.LastClip.Path)))
	}
	// Output:
	// door: 5 frames in, 5 in door
	// yard: 8 frames in, 8 in yard
}
