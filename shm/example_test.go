//go:build linux

package shm_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/shm"
)

// A writer and a reader; in real use they are different processes, and
// the reader may be Python (see the package documentation).
func Example() {
	name := fmt.Sprintf("imgstream-example-%d", os.Getpid())
	const w, h = 320, 240
	writer, err := shm.Create(name, w*h, 4) // 4 slots of a grayscale frame
	if err != nil {
		log.Fatal(err)
	}
	defer writer.Close() // removes /dev/shm/NAME

	reader, err := shm.Open(name)
	if err != nil {
		log.Fatal(err)
	}
	defer reader.Close()

	// Fill the next slot in place and publish it: no copy.
	slot, err := writer.Acquire()
	if err != nil {
		log.Fatal(err)
	}
	for i := range w * h {
		slot[i] = byte(i % 251)
	}
	if err := writer.Publish(container.Header{Width: w, Height: h, Format: container.Grayscale, Size: w * h}); err != nil {
		log.Fatal(err)
	}

	frame, err := reader.Next(context.Background()) // a view of the slot
	if err != nil {
		log.Fatal(err)
	}
	sum := 0
	for _, b := range frame.Data {
		sum += int(b)
	}
	if !frame.Valid() { // the writer reused the slot while we summed
		log.Fatal("torn")
	}
	fmt.Println(frame.Number, frame.Header.Width, frame.Header.Height, frame.Header.Format, sum)
	// Output: 1 320 240 GRAYSCALE 9599265
}
