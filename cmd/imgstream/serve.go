package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
)

func newServe() *cobra.Command {
	var addr string
	var once bool
	cmd := &cobra.Command{
		Use:   "serve FILE",
		Short: "Serve a recording live to browsers, ffmpeg, VLC and OpenCV as MJPEG",
		Long: `Serve replays FILE at its recorded pace, round and round, as an MJPEG
stream: open the printed address in a browser, or give
ADDRESS/stream.mjpg to ffmpeg, VLC or OpenCV. The replay runs only while
somebody watches. Frames that are not JPEG are encoded once each, however
many watch.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
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
