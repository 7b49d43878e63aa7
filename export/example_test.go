package export_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
)

// recording returns a V2.0 recording of n 32x24 JPEG frames, 66 or 67 ms
// apart (15 fps, as the sample's camera), as bytes.
func recording(n int) []byte {
	var b bytes.Buffer
	zw := container.NewWriter(&b)
	for i := range n {
		m := image.NewRGBA(image.Rect(0, 0, 32, 24))
		for p := range m.Pix {
			m.Pix[p] = byte(i * 20)
		}
		var jpg bytes.Buffer
		if err := jpeg.Encode(&jpg, m, nil); err != nil {
			log.Fatal(err)
		}
		elapsed := time.Duration(66+i%3/2) * time.Millisecond
		h := container.Header{Elapsed: elapsed, Width: 32, Height: 24, Format: container.JPEG, Size: jpg.Len()}
		if err := zw.WriteFrame(&h, jpg.Bytes()); err != nil {
			log.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// ExampleAVI exports a recording as an MJPEG AVI, at the rate that keeps
// every frame, as "imgstream export rec.omv out.avi" does.
func ExampleAVI() {
	rec, err := export.Open(bytes.NewReader(recording(10)))
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(filepath.Join(os.TempDir(), "example-export.avi"))
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	res, err := export.AVI(context.Background(), f, rec, export.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d frames at %v fps, %d dropped\n", res.Frames, res.Rate, res.Dropped)
	// Output: 10 frames at 15/1 fps, 0 dropped
}

// ExampleGIF exports a range of frames, by time, as an animated GIF at
// half size, to any io.Writer.
func ExampleGIF() {
	rec, err := export.Open(bytes.NewReader(recording(10)))
	if err != nil {
		log.Fatal(err)
	}
	var b bytes.Buffer
	o := export.Options{Range: export.Times(200*time.Millisecond, -1), Scale: export.ScaleBy(0.5)}
	if _, err := export.GIF(context.Background(), &b, rec, o); err != nil {
		log.Fatal(err)
	}
	g, err := gif.DecodeAll(&b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(g.Image), "frames of", g.Config.Width, "x", g.Config.Height, "delays", g.Delay)
	// Output: 6 frames of 16 x 12 delays [6 7 6 7 7 7]
}

// ExampleSummaryOf describes a recording in the JSON of "imgstream info
// --json" and of the player's /api/info.
func ExampleSummaryOf() {
	rec, err := export.Open(bytes.NewReader(recording(10)))
	if err != nil {
		log.Fatal(err)
	}
	s := export.SummaryOf("camera.omv", rec)
	if err := s.WriteJSON(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// {
	//   "file": "camera.omv",
	//   "version": "V2.0",
	//   "time_unit": "ms",
	//   "count": 10,
	//   "duration_us": 597000,
	//   "fps": 15.075376884422111,
	//   "min_fps": 14.925373134328357,
	//   "max_fps": 15.15151515151515,
	//   "width": 32,
	//   "height": 24,
	//   "bytes": 6084,
	//   "formats": {
	//     "JPEG 32x24": 10
	//   },
	//   "damage": null
	// }
}

// ExampleEncoder encodes raw frames as JPEG on every core, and gets them
// back in the order they went in.
func ExampleEncoder() {
	var order []int64
	e := export.NewEncoder(0, func(m *imageio.Image) ([]byte, error) {
		return m.AppendJPEG(nil)
	}, func(jpg []byte, seq int64) error {
		order = append(order, seq) // one call at a time, in order
		return nil
	})
	m := imageio.Image{Width: 64, Height: 48, Format: container.Grayscale, Data: make([]byte, 64*48)}
	for i := range 8 {
		m.Data[0] = byte(i) // m is copied by Put: its buffer may be reused
		e.Put(&m, int64(i))
	}
	if err := e.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(order)
	// Output: [0 1 2 3 4 5 6 7]
}

// A recorder's folder of clips, exported by wall time: the frames of
// every clip in the range, the gap between the clips kept as time.
func ExampleFolder_Recording() {
	dir, err := os.MkdirTemp("", "clips")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// Two clips of camera "door", 5 frames a second apart each, named by
	// their first frame's local time (as record's default pattern does).
	for _, name := range []string{"20261202-100000.omv", "20261202-100010.omv"} {
		os.MkdirAll(filepath.Join(dir, "door"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, "door", name), recordingEvery(5, time.Second), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	f, err := export.OpenFolder(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	for _, c := range f.Clips() {
		fmt.Println(c.Camera, c.Path, c.Start.Format("15:04:05"), "to", c.End.Format("15:04:05"), "from its", c.Clock)
	}
	from := time.Date(2026, 12, 2, 10, 0, 3, 0, time.Local)
	rec, err := f.Recording("door", from, from.Add(9*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Close()
	fmt.Println(rec.Times(export.Range{}))
	res, err := export.AVI(context.Background(), &seeker{}, rec, export.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Frames, "frames at", res.Rate, "fps")
	// Output:
	// door door/20261202-100000.omv 10:00:00 to 10:00:04 from its name
	// door door/20261202-100010.omv 10:00:10 to 10:00:14 from its name
	// [0s 1s 7s 8s]
	// 4 frames at 1/1 fps
}

// recordingEvery is recording's frames, every apart.
func recordingEvery(n int, every time.Duration) []byte {
	x, err := container.ReadIndex(bytes.NewReader(recording(n)))
	if err != nil {
		log.Fatal(err)
	}
	b := recording(n)
	var out bytes.Buffer
	zw := container.NewWriter(&out)
	for i := range x.Entries {
		h := x.Entries[i].Header
		h.Elapsed = every
		data, err := x.ReadPayload(bytes.NewReader(b), i, nil)
		if err != nil {
			log.Fatal(err)
		}
		if err := zw.WriteFrame(&h, data); err != nil {
			log.Fatal(err)
		}
	}
	zw.Close()
	return out.Bytes()
}
