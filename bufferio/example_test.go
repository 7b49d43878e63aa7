package bufferio_test

import (
	"fmt"
	"io"

	"github.com/imgstream/imgstream/bufferio"
)

func ExampleBuffer() {
	mem := make([]byte, 8) // preallocated by the program, never grown
	b := bufferio.New(mem)
	n, err := b.Write([]byte("frame-0001"))
	fmt.Println(n, err)
	fmt.Printf("%q\n", mem)

	b.Seek(0, io.SeekStart)
	p := make([]byte, 5)
	b.Read(p)
	fmt.Printf("%q\n", p)
	// Output:
	// 8 bufferio: buffer full: short write
	// "frame-00"
	// "frame"
}
