package record_test

import (
	"bufio"
	"fmt"
	"image/color"
	"net/http"
	"sync"
	"time"

	"github.com/imgstream/imgstream/internal/testkit"
)

// Length is how the camera emulator states each part's Content-Length.
type Length int

const (
	Exact    Length = iota
	Missing         // no Content-Length: the boundary ends the part
	TooLong         // 1 to 200 bytes too long, as some cameras send
	TooShort        // 1 to 50 bytes too short
)

// camera is the camera emulator: an MJPEG stream whose every JPEG carries
// its sequence number (testkit.StampJPEG), numbered across connections, so
// that a test knows every frame it was sent. It misbehaves as real cameras
// do, when told to.
type camera struct {
	// Interval paces the frames (zero: as fast as the connection takes
	// them); Frames is how many it sends in all, then it holds the
	// connection open sending nothing (zero: no end).
	Interval time.Duration
	Frames   int
	Length   Length
	LF       bool // LF line ends instead of CRLF
	// PauseAt, PauseFor: before frame PauseAt, it sends nothing for
	// PauseFor, holding the connection.
	PauseAt  int
	PauseFor time.Duration
	// DropAt: before frame DropAt, it closes the connection (once).
	DropAt int
	// TruncateAt: frame TruncateAt is sent cut short, and the connection
	// closed (once); the next connection goes on with the next frame.
	TruncateAt int
	// Frame makes frame i's JPEG, before its stamp: a solid grey by
	// default.
	Frame func(i int) []byte

	// mu guards the fields below.
	mu                 sync.Mutex
	next               int      // the next frame to send
	sent               []uint64 // the frames sent whole
	conns              int
	paused             bool
	dropped, truncated bool
}

func (c *camera) jpeg(i int) []byte {
	var base []byte
	if c.Frame != nil {
		base = c.Frame(i)
	} else {
		base = testkit.SolidJPEG(64, 48, color.Gray{Y: uint8(i)})
	}
	return testkit.StampJPEG(base, uint64(i))
}

// Sent returns the sequence numbers of the frames sent whole.
func (c *camera) Sent() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]uint64(nil), c.sent...)
}

func (c *camera) Conns() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conns
}

func (c *camera) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.conns++
	c.mu.Unlock()
	nl := "\r\n"
	if c.LF {
		nl = "\n"
	}
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	flush := func() bool {
		if bw.Flush() != nil {
			return false
		}
		http.NewResponseController(w).Flush()
		return true
	}
	tick := time.Now()
	for {
		c.mu.Lock()
		i := c.next
		pause := c.PauseFor > 0 && i == c.PauseAt && !c.paused
		drop := c.DropAt > 0 && i == c.DropAt && !c.dropped
		truncate := c.TruncateAt > 0 && i == c.TruncateAt && !c.truncated
		end := c.Frames > 0 && i >= c.Frames
		c.paused = c.paused || pause
		c.dropped = c.dropped || drop
		c.truncated = c.truncated || truncate
		c.mu.Unlock()
		switch {
		case end:
			<-r.Context().Done()
			return
		case drop:
			return
		case pause:
			select {
			case <-time.After(c.PauseFor):
			case <-r.Context().Done():
				return
			}
			tick = time.Now()
		}
		if c.Interval > 0 {
			tick = tick.Add(c.Interval)
			select {
			case <-time.After(time.Until(tick)):
			case <-r.Context().Done():
				return
			}
		}
		body := c.jpeg(i)
		fmt.Fprintf(bw, "--frame%sContent-Type: image/jpeg%s", nl, nl)
		switch c.Length {
		case Exact:
			fmt.Fprintf(bw, "Content-Length: %d%s", len(body), nl)
		case TooLong:
			fmt.Fprintf(bw, "Content-Length: %d%s", len(body)+1+i%200, nl)
		case TooShort:
			fmt.Fprintf(bw, "Content-Length: %d%s", len(body)-1-i%50, nl)
		}
		bw.WriteString(nl)
		if truncate {
			body = body[:len(body)/2] // the camera drops inside the frame
		}
		bw.Write(body)
		if truncate {
			flush()
			c.mu.Lock()
			c.next++
			c.mu.Unlock()
			return
		}
		bw.WriteString(nl)
		if !flush() {
			return
		}
		c.mu.Lock()
		c.sent = append(c.sent, uint64(i))
		c.next++
		c.mu.Unlock()
	}
}
