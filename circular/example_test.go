package circular_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/imgstream/imgstream/circular"
)

func ExampleBuffer() {
	ring, err := circular.New(10)
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range []string{"abc", "def", "ghijklm"} {
		ring.Write([]byte(w))
	}
	// "abc" was dropped whole to make room: the stream starts at a write.
	fmt.Printf("%q\n", ring.Bytes())

	ring.Seek(0, io.SeekStart)
	chunk := make([]byte, 100)
	for {
		n, err := ring.ReadChunk(chunk) // write by write
		if err == io.EOF {
			break
		}
		fmt.Printf("%q ", chunk[:n])
	}
	fmt.Println()
	// Output:
	// "defghijklm"
	// "def" "ghijklm"
}

// A pre-trigger recorder: the camera records into a ring that keeps the
// last 3 seconds; when motion is seen, the clip starts with the 3 seconds
// before it (from a key frame) and goes on with the live frames after it.
func ExampleFrameBuffer_CopyTo() {
	ring, err := circular.NewFrameBuffer(circular.FrameConfig{Size: 1 << 20, MaxAge: 3 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	record := func(i int) {
		typ := circular.Delta
		if i%10 == 0 {
			typ = circular.Key // a key frame each second
		}
		frame := []byte(fmt.Sprintf("[%d]", i))
		if err := ring.WriteFrame(frame, typ, time.Duration(i)*100*time.Millisecond); err != nil {
			log.Fatal(err)
		}
	}
	for i := range 95 { // 9.5 s of frames at 10 fps; motion at frame 94
		record(i)
	}

	var clip bytes.Buffer // a file, in a real program
	first, last, err := ring.CopyTo(&clip, circular.Limit{Duration: 3 * time.Second}, circular.Key)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pre-trigger: frames", first.Index, "to", last.Index)

	for i := 95; i < 100; i++ { // the recording goes on...
		record(i)
		if last, err = ring.CopySince(&clip, last); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("clip ends with frame", last.Index)
	fmt.Println(clip.String()[:20], "...", clip.String()[clip.Len()-12:])
	// Output:
	// pre-trigger: frames 70 to 94
	// clip ends with frame 99
	// [70][71][72][73][74] ... [97][98][99]
}

// A post-trigger loop that waits for frames instead of polling.
func ExampleFrameBuffer_Wait() {
	ring, err := circular.NewFrameBuffer(circular.FrameConfig{Size: 4096})
	if err != nil {
		log.Fatal(err)
	}
	ring.WriteFrame([]byte("a"), circular.Key, 0)
	_, last, err := ring.CopyTo(io.Discard, circular.Limit{}, circular.AnyFrame)
	if err != nil {
		log.Fatal(err)
	}
	go ring.WriteFrame([]byte("b"), circular.Delta, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ring.Wait(ctx, last); err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	last, err = ring.CopySince(&out, last)
	fmt.Println(out.String(), last.Index, err)
	// Output: b 1 <nil>
}
