package record

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"unicode"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
)

// ErrUnknownInput matches the permanent error of an input that holds none
// of the streams [Input] reads; the message says what its first bytes look
// like.
var ErrUnknownInput = errors.New("record: not an OMV IMG STR stream, JPEGs back to back, or a multipart MJPEG stream")

// An InputKind is what an input holds, as [Input] tells from its first
// bytes.
type InputKind int

// The kinds of input.
const (
	UnknownInput   InputKind = iota
	OMVInput                 // an OMV IMG STR stream: container's format
	JPEGInput                // JPEGs back to back: ffmpeg -f mjpeg, rpicam-vid, cv2.imencode to stdout
	MultipartInput           // a multipart MJPEG stream: ffmpeg -f mpjpeg, a saved HTTP stream
)

// String names the kind, as error messages and logs say it.
func (k InputKind) String() string {
	switch k {
	case OMVInput:
		return "OMV IMG STR"
	case JPEGInput:
		return "JPEG"
	case MultipartInput:
		return "multipart MJPEG"
	}
	return "unknown"
}

// sniffSize is how many bytes Input looks at: enough for the OMV magic and
// a multipart stream's first boundary line.
const sniffSize = 16

// Sniff tells what head, the first bytes of an input, holds. It needs
// only as many bytes as the first of them that decide: 2 for a JPEG, 11
// for an OMV stream.
func Sniff(head []byte) InputKind {
	switch {
	case bytes.HasPrefix(head, []byte("OMV IMG STR")):
		return OMVInput
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8}):
		return JPEGInput
	case bytes.HasPrefix(bytes.TrimLeft(head, "\r\n"), []byte("--")):
		return MultipartInput
	}
	return UnknownInput
}

// Input returns the source of the frames read from r, whichever of these
// it holds, told from its first bytes:
//   - an OMV IMG STR stream, as [OMV] reads it, with its own frame times;
//   - JPEGs back to back, split by their markers ([mjpeg.Splitter]);
//   - a multipart MJPEG stream, its boundary learned ([mjpeg.Reader]).
//
// JPEG frames are timed by their arrival. A JPEG whose frame header cannot
// be read, or one over [mjpeg.DefaultMaxFrameSize], is dropped and
// counted in the next frame's Skipped. The source ends with io.EOF at the
// end of r; a stream cut off inside a frame ends with that error, marked
// permanent, after every whole frame. An input that holds none of these
// is [ErrUnknownInput], which says what its first bytes look like. Like
// [OMV], it reads r once: a Run that its context ends leaves the stream
// where it is, and the next Run goes on with the next frame; run again
// after the end, it ends at once.
func Input(r io.Reader) Source {
	br := bufio.NewReaderSize(r, 64<<10)
	// What the first bytes told, kept from Run to Run: a Run that its
	// context ends leaves the stream where it is (the splitter and the
	// multipart reader hold what they read ahead), and the next goes on.
	var (
		omv  Source
		next func() ([]byte, error)
	)
	return SourceFunc(func(ctx context.Context, emit func(*Frame) error) error {
		if omv == nil && next == nil {
			head, err := br.Peek(sniffSize)
			if len(head) == 0 {
				if err == nil || err == io.EOF {
					return io.EOF
				}
				return err
			}
			switch Sniff(head) {
			case OMVInput:
				omv = OMV(br)
			case JPEGInput:
				next = mjpeg.NewSplitter(br).NextFrame
			case MultipartInput:
				next = mjpeg.NewReader(br, "").NextFrame
			default:
				return Permanent(fmt.Errorf("%w: it starts with %s", ErrUnknownInput, describe(head)))
			}
		}
		if omv != nil {
			return omv.Run(ctx, emit)
		}
		return runJPEG(ctx, next, emit)
	})
}

// runJPEG emits the JPEG frames next returns until it fails.
func runJPEG(ctx context.Context, next func() ([]byte, error), emit func(*Frame) error) error {
	var (
		f       Frame
		skipped uint64
	)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := next()
		switch {
		case errors.Is(err, mjpeg.ErrFrameTooLarge):
			skipped++
			continue
		case err == io.EOF:
			return io.EOF
		case ctx.Err() != nil:
			return ctx.Err() // a read ended by the context, not a bad stream
		case err != nil:
			return Permanent(err)
		}
		w, h, ok := mjpeg.Dimensions(data)
		if !ok {
			skipped++
			continue
		}
		f.Image = imageio.Image{Width: w, Height: h, Format: container.JPEG, Data: data}
		f.Skipped, skipped = skipped, 0
		if err := emit(&f); err != nil {
			return err
		}
	}
}

// describe shows the first bytes of an input in hex and, where they are
// text, as text, for an error message.
func describe(head []byte) string {
	text := true
	for _, c := range string(head) {
		if c == unicode.ReplacementChar || !unicode.IsPrint(c) && !unicode.IsSpace(c) {
			text = false
			break
		}
	}
	if text {
		return fmt.Sprintf("%q (text)", head)
	}
	return fmt.Sprintf("% x", head)
}
