package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/natsbus"
	"github.com/imgstream/imgstream/record"
	"github.com/imgstream/imgstream/rtsp"
)

// sourceFlags are the flags of a command's SRC: NATS credentials, and how
// RTSP and HTTPS cameras are read.
type sourceFlags struct {
	nats      natsFlags
	transport string  // --rtsp-transport
	fps       float64 // --fps
}

// addCamera adds the flags of RTSP cameras to cmd, after the NATS flags:
// their --tls-ca serves rtsps:// and https:// cameras too.
func (f *sourceFlags) addCamera(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Lookup("tls-ca").Usage = "a PEM file of certificate authorities to trust for TLS: of rtsps:// and https:// cameras (a camera's self-signed certificate), and nats:// servers"
	fl.StringVar(&f.transport, "rtsp-transport", "tcp", "rtsp://: tcp, or udp (lower latency; packets can be lost)")
	fl.Float64Var(&f.fps, "fps", 0, "rtsp://: at most this many frames a second (H.264 and H.265 cameras: ffmpeg encodes only these to JPEG)")
}

// recordSource returns the record.Source that SRC names, in the one
// syntax record.Sources parses, with rtsp:// and nats:// added.
func recordSource(cmd *cobra.Command, src string, f *sourceFlags) (record.Source, error) {
	logger := log.New(cmd.ErrOrStderr(), "imgstream: ", 0)
	transport, err := rtsp.ParseTransport(f.transport)
	if err != nil {
		return nil, usageError{fmt.Errorf("--rtsp-transport: %w", err)}
	}
	if f.fps < 0 {
		return nil, usageError{fmt.Errorf("--fps %v: give a number of frames a second above 0", f.fps)}
	}
	client := record.NewClient()
	if f.nats.tlsCA != "" {
		pool, err := caPool(f.nats.tlsCA)
		if err != nil {
			return nil, err
		}
		client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	cam := rtsp.Scheme(&rtsp.Source{Transport: transport, CAFile: f.nats.tlsCA, FPS: f.fps, Log: logger})
	sources := record.Sources{
		Stdin:  cmd.InOrStdin(),
		Client: client,
		Log:    logger,
		Schemes: map[string]record.SchemeFunc{
			"rtsp":  cam,
			"rtsps": cam,
			"nats": func(name string) (record.Source, error) {
				serverURL, camera, err := natsTarget(name)
				if err != nil {
					return nil, err
				}
				return natsSource(serverURL, camera, &f.nats), nil
			},
		},
	}
	if fi, err := os.Stat(src); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s: %w: it is a directory; a source is %s", src, errNotRecording, record.SourceSyntax)
	}
	s, err := sources.Open(cmd.Context(), src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err // a missing file, exit status 3, as for every command
	}
	if errors.Is(err, record.ErrUnknownSource) || errors.Is(err, record.ErrInvalidConfig) || errors.Is(err, rtsp.ErrInvalidURL) {
		return nil, usageError{err}
	}
	return s, err
}

// caPool reads the PEM file of certificate authorities at path.
func caPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, usageError{fmt.Errorf("--tls-ca %s: no PEM certificate in it", path)}
	}
	return pool, nil
}

// liveFile says whether path is a regular file of a live stream's bytes
// (JPEGs back to back, multipart MJPEG) rather than a recording, which
// the player shows.
func liveFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	k := record.Sniff(head[:n])
	return k == record.JPEGInput || k == record.MultipartInput
}

// streamName says whether src is a stream that must be read whether
// anybody watches or not (stdin, a FIFO, a device: what the program
// writing it writes would wait, or be lost), and names it for messages,
// without a password.
func streamName(src string) (name string, always bool) {
	if src == "-" {
		return "stdin", true
	}
	if u, err := url.Parse(src); err == nil && u.Scheme != "" && strings.Contains(src, "://") {
		return u.Redacted(), false
	}
	if fi, err := os.Stat(src); err == nil && !fi.Mode().IsRegular() {
		return src, true
	}
	return src, false
}

// natsSource is a record.Source of a camera on NATS that connects when it
// runs (and again after a failure, as the recorder asks).
func natsSource(serverURL, camera string, n *natsFlags) record.Source {
	return record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		nc, err := n.connect(serverURL)
		if err != nil {
			return err
		}
		defer nc.Close()
		return natsbus.Source(nc, camera).Run(ctx, emit)
	})
}

// play passes the frames of the recording at path to each at its
// recorded pace, round and round with loop, until ctx is done, and then
// returns ctx.Err(). Frames are at least imageio.MinFramePeriod apart, and
// a round of the loop takes at least imageio.MinLoopPeriod, so a one-frame
// recording does not spin. It returns nil at the end, and the
// damage (a *container.FrameError) at a damaged frame.
func play(ctx context.Context, path string, loop bool, each func(*imageio.Image) error) error {
	s, err := imageio.Open(path, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	img := new(imageio.Image)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.ReadContext(ctx, img, imageio.ReadOptions{Loop: loop, Pause: true})
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := each(img); err != nil {
			return err
		}
	}
}
