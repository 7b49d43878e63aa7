package mjpeg_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/imgstream/imgstream/mjpeg"
)

func solidJPEG(c color.Color) []byte {
	m := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			m.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, m, nil)
	return b.Bytes()
}

// A server fed by Publish, read by the package's own client.
func ExampleServer() {
	var s mjpeg.Server
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer s.Close()

	s.Publish(solidJPEG(color.RGBA{255, 0, 0, 255}))
	r, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	frame, err := r.NextFrame()
	if err != nil {
		log.Fatal(err)
	}
	m, _ := jpeg.Decode(bytes.NewReader(frame))
	red, _, _, _ := m.At(10, 10).RGBA()
	fmt.Println("first frame is red:", red>>8 > 250)
	// Output: first frame is red: true
}

// A source that runs only while somebody watches: the camera is opened with
// the first viewer and closed 10 seconds after the last one leaves.
func ExampleSourceFunc() {
	camera := mjpeg.SourceFunc(func(ctx context.Context, publish func([]byte)) error {
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		frame := solidJPEG(color.Gray{128})
		for {
			select {
			case <-ctx.Done():
				return nil // release the camera
			case <-tick.C:
				publish(frame) // a real source captures a new frame here
			}
		}
	})
	s := &mjpeg.Server{Source: camera, IdleTimeout: 10 * time.Second}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer s.Close()

	r, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for range 3 {
		if _, err := r.NextFrame(); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("running while watched:", s.Stats().Running)
	// Output: running while watched: true
}

// A handler that makes its own frames writes them with a Writer: here three
// frames, a tenth of a second apart, then the stream ends.
func ExampleWriter() {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mw := mjpeg.NewWriter(w) // sets the headers, and deadlines on each write
		tick := time.NewTicker(time.Second / 10)
		defer tick.Stop()
		for i := range 3 {
			if err := mw.WriteFrame(solidJPEG(color.Gray{uint8(i * 100)})); err != nil {
				return // the viewer went away, or stopped reading
			}
			select {
			case <-tick.C:
			case <-r.Context().Done():
				return
			}
		}
		mw.Close()
	}))
	defer ts.Close()

	r, err := mjpeg.Dial(context.Background(), ts.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for {
		frame, err := r.NextFrame()
		if err != nil {
			fmt.Println(err)
			break
		}
		m, _ := jpeg.Decode(bytes.NewReader(frame))
		grey, _, _, _ := m.At(10, 10).RGBA()
		fmt.Println("frame, grey", (grey>>8+5)/10*10)
	}
	// Output:
	// frame, grey 0
	// frame, grey 100
	// frame, grey 200
	// EOF
}

// Reading a stream from a camera that sends no first boundary and no
// Content-Length.
func ExampleReader() {
	stream := "Content-Type: image/jpeg\r\n\r\n\xff\xd8first\xff\xd9\r\n" +
		"--ipcam\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8second\xff\xd9\r\n--ipcam--\r\n"
	r := mjpeg.NewReader(strings.NewReader(stream), "ipcam")
	for {
		frame, err := r.NextFrame()
		if err != nil {
			break
		}
		fmt.Printf("%q\n", frame)
	}
	// Output:
	// "\xff\xd8first\xff\xd9"
	// "\xff\xd8second\xff\xd9"
}

// A program that writes JPEGs to stdout back to back, such as ffmpeg -f
// mjpeg, is read one frame at a time.
func ExampleSplitter() {
	var stream bytes.Buffer
	for _, gray := range []uint8{0, 128, 255} {
		img := image.NewGray(image.Rect(0, 0, 32, 24))
		for i := range img.Pix {
			img.Pix[i] = gray
		}
		jpeg.Encode(&stream, img, nil)
	}
	s := mjpeg.NewSplitter(&stream) // os.Stdin, a FIFO, a command's stdout
	for {
		frame, err := s.NextFrame()
		if err != nil {
			fmt.Println(err)
			break
		}
		w, h, _ := mjpeg.Dimensions(frame)
		fmt.Printf("%dx%d JPEG\n", w, h)
	}
	// Output:
	// 32x24 JPEG
	// 32x24 JPEG
	// 32x24 JPEG
	// EOF
}
