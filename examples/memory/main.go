// Command memory keeps a short history of frames in preallocated memory, as
// OpenMV's ImageIO((w, h, format), count) memory streams do: the memory is
// allocated once, writes past the last slot fail, and any slot can be read
// back in constant time.
package main

import (
	"errors"
	"fmt"
	"log"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

func main() {
	const w, h, slots = 320, 240, 8
	history, err := imageio.NewMemory(w, h, container.Grayscale, slots, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer history.Close()
	fmt.Printf("%d slots of %d bytes: %d bytes allocated once\n", slots, history.BufferSize(), history.Size())

	img := &imageio.Image{Width: w, Height: h, Format: container.Grayscale, Data: make([]byte, w*h)}
	for i := 0; ; i++ {
		for j := range img.Data {
			img.Data[j] = byte(i * 30)
		}
		err := history.Write(img)
		if errors.Is(err, imageio.ErrEndOfStream) {
			fmt.Printf("frame %d: the stream is full (%v)\n", i, err)
			break
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	for _, n := range []int{5, 0, 7} {
		if err := history.Seek(n); err != nil {
			log.Fatal(err)
		}
		if err := history.ReadInto(img, imageio.ReadOptions{}); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("slot %d: brightness %d\n", n, img.Data[0])
	}
}
