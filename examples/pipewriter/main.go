// Command pipewriter produces frames and writes them as an OMV IMG STR
// stream to its standard output, or to every client of a TCP or Unix
// socket. The stream is framed, so a reader at the other end gets each frame
// as soon as it is written, without waiting for the writer to finish:
//
//	go run ./examples/pipewriter | go run ./examples/pipereader
//	go run ./examples/pipewriter -listen unix:/tmp/frames.sock &
//	go run ./examples/pipereader -connect unix:/tmp/frames.sock
package main

import (
	"bufio"
	"flag"
	"fmt"
	"hash/crc32"
	"log"
	"net"
	"os"
	"strings"
	"time"

	"github.com/imgstream/imgstream/container"
)

// Frame returns the pixels of frame i, a w x h RGB565 frame that changes
// with i, so that a reader can check what arrives.
func frame(i, w, h int) []byte {
	p := make([]byte, w*h*2)
	x := uint32(i)*2654435761 + 1
	for j := range p {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p[j] = byte(x)
	}
	return p
}

func main() {
	frames := flag.Int("frames", 100, "frames to write")
	fps := flag.Float64("fps", 30, "frames per second")
	w := flag.Int("w", 320, "frame width")
	h := flag.Int("h", 240, "frame height")
	linger := flag.Duration("linger", 0, "keep the stream open this long after the last frame")
	verbose := flag.Bool("v", false, "print each frame's checksum to stderr as it is written")
	listen := flag.String("listen", "", "serve each client of this socket (tcp:HOST:PORT or unix:PATH) instead of writing to stdout")
	flag.Parse()

	write := func(out *bufio.Writer) error {
		zw := container.NewWriter(out)
		tick := time.NewTicker(time.Duration(float64(time.Second) / *fps))
		defer tick.Stop()
		last := time.Now()
		for i := range *frames {
			now := <-tick.C
			hd := &container.Header{Elapsed: now.Sub(last), Width: *w, Height: *h, Format: container.RGB565}
			last = now
			pixels := frame(i, *w, *h)
			if err := zw.WriteFrame(hd, pixels); err != nil {
				return err
			}
			// Push the frame out now: the reader is waiting for it.
			if err := out.Flush(); err != nil {
				return err
			}
			if *verbose {
				fmt.Fprintf(os.Stderr, "wrote frame %d crc %08x\n", i, crc32.ChecksumIEEE(pixels))
			}
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if err := out.Flush(); err != nil {
			return err
		}
		time.Sleep(*linger)
		return nil
	}

	if *listen == "" {
		if err := write(bufio.NewWriterSize(os.Stdout, 1<<20)); err != nil {
			log.Fatal(err)
		}
		return
	}
	network, addr, ok := strings.Cut(*listen, ":")
	if !ok {
		log.Fatalf("-listen %q: want tcp:HOST:PORT or unix:PATH", *listen)
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	fmt.Fprintln(os.Stderr, "listening on", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			if err := write(bufio.NewWriterSize(c, 1<<20)); err != nil {
				log.Println(err)
			}
		}()
	}
}
