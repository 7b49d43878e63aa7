package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/natsbus"
	"github.com/imgstream/imgstream/player"
	"github.com/imgstream/imgstream/record"
)

// natsFlags are the options of every command that talks to NATS, named as
// NATS's own tools name them.
type natsFlags struct {
	url, creds, tlsCA string
}

func (n *natsFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&n.url, "nats", "", "the NATS server or cluster, such as nats://host:4222 (comma-separated for several)")
	n.addCredentials(cmd, "")
}

// addCredentials adds --creds and --tls-ca, for the commands whose server
// comes in a nats:// argument; their help starts with note.
func (n *natsFlags) addCredentials(cmd *cobra.Command, note string) {
	cmd.Flags().StringVar(&n.creds, "creds", "", note+"a NATS credentials file")
	cmd.Flags().StringVar(&n.tlsCA, "tls-ca", "", note+"a CA certificate file to trust for TLS")
}

// connect connects to url (n.url when empty) with the credentials and
// TLS options; it reconnects for ever.
func (n *natsFlags) connect(url string) (*nats.Conn, error) {
	if url == "" {
		url = n.url
	}
	if url == "" {
		url = nats.DefaultURL
	}
	opts := []nats.Option{nats.Name("imgstream"), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}
	if n.creds != "" {
		opts = append(opts, nats.UserCredentials(n.creds))
	}
	if n.tlsCA != "" {
		opts = append(opts, nats.RootCAs(n.tlsCA))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	return nc, nil
}

// natsTarget splits nats://HOST[:PORT]/CAMERA into the server's URL and
// the camera.
func natsTarget(s string) (serverURL, camera string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "nats" || u.Host == "" {
		return "", "", usageError{fmt.Errorf("%q: want nats://HOST[:PORT]/CAMERA", s)}
	}
	camera = strings.TrimPrefix(strings.TrimPrefix(u.Path, "/"), natsbus.SubjectPrefix)
	if camera == "" {
		return "", "", usageError{fmt.Errorf("%q: no camera after the host", s)}
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), strconv.Itoa(nats.DefaultPort))
	}
	if u.User != nil {
		host = u.User.String() + "@" + host // the credentials: nats://TOKEN@HOST
	}
	return "nats://" + host, camera, nil
}

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
	var n natsFlags
	var listen, store, token string
	var keep []string
	var loop, acked, asJSON bool
	cmd := &cobra.Command{
		Use:   "publish SRC CAMERA",
		Short: "Publish a camera's frames on NATS (imgstream.CAMERA), with an embedded server unless --nats names one",
		Long: `Publish sends the frames of SRC on the NATS subject imgstream.CAMERA, one
message a frame (chunked past the server's max payload), JPEG as it is.

SRC is a recording (played at its recorded pace; --loop goes round), an http://
MJPEG stream, - for an OMV stream on stdin, or shm:NAME.

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
			if src != "-" && !strings.Contains(src, "://") && !strings.HasPrefix(src, "shm:") {
				// A recording: checked before any server starts.
				s, err := imageio.Open(src, nil)
				if err != nil {
					return openError(src, err)
				}
				s.Close()
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
			if fi, err := os.Stat(src); err == nil && !fi.IsDir() {
				err := play(ctx, src, loop, func(m *imageio.Image) error { return publish(m, time.Time{}) })
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			s, err := recordSource(cmd, src, &n)
			if err != nil {
				return err
			}
			// A source's own times count from its first frame's arrival;
			// frames without one are timed by their arrival.
			var base, first time.Time
			err = s.Run(ctx, func(f *record.Frame) error {
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

// loopbackHost reports whether host, a name or an address, is on the
// loopback interface, where the embedded server needs no token (as
// server.Loopback says, without linking the server in).
func loopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

func newReplay() *cobra.Command {
	var n natsFlags
	var since, until time.Duration
	var out string
	var fast bool
	cmd := &cobra.Command{
		Use:   "replay CAMERA",
		Short: "Replay a camera that JetStream recorded (publish --keep): as an OMV file, or on stdout",
		Long: `Replay reads what JetStream recorded of CAMERA, from --since ago (all of it
when not given) to --until ago or the newest frame.

With -o FILE it writes an OMV recording (V2.1, microsecond timing) at once.
Without, it writes the OMV stream on stdout at the recorded pace (--fast: as
fast as it can), for imgstream serve - or a program of your own.`,
		Example: `  imgstream replay door --since 10m -o door.omv
  imgstream replay --nats nats://nats.local:4222 door --since 1h | imgstream serve -`,
		Args: nArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			nc, err := n.connect("")
			if err != nil {
				return err
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return err
			}
			o := natsbus.ReplayOptions{Paced: !fast}
			now := time.Now()
			if since > 0 {
				o.Since = now.Add(-since)
			}
			if until > 0 {
				o.Until = now.Add(-until)
			}
			ctx := cmd.Context()
			if out != "" {
				// Written under a temporary name and named when whole: a
				// failed or empty replay leaves nothing behind, and a file
				// of that name as it was.
				f, err := createPartial(ctx, out)
				if err != nil {
					return err
				}
				defer f.drop()
				st, err := natsbus.Export(ctx, js, args[0], o, f)
				if err == nil && st.Frames == 0 {
					err = usageError{fmt.Errorf("%s: nothing is recorded in that range: nothing written", args[0])}
				}
				if err == nil {
					err = f.keep()
				}
				if err != nil {
					return replayError(err, args[0])
				}
				if !quiet(cmd) {
					fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: %s: %d frames%s\n", out, st.Frames, exportNotes(st))
				}
				return nil
			}
			zw := container.NewWriter(cmd.OutOrStdout())
			var (
				last time.Time
				jpg  []byte
				st   natsbus.ExportStats // what the stream could not carry as it came
			)
			err = natsbus.Replay(ctx, js, args[0], o, func(f *natsbus.Frame) error {
				h, data := f.Header, f.Data
				if h.Format == container.RGB24 || h.Format == container.BGR24 {
					// An OMV stream cannot carry them: JPEG, as replay -o.
					m := imageio.ImageOf(&h, data)
					var err error
					if jpg, err = m.AppendJPEG(jpg[:0]); err != nil {
						st.Skipped++
						return nil
					}
					h.Format, h.Size, data = container.JPEG, len(jpg), jpg
					st.Converted++
				}
				h.Elapsed = 0
				if !last.IsZero() && f.Time.After(last) {
					h.Elapsed = f.Time.Sub(last)
				}
				if h.Elapsed > maxElapsedV20 {
					h.Elapsed = maxElapsedV20
					st.Clamped++
				}
				err := zw.WriteFrame(&h, data)
				if errors.Is(err, container.ErrInvalidPixFormat) || errors.Is(err, container.ErrInvalidSize) || errors.Is(err, container.ErrInvalidDimensions) {
					st.Skipped++ // written nothing: the stream goes on
					return nil
				}
				last = f.Time
				st.Frames++
				return err
			})
			if notes := exportNotes(st); notes != "" && !quiet(cmd) {
				fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: %d frames%s\n", st.Frames, notes)
			}
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			return replayError(err, args[0])
		},
	}
	n.add(cmd)
	cmd.Flags().DurationVar(&since, "since", 0, "start this long ago")
	cmd.Flags().DurationVar(&until, "until", 0, "end this long ago")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write an OMV file instead of the stream on stdout")
	cmd.Flags().BoolVar(&fast, "fast", false, "on stdout: as fast as possible, not at the recorded pace")
	return cmd
}

// replayError says what a replay's error means for camera.
func replayError(err error, camera string) error {
	if errors.Is(err, natsbus.ErrNotRecorded) {
		return plainError{fmt.Sprintf("nothing is recorded for %s: publish with --keep", camera), err}
	}
	return err
}

// plainError is an error told in words of the command line, which still
// matches the error it stands for.
type plainError struct {
	msg string
	err error
}

func (e plainError) Error() string { return e.msg }
func (e plainError) Unwrap() error { return e.err }

// maxElapsedV20 is the longest interval of a V2.0 stream: a uint32 of
// milliseconds, about 49.7 days.
const maxElapsedV20 = math.MaxUint32 * time.Millisecond

// exportNotes tells what an export could not write as it came, or "".
func exportNotes(st natsbus.ExportStats) string {
	var notes []string
	add := func(n int, what string) {
		if n > 0 {
			notes = append(notes, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(st.Converted, "RGB24/BGR24 converted to JPEG")
	add(st.Clamped, "gaps longer than the file's time field holds shortened to it")
	add(st.Skipped, "left out (a format OMV cannot hold, or a clock that stepped back)")
	add(st.Lost, "lost (a chunk missing)")
	add(st.Invalid, "messages that are not frames")
	if len(notes) == 0 {
		return ""
	}
	return "; " + strings.Join(notes, ", ")
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
