// Command pipereader reads an OMV IMG STR stream from its standard input,
// or from a TCP or Unix socket, and prints each frame as soon as it
// arrives, with a checksum of its pixels. See pipewriter.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"

	"github.com/imgstream/imgstream/container"
)

func main() {
	connect := flag.String("connect", "", "read from this socket (tcp:HOST:PORT or unix:PATH) instead of stdin")
	flag.Parse()
	var in io.Reader = os.Stdin
	if *connect != "" {
		network, addr, ok := strings.Cut(*connect, ":")
		if !ok {
			log.Fatalf("-connect %q: want tcp:HOST:PORT or unix:PATH", *connect)
		}
		c, err := net.Dial(network, addr)
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close()
		in = c
	}
	zr, err := container.NewReader(bufio.NewReaderSize(in, 1<<20))
	if err != nil {
		log.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	start := time.Now()
	var buf []byte
	for i := 0; ; i++ {
		var h *container.Header
		h, buf, err = zr.ReadFrame(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err) // a cut-off stream: every complete frame came first
		}
		fmt.Fprintf(out, "frame %d %dx%d %v %d bytes crc %08x at %.3fs\n", i, h.Width, h.Height, h.Format, len(buf), crc32.ChecksumIEEE(buf), time.Since(start).Seconds())
		out.Flush() // each line as its frame arrives
	}
	out.Flush()
}
