package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/container"
	exp "github.com/imgstream/imgstream/export" // the CLI has a func export
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/natsbus"
	"github.com/imgstream/imgstream/player"
	"github.com/imgstream/imgstream/record"
)

func newServe() *cobra.Command {
	var addr, token, auth string
	var once bool
	var n natsFlags
	cmd := &cobra.Command{
		Use:   "serve FILE|DIR|-|nats://HOST/CAMERA",
		Short: "Play recordings in a browser, or a live stream on stdin; MJPEG for ffmpeg, VLC and OpenCV",
		Long: `Serve opens a player in the browser at the printed address.

  FILE   the player of a recording: play, pause, step, seek, speed, loop, its
         timing chart, its info and damage, and downloads (AVI, GIF, PNG).
         ADDRESS/stream.mjpg replays it at its recorded pace, round and round,
         for ffmpeg, VLC and OpenCV (it runs only while somebody watches);
         ?from=N&speed=S starts elsewhere, faster or slower.
  DIR    the recordings found under DIR (an SD card, a recorder's clips): a
         timeline of a day's clips, a row a camera, played across clips and
         exported by a dragged range; the thumbnails at ADDRESS/list.
  -      a stream on stdin, live: OMV IMG STR, JPEGs back to back (ffmpeg -f
         mjpeg -, cv2.imencode to stdout) or multipart MJPEG (-f mpjpeg):
         camera-program | imgstream serve -
  nats://HOST[:PORT]/CAMERA
         a camera that imgstream publish sends on NATS, live.

It listens on 127.0.0.1 unless --listen says otherwise; beyond the loopback
interface every request needs --token or --auth (a token is made and printed
if neither is given). Without credentials it answers only requests made to
localhost, 127.0.0.1 or [::1], so no web page can reach it by rebinding its
own name (DNS rebinding). The HTTP API is documented in the player package.`,
		Example: `  imgstream serve recording.omv
  imgstream serve /media/sdcard
  imgstream serve --listen 0.0.0.0:8080 --auth me:secret recording.omv    # for the LAN
  camera-program | imgstream serve -
  imgstream serve nats://127.0.0.1:4222/door`,
		Args: nArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, link, opts, err := listen(addr, token, auth)
			if err != nil {
				return err
			}
			defer l.Close()
			opts.ErrorLog = log.New(cmd.ErrOrStderr(), "imgstream: ", 0)
			path := args[0]
			if path == "-" {
				return serveLive(cmd, cmd.InOrStdin(), l, link, opts)
			}
			if strings.HasPrefix(path, "nats://") {
				return serveNATS(cmd, path, &n, l, link, opts)
			}
			if fi, err := os.Stat(path); err == nil && fi.IsDir() {
				p, err := player.NewDir(path, opts)
				if err != nil {
					return err
				}
				defer p.Close()
				fmt.Fprintf(cmd.OutOrStdout(), "serving the recordings under %s at %s\n", path, link)
				return mjpeg.Serve(cmd.Context(), l, p, nil)
			}
			// Check the file now, rather than when the first viewer comes.
			s, err := imageio.Open(path, nil)
			if err != nil {
				return openError(path, err)
			}
			n, damage := s.Count(), s.Damage()
			s.Close()
			if n == 0 {
				if damage != nil {
					return fmt.Errorf("%s holds no complete frame: %w", path, damage)
				}
				return fmt.Errorf("%s holds no frames", path)
			}
			if damage != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: warning: %s is damaged at %v; serving its %d good frames (imgstream repair cuts it back to them)\n", path, damage, n)
			}
			srv := &mjpeg.Server{Source: replay(path, !once), ErrorLog: opts.ErrorLog}
			opts.Stream = srv
			p, err := player.NewFile(path, opts)
			if err != nil {
				return err
			}
			defer p.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "serving %s (%d frames) at %s\n", path, n, link)
			return mjpeg.Serve(cmd.Context(), l, p, srv)
		},
	}
	cmd.Flags().StringVar(&addr, "listen", "127.0.0.1:8080", "address to listen on (127.0.0.1:0 picks a free port; it was --addr or -a, which work until the next release)")
	oldFlag(cmd, "listen", "addr", "a")
	cmd.Flags().StringVar(&token, "token", "", "a token every request needs (?token=TOKEN, or Authorization: Bearer TOKEN)")
	cmd.Flags().StringVar(&auth, "auth", "", "USER:PASSWORD every request needs (HTTP basic authentication)")
	cmd.Flags().BoolVar(&once, "once", false, "/stream.mjpg plays the recording once instead of looping")
	n.addCredentials(cmd, "nats://: ")
	return cmd
}

// serveNATS serves a camera on NATS live, with the player.
func serveNATS(cmd *cobra.Command, target string, n *natsFlags, l net.Listener, link string, opts player.Options) error {
	serverURL, camera, err := natsTarget(target)
	if err != nil {
		return err
	}
	nc, err := n.connect(serverURL)
	if err != nil {
		return err
	}
	defer nc.Close()
	srv := &mjpeg.Server{Source: natsbus.MJPEG(nc, camera), ErrorLog: opts.ErrorLog}
	fmt.Fprintf(cmd.OutOrStdout(), "serving at %s the camera %s\n", link, target)
	return mjpeg.Serve(cmd.Context(), l, player.NewLive(srv, camera, opts), srv)
}

// replay is a Source that plays the recording at path at its recorded
// pace, round and round with loop; each run opens the file again, so a
// recording replaced since shows. At its end, or at damage (warned of at
// the start), the last frame stays on screen: the source waits for its
// context instead of returning, so that the server does not start it again
// for the next viewer.
func replay(path string, loop bool) mjpeg.Source {
	return mjpeg.SourceFunc(func(ctx context.Context, publish func([]byte)) error {
		// O_NONBLOCK: a FIFO put in the recording's place must not hold
		// the run in its open.
		f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: %s", imageio.ErrNotRegular, path)
		}
		err = exp.NewReplay(f, exp.ReplayOptions{Pace: true, Loop: loop}).Run(ctx, publish)
		var damage *container.FrameError
		if err == nil || errors.As(err, &damage) || ctx.Err() != nil {
			<-ctx.Done()
			return nil
		}
		return err
	})
}

// serveLive publishes the frames of the stream on r (OMV IMG STR, JPEGs
// back to back or multipart MJPEG) as they arrive, until it ends, and serves them with the player in live mode; the last
// frame stays on show until interrupted.
func serveLive(cmd *cobra.Command, r io.Reader, l net.Listener, link string, opts player.Options) error {
	srv := &mjpeg.Server{ErrorLog: opts.ErrorLog}
	fmt.Fprintf(cmd.OutOrStdout(), "serving the stream on stdin at %s\n", link)
	// Any stream record.Input tells from its first bytes: OMV IMG STR,
	// JPEGs back to back, multipart MJPEG. JPEG frames pass as they are;
	// others are encoded once each.
	live := record.Input(r)
	go func() {
		// Read whether anybody watches or not, so that the program writing
		// the stream never waits for a viewer.
		var jpg []byte
		err := live.Run(cmd.Context(), func(f *record.Frame) error {
			if f.Format == container.JPEG {
				srv.Publish(f.Data)
				return nil
			}
			var err error
			if jpg, err = f.Image.AppendJPEG(jpg[:0]); err != nil {
				srv.ErrorLog.Printf("stdin: a %dx%d %v frame: %v", f.Width, f.Height, f.Format, err)
				return nil
			}
			srv.Publish(jpg)
			return nil
		})
		if err == io.EOF {
			err = nil
		}
		switch {
		case cmd.Context().Err() != nil:
		case err != nil:
			srv.ErrorLog.Printf("stdin: %v", err)
		case !quiet(cmd):
			fmt.Fprintln(cmd.ErrOrStderr(), "imgstream: the stream on stdin ended; showing its last frame")
		}
	}()
	return mjpeg.Serve(cmd.Context(), l, player.NewLive(srv, "stdin", opts), srv)
}
