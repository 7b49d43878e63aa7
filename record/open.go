package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/imgstream/imgstream/internal/ctxio"
)

// ErrUnknownSource matches the error of [Sources.Open] for a name that is
// no source: an unknown scheme, a scheme whose module is not linked in, a
// path that does not exist, an empty name. Its message lists the names
// that are sources.
var ErrUnknownSource = errors.New("record: unknown source")

// SourceSyntax lists the names [Sources.Open] takes, for error messages
// and help texts.
const SourceSyntax = "- (stdin), a file or FIFO (OMV IMG STR, JPEGs back to back, or multipart MJPEG), http(s)://HOST/PATH (an MJPEG stream), rtsp(s)://HOST/PATH, exec:COMMAND (a camera program), shm:NAME, or nats://HOST/CAMERA"

// A SchemeFunc makes the Source of a name with a URL scheme that the
// record package does not open itself, such as rtsp:// (the module
// github.com/imgstream/imgstream/rtsp) or nats:// (natsbus): the name is
// passed whole.
type SchemeFunc func(name string) (Source, error)

// Sources opens sources by their names, in the one syntax of imgstream's
// record, serve and publish:
//
//   - the stream on Stdin, told by Input from its first bytes:
//     OMV IMG STR, JPEGs back to back, or multipart MJPEG
//     PATH              a file, a FIFO or a device holding one of these
//     http://, https:// an MJPEG stream ([MJPEG])
//     exec:COMMAND      a camera program ([Program]): COMMAND is split into
//     words by [ParseCommand], and runs with no shell
//     shm:NAME          an shm stream ([SHM])
//     SCHEME://...      the source Schemes makes: rtsp:// and rtsps:// with
//     the rtsp module, nats:// with natsbus
//
// A name with "://" is a URL, and any other a path: a file whose name has
// a colon is named ./NAME. The zero Sources opens every name but those of
// Schemes. Its fields are read by Open; set them before.
type Sources struct {
	// Stdin is what "-" reads: os.Stdin when nil.
	Stdin io.Reader
	// Client is the HTTP client of http(s):// sources: NewClient() when
	// nil.
	Client *http.Client
	// Log, if not nil, gets what a camera program writes to stderr.
	Log *log.Logger
	// Schemes makes the sources of the URL schemes it has, by their
	// scheme in lower case ("rtsp", "rtsps", "nats").
	Schemes map[string]SchemeFunc
}

// Open returns the Source that name names (see Sources). It checks what it
// can without connecting: the syntax, and that a path exists and is not a
// directory. ctx is the life of the source's reading of stdin or a FIFO,
// which can block for ever: once ctx is done, a blocked read ends (a Run's
// own context ends the Run only between frames of such a stream). It does
// not bound connections and programs, which each Run's context does.
func (s *Sources) Open(ctx context.Context, name string) (Source, error) {
	switch {
	case name == "":
		return nil, fmt.Errorf("%w: an empty name; a source is %s", ErrUnknownSource, SourceSyntax)
	case name == "-":
		in := s.Stdin
		if in == nil {
			in = os.Stdin
		}
		return Input(ctxio.Stdin(ctx, in)), nil
	case strings.HasPrefix(name, "exec:"):
		args, err := ParseCommand(strings.TrimPrefix(name, "exec:"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return &Program{Args: args, Log: s.Log}, nil
	case strings.HasPrefix(name, "shm:"):
		shmName := strings.TrimPrefix(name, "shm:")
		if shmName == "" {
			return nil, fmt.Errorf("%w: shm: needs the stream's name, shm:NAME (imgstream shm ls lists them)", ErrUnknownSource)
		}
		return SHM(shmName), nil
	}
	if scheme, _, ok := strings.Cut(name, "://"); ok {
		return s.openURL(strings.ToLower(scheme), name)
	}
	fi, err := os.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %w; a source is %s", ErrUnknownSource, err, SourceSyntax)
	case err != nil:
		return nil, err
	case fi.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory; a source is %s", ErrUnknownSource, name, SourceSyntax)
	}
	return fileSource(ctx, name), nil
}

// modules names the module that opens each scheme the record package
// does not.
var modules = map[string]string{
	"rtsp":  "github.com/imgstream/imgstream/rtsp (rtsp.Scheme)",
	"rtsps": "github.com/imgstream/imgstream/rtsp (rtsp.Scheme)",
	"nats":  "github.com/imgstream/imgstream/natsbus",
}

func (s *Sources) openURL(scheme, name string) (Source, error) {
	if open, ok := s.Schemes[scheme]; ok {
		return open(name)
	}
	switch scheme {
	case "http", "https":
		return MJPEG(s.Client, name), nil
	}
	if m, ok := modules[scheme]; ok {
		return nil, fmt.Errorf("%w: %s:// sources come from %s: add it to Sources.Schemes", ErrUnknownSource, scheme, m)
	}
	return nil, fmt.Errorf("%w: %s:// is no scheme imgstream reads; a source is %s", ErrUnknownSource, scheme, SourceSyntax)
}

// fileSource is the source of the file, FIFO or device at path, holding
// any stream Input reads. The first Run opens it (a FIFO waits for its
// writer, beside that Run's context); the stream is then read, across
// Runs, until its end, and closed then or when ctx, its life, is done.
func fileSource(ctx context.Context, path string) Source {
	var (
		mu  sync.Mutex // one Run at a time, as Source says; guards the rest
		in  Source
		rc  io.ReadCloser
		end bool
	)
	return SourceFunc(func(runCtx context.Context, emit func(*Frame) error) error {
		mu.Lock()
		defer mu.Unlock()
		if end {
			return io.EOF
		}
		if in == nil {
			// The open of a FIFO waits beside runCtx, and the reads
			// beside ctx: a stall ends the wait for a writer, and the
			// next Run waits again, but a writer once come keeps its
			// pipe, so that nothing it wrote is lost.
			var err error
			if err = runCtx.Err(); err == nil {
				rc, err = ctxio.OpenFor(runCtx, ctx, path)
			}
			if err != nil {
				return err
			}
			in = Input(rc)
			context.AfterFunc(ctx, func() { rc.Close() })
		}
		err := in.Run(runCtx, emit)
		if err == io.EOF || errors.Is(err, ErrPermanent) {
			end = true
			rc.Close()
		}
		return err
	})
}
