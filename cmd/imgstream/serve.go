package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/container"
	exp "github.com/imgstream/imgstream/export" // the CLI has a func export
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/player"
	"github.com/imgstream/imgstream/record"
)

func newServe() *cobra.Command {
	var addr, token, auth string
	var once bool
	var sf sourceFlags
	cmd := &cobra.Command{
		Use:   "serve FILE|DIR|SRC",
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
  SRC    a camera or a stream, live, with no recording: any SRC that record
         takes (imgstream record --help lists them), such as
           -                 a stream on stdin: camera-program | imgstream serve -
           http://cam/stream.mjpg, rtsp://user:pass@cam/stream1
           exec:COMMAND      a camera program's stdout
           shm:NAME, nats://HOST[:PORT]/CAMERA
         A camera is connected to while somebody watches (and again when it
         drops); stdin and a FIFO are read all the time, so that the
         program writing them never waits. A file of JPEGs back to back or
         of multipart MJPEG is shown as a stream too.

It listens on 127.0.0.1 unless --listen says otherwise; beyond the loopback
interface every request needs --token or --auth (a token is made and printed
if neither is given). Without credentials it answers only requests made to
localhost, 127.0.0.1 or [::1], so no web page can reach it by rebinding its
own name (DNS rebinding). The HTTP API is documented in the player package.`,
		Example: `  imgstream serve recording.omv
  imgstream serve /media/sdcard
  imgstream serve --listen 0.0.0.0:8080 --auth me:secret recording.omv    # for the LAN
  camera-program | imgstream serve -
  imgstream serve rtsp://viewer:secret@192.168.1.64/stream1
  imgstream serve 'exec:ffmpeg -f v4l2 -input_format mjpeg -i /dev/video0 -c:v copy -f mjpeg -'
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
			if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() && !fi.IsDir() || liveFile(path) {
				return serveSource(cmd, path, &sf, l, link, opts)
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
	sf.nats.addCredentials(cmd, "nats://: ")
	sf.addCamera(cmd)
	return cmd
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

// serveSource serves the camera or stream that src names live, with the
// player in live mode. A camera runs while somebody watches; stdin, a FIFO
// or a device is read whether anybody watches or not, so that the program
// writing it never waits. When src ends, its last frame stays on show
// until interrupted.
func serveSource(cmd *cobra.Command, src string, sf *sourceFlags, l net.Listener, link string, opts player.Options) error {
	s, err := recordSource(cmd, src, sf)
	if err != nil {
		return err
	}
	name, always := streamName(src)
	live := record.Live(s, record.RetryOptions{Name: name, Log: opts.ErrorLog})
	srv := &mjpeg.Server{ErrorLog: opts.ErrorLog}
	if always {
		go live.Run(cmd.Context(), func(jpg []byte) { srv.Publish(jpg) })
	} else {
		srv.Source = live
	}
	fmt.Fprintf(cmd.OutOrStdout(), "serving at %s, live: %s\n", link, name)
	return mjpeg.Serve(cmd.Context(), l, player.NewLive(srv, name, opts), srv)
}
