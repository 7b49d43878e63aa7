package main

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/natsbus"
	"github.com/imgstream/imgstream/record"
)

// publishStatus is a line of publish --json: what publish does, one JSON
// object a line, named by its event as record --json's are.
type publishStatus struct {
	Event   string `json:"event"`             // server, publishing, stopped
	URL     string `json:"url,omitempty"`     // server: the embedded server's URL, with its token
	Store   string `json:"store,omitempty"`   // server: its JetStream directory
	Source  string `json:"source,omitempty"`  // publishing: SRC
	Camera  string `json:"camera,omitempty"`  // publishing: CAMERA
	Subject string `json:"subject,omitempty"` // publishing: the NATS subject
	Frames  *int   `json:"frames,omitempty"`  // stopped: the frames published
	Err     string `json:"error,omitempty"`   // stopped: what stopped it, if not the source's end or a signal
}

func newPublish() *cobra.Command {
	var sf sourceFlags
	n := &sf.nats
	var listen, store, token string
	var keep []string
	var loop, acked, asJSON bool
	cmd := &cobra.Command{
		Use:   "publish SRC CAMERA",
		Short: "Publish a camera's frames on NATS (imgstream.CAMERA), with an embedded server unless --nats names one",
		Long: `Publish sends the frames of SRC on the NATS subject imgstream.CAMERA, one
message a frame (chunked past the server's max payload), JPEG as it is.

SRC is a recording (played at its recorded pace; --loop goes round), or any
SRC that record takes (imgstream record --help lists them): an http:// MJPEG
or rtsp:// camera, exec:COMMAND, - for a stream on stdin, shm:NAME. A camera
that drops is connected to again.

Without --nats, publish starts a NATS server in the process, on --listen
(127.0.0.1:4222), with JetStream in --store, and prints its URL for the
others: imgstream serve nats://127.0.0.1:4222/CAMERA, imgstream record
nats://127.0.0.1:4222/CAMERA OUT. Beyond the loopback interface every client
needs --token (one is made and printed in the URL, nats://TOKEN@HOST:4222, if
not given). With --nats, it connects to that server or cluster, such as the
one another publish runs. --keep 1h (an age) or --keep 2GiB (a size), or
both, records the camera in JetStream for imgstream replay; --acked then
waits for the stream to acknowledge each frame (a round trip a frame), so
that a cluster's leader election loses none.

With --json, what it does goes to stdout as JSON lines, each named by its
event: server (url, store), publishing (source, camera, subject), and
stopped (frames published, and the error if one stopped it).`,
		Example: `  imgstream publish http://camera/stream.mjpg door --keep 1h
  imgstream publish --nats nats://nats.local:4222 --creds cam.creds shm:camera garden
  imgstream publish --loop testdata/sample.omv sample
  imgstream publish --json --loop testdata/sample.omv sample | jq -r 'select(.event == "server") | .url'`,
		Args: nArgs(2),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			src, camera := args[0], args[1]
			ctx := cmd.Context()
			status := json.NewEncoder(cmd.OutOrStdout())
			published := 0
			// The command line first, then the server.
			if err := natsbus.CheckCamera(camera); err != nil {
				return usageError{err}
			}
			maxBytes, maxAge, err := parseKeep(keep)
			if err != nil {
				return err
			}
			ro := natsbus.RecordOptions{MaxBytes: maxBytes, MaxAge: maxAge}
			if acked && len(keep) == 0 {
				return usageError{fmt.Errorf("--acked needs --keep: the stream that acknowledges")}
			}
			// The source is checked before any server starts: a recording
			// (played at its pace), or any other SRC, run again when it
			// drops as record does.
			var live record.Source
			if fi, err := os.Stat(src); err == nil && fi.Mode().IsRegular() && !liveFile(src) {
				s, err := imageio.Open(src, nil)
				if err != nil {
					return openError(src, err)
				}
				s.Close()
			} else {
				s, err := recordSource(cmd, src, &sf)
				if err != nil {
					return err
				}
				name, _ := streamName(src)
				live = record.Retry(s, record.RetryOptions{Name: name, Log: log.New(cmd.ErrOrStderr(), "imgstream: ", 0)})
			}
			if n.url != "" {
				for _, name := range []string{"listen", "token", "store"} {
					if cmd.Flags().Changed(name) {
						return usageError{fmt.Errorf("--%s is for the embedded server, and --nats joins another", name)}
					}
				}
			}
			var nc *nats.Conn
			if n.url == "" {
				so, err := embeddedOptions(listen, token, store)
				if err != nil {
					return err
				}
				port := strconv.Itoa(so.Port)
				token, store = so.Token, so.Dir
				srv, err := startEmbedded(so)
				if errors.Is(err, errAddrInUse) {
					running := "nats://" + net.JoinHostPort("127.0.0.1", port)
					return fmt.Errorf("--listen %s is taken, by another publish perhaps: --nats %s publishes through the running server, or --listen picks another port (%w)", listen, running, err)
				}
				if err != nil {
					return err
				}
				defer srv.Shutdown()
				u := srv.URL()
				if token != "" {
					u = (&url.URL{Scheme: "nats", User: url.User(token), Host: strings.TrimPrefix(u, "nats://")}).String()
				}
				if asJSON {
					status.Encode(publishStatus{Event: "server", URL: u, Store: store})
				} else {
					fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: NATS server at %s (JetStream in %s)\n", u, store)
				}
				if nc, err = n.connect(u); err != nil {
					return err
				}
			} else {
				var err error
				if nc, err = n.connect(""); err != nil {
					return err
				}
			}
			defer nc.Close()
			pub, err := natsbus.NewPublisher(nc, camera)
			if err != nil {
				return usageError{err}
			}
			if len(keep) > 0 {
				js, err := jetstream.New(nc)
				if err != nil {
					return err
				}
				if _, err := natsbus.Record(ctx, js, camera, ro); err != nil {
					return fmt.Errorf("recording %s in JetStream: %w", camera, err)
				}
				if acked {
					pub, _ = natsbus.NewAckedPublisher(js, camera)
				}
			}
			if asJSON {
				status.Encode(publishStatus{Event: "publishing", Source: src, Camera: camera, Subject: pub.Subject()})
				defer func() {
					st := publishStatus{Event: "stopped", Frames: &published}
					if err != nil {
						st.Err = err.Error()
					}
					status.Encode(st)
				}()
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: publishing %s on %s\n", src, pub.Subject())
			}
			publish := func(m *imageio.Image, t time.Time) error {
				err := pub.Publish(m.Header(), m.Data, t)
				if err == nil {
					published++
				}
				return err
			}
			if live == nil {
				err := play(ctx, src, loop, func(m *imageio.Image) error { return publish(m, time.Time{}) })
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			// A source's own times count from its first frame's arrival;
			// frames without one are timed by their arrival.
			var base, first time.Time
			err = live.Run(ctx, func(f *record.Frame) error {
				t := f.Time
				if !t.IsZero() {
					if first.IsZero() {
						base, first = time.Now(), t
					}
					t = base.Add(t.Sub(first))
				}
				return publish(&f.Image, t)
			})
			if err == io.EOF || ctx.Err() != nil {
				return nil
			}
			return err
		},
	}
	n.add(cmd)
	sf.addCamera(cmd)
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:4222", "without --nats: where the embedded server listens")
	cmd.Flags().StringVar(&token, "token", "", "without --nats: the token every client of the embedded server needs (made and printed when --listen is beyond the loopback interface)")
	cmd.Flags().StringVar(&store, "store", "", "without --nats: the embedded server's JetStream directory (default in the user's cache)")
	cmd.Flags().StringArrayVar(&keep, "keep", nil, "record the camera in JetStream, keeping AGE (1h, 7d) or SIZE (2GiB) of it, for imgstream replay (repeatable)")
	cmd.Flags().BoolVar(&loop, "loop", false, "a recording: play it round and round")
	cmd.Flags().BoolVar(&acked, "acked", false, "with --keep: wait for the stream to acknowledge each frame, so that none is lost when a cluster elects a new leader")
	cmd.Flags().BoolVar(&asJSON, "json", false, "say what it does as JSON lines on stdout, not notes on stderr")
	return cmd
}

// embeddedConfig is where publish's embedded server listens (Host and
// Port), where it keeps JetStream's files (Dir), and the Token every client
// needs.
type embeddedConfig struct {
	Host  string
	Port  int
	Dir   string
	Token string
}

// embeddedServer is publish's embedded server, running (embedded.go), or
// nothing in a build without it (embedded_none.go).
type embeddedServer interface {
	URL() string // where clients connect, without the token
	Shutdown()
}

// embeddedOptions are the options of publish's embedded server: it
// listens on listen, keeps JetStream's files in store (the user's cache
// when empty), and needs token, which is made when listen is beyond the
// loopback interface and none is given: never an open server there.
func embeddedOptions(listen, token, store string) (embeddedConfig, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return embeddedConfig{}, usageError{fmt.Errorf("--listen %q: %w", listen, err)}
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return embeddedConfig{}, usageError{fmt.Errorf("--listen %q: the port is a number from 0 to 65535", listen)}
	}
	if store == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		store = filepath.Join(dir, "imgstream", "nats")
	}
	if token == "" && !loopbackHost(cmp.Or(host, "127.0.0.1")) {
		var b [16]byte
		rand.Read(b[:])
		token = hex.EncodeToString(b[:])
	}
	return embeddedConfig{Host: host, Port: p, Dir: store, Token: token}, nil
}
