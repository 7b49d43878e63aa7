package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
)

func newServe() *cobra.Command {
	var addr string
	var once bool
	cmd := &cobra.Command{
		Use:   "serve FILE|-",
		Short: "Serve a recording, or a live stream on stdin, to browsers, ffmpeg, VLC and OpenCV as MJPEG",
		Long: `Serve replays FILE at its recorded pace, round and round, as an MJPEG
stream: open the printed address in a browser, or give
ADDRESS/stream.mjpg to ffmpeg, VLC or OpenCV. The replay runs only while
somebody watches. Frames that are not JPEG are encoded once each, however
many watch. With "-", serve shows the OMV stream on its stdin live, each
frame as it arrives: camera-program | imgstream serve -`,
		Example: `  imgstream serve recording.omv
  imgstream serve --addr 0.0.0.0:8080 recording.omv    # for the LAN
  camera-program | imgstream serve -`,
		Args: nArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if path == "-" {
				return serveLive(cmd, cmd.InOrStdin(), addr)
			}
			// Check the file now, rather than when the first viewer comes.
			s, err := imageio.Open(path, nil)
			if err != nil {
				return err
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
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			srv := &mjpeg.Server{Source: replay(path, !once), ErrorLog: log.New(cmd.ErrOrStderr(), "imgstream: ", 0)}
			fmt.Fprintf(cmd.OutOrStdout(), "serving %s (%d frames) at http://%s/\n", path, n, l.Addr())
			return mjpeg.Serve(cmd.Context(), l, srv.Handler(), srv)
		},
	}
	cmd.Flags().StringVarP(&addr, "addr", "a", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().BoolVar(&once, "once", false, "play the recording once instead of looping")
	return cmd
}

// replay is a Source that plays the recording at path at its recorded pace.
func replay(path string, loop bool) mjpeg.Source {
	return mjpeg.SourceFunc(func(ctx context.Context, publish func([]byte)) error {
		s, err := imageio.Open(path, nil)
		if err != nil {
			return err
		}
		defer s.Close()
		img := new(imageio.Image)
		var jpeg []byte
		for {
			err := s.ReadContext(ctx, img, imageio.ReadOptions{Loop: loop, Pause: true})
			// Played once to the end, or to the damage (warned of at start):
			// the last frame stays on screen.
			if err == io.EOF || (err != nil && err == s.Damage()) || ctx.Err() != nil {
				<-ctx.Done() // the last frame stays on screen
				return nil
			}
			if err != nil {
				return err
			}
			if jpeg, err = img.AppendJPEG(jpeg[:0]); err != nil {
				return err
			}
			publish(jpeg)
		}
	})
}

// serveLive publishes the frames of the OMV stream on r as they arrive,
// until it ends; the server goes on showing the last frame until
// interrupted.
func serveLive(cmd *cobra.Command, r io.Reader, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &mjpeg.Server{ErrorLog: log.New(cmd.ErrOrStderr(), "imgstream: ", 0)}
	fmt.Fprintf(cmd.OutOrStdout(), "serving the stream on stdin at http://%s/\n", l.Addr())
	go func() {
		zr, err := container.NewReader(r)
		if err != nil {
			srv.ErrorLog.Printf("stdin: %v", err)
			return
		}
		var m imageio.Image
		var jpg []byte
		for {
			h, data, err := zr.ReadFrame(m.Data)
			m.Data = data
			if err != nil {
				if err != io.EOF {
					srv.ErrorLog.Printf("stdin: %v", err)
				} else if !quiet(cmd) {
					fmt.Fprintln(cmd.ErrOrStderr(), "imgstream: the stream on stdin ended; showing its last frame")
				}
				return
			}
			m.Width, m.Height, m.Format = h.Width, h.Height, h.Format
			if jpg, err = m.AppendJPEG(jpg[:0]); err != nil {
				srv.ErrorLog.Printf("stdin: %v", err)
				continue
			}
			srv.Publish(jpg)
		}
	}()
	return mjpeg.Serve(cmd.Context(), l, srv.Handler(), srv)
}
