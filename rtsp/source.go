package rtsp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpmjpeg"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/pion/rtp"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/record"
)

// Errors of a Source. Each is wrapped with the camera's URL (its password
// left out) and the cause; the permanent ones also match
// record.ErrPermanent.
var (
	// ErrInvalidURL matches the permanent error of a URL that is not
	// rtsp:// or rtsps://, or that does not parse.
	ErrInvalidURL = errors.New("rtsp: invalid URL")
	// ErrUnauthorized matches the permanent error of a camera that refuses
	// the user and password of the URL (401 or 403).
	ErrUnauthorized = errors.New("rtsp: the camera refuses the user and password; give them in the URL: rtsp://USER:PASSWORD@HOST/PATH")
	// ErrNoVideo matches the permanent error of a camera that offers no
	// video this package reads (MJPEG, H.264, H.265); the message lists
	// what it offers.
	ErrNoVideo = errors.New("rtsp: the camera offers no MJPEG, H.264 or H.265 video")
	// ErrNoFFmpeg matches the permanent error of an H.264 or H.265 camera
	// when ffmpeg, which decodes them, is not installed.
	ErrNoFFmpeg = errors.New("rtsp: H.264 and H.265 cameras need ffmpeg, which is not installed: apt install ffmpeg, or set the camera to MJPEG")
	// ErrCA matches the permanent error of a CAFile that cannot be read or
	// holds no PEM certificate.
	ErrCA = errors.New("rtsp: no CA certificate")
	// ErrDecoderExited matches the error of an ffmpeg decoder that exited
	// or failed before the stream ended; Run is run again, as for a drop.
	ErrDecoderExited = errors.New("rtsp: the ffmpeg decoder exited")
)

// Transport is how RTP packets travel from the camera.
type Transport int

const (
	// TCP interleaves the packets in the RTSP connection: nothing is lost,
	// and it passes firewalls and NAT. It is the default.
	TCP Transport = iota
	// UDP sends the packets as datagrams to two ports the client opens:
	// less delay, but packets are lost on busy links and blocked by NAT.
	UDP
)

// String returns "tcp" or "udp".
func (t Transport) String() string {
	if t == UDP {
		return "udp"
	}
	return "tcp"
}

// ParseTransport parses "tcp" or "udp", in any case.
func ParseTransport(s string) (Transport, error) {
	switch strings.ToLower(s) {
	case "tcp":
		return TCP, nil
	case "udp":
		return UDP, nil
	}
	return TCP, fmt.Errorf("%w: transport %q: tcp or udp", ErrInvalidURL, s)
}

// DefaultQuality is the JPEG quality of the frames decoded from H.264 and
// H.265, on ffmpeg's -q:v scale (2 is the best, 31 the worst): about
// quality 85 of libjpeg's scale.
const DefaultQuality = 5

// DefaultQueue is how many frames (MJPEG) or access units (H.264, H.265)
// wait between the network and the Recorder before the newest are
// dropped and counted in Frame.Skipped.
const DefaultQueue = 32

// A Source is an RTSP camera, a record.Source. Each Run connects, asks
// for the camera's first MJPEG, H.264 or H.265 video stream (in that
// order of preference), and emits its frames as JPEG: MJPEG (RTP, RFC
// 2435) as the camera encoded it, H.264 and H.265 decoded and encoded to
// JPEG by an ffmpeg process. Frame times come from the RTP timestamps.
//
// A drop, a camera that does not answer, or a decoder that exits ends Run
// with an error, and the Recorder runs it again after its backoff; wrong
// credentials, an unknown codec or a missing ffmpeg are permanent errors
// (record.ErrPermanent). Set its fields before the first Run and do not
// change them after; a Source runs one Run at a time.
type Source struct {
	// URL is the camera's stream: rtsp://HOST[:PORT]/PATH or rtsps://...
	// A user and password in it (rtsp://USER:PASSWORD@HOST/PATH) answer
	// Basic and Digest authentication; they never appear in errors.
	URL string
	// Transport is TCP (the default) or UDP.
	Transport Transport
	// RootCAs, if not nil, are the certificate authorities an rtsps://
	// camera's certificate is checked against, instead of the system's.
	RootCAs *x509.CertPool
	// CAFile, if not empty, is a PEM file of such authorities (a camera's
	// self-signed certificate); it is added to RootCAs.
	CAFile string
	// FPS, if above 0, is the most frames per second Run emits: frames are
	// picked by their RTP times, the first of each 1/FPS. For H.264 and
	// H.265, ffmpeg still decodes every frame (each refers to those
	// before it) but encodes to JPEG, most of its work, only one in K,
	// K as the first frames' interval tells.
	FPS float64
	// Quality is the JPEG quality of decoded frames on ffmpeg's -q:v
	// scale, 2 (best) to 31: DefaultQuality when 0.
	Quality int
	// FFmpeg is the ffmpeg program: "ffmpeg", looked up in PATH, when
	// empty.
	FFmpeg string
	// Timeout bounds each request to the camera and each wait for a
	// packet: 10 seconds when 0.
	Timeout time.Duration
	// Log, if not nil, gets ffmpeg's messages and packet losses.
	Log *log.Logger

	skipped atomic.Uint64 // frames lost, told with the next frame
	first   time.Duration // the RTP time of the Run's first frame
}

// epoch is the origin of the frame times: only their differences count.
var epoch = time.Unix(1, 0)

// Run connects to the camera and emits its frames until ctx is done or
// the stream fails, as record.Source says.
func (s *Source) Run(ctx context.Context, emit func(*record.Frame) error) error {
	u, err := base.ParseURL(s.URL)
	if err != nil || (u.Scheme != "rtsp" && u.Scheme != "rtsps") || u.Host == "" {
		return record.Permanent(fmt.Errorf("%w: %s: give rtsp://[USER:PASSWORD@]HOST[:PORT]/PATH, or rtsps:// for TLS", ErrInvalidURL, s.redacted()))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &gortsplib.Client{
		Scheme:      u.Scheme,
		Host:        u.Host,
		ReadTimeout: s.Timeout,
		OnPacketsLost: func(lost uint64) {
			s.logf("rtsp: %s: %d packets lost", s.redacted(), lost)
		},
		OnDecodeError: func(err error) {
			s.logf("rtsp: %s: %v", s.redacted(), err)
		},
	}
	c.WriteTimeout = c.ReadTimeout
	proto := gortsplib.ProtocolTCP
	if s.Transport == UDP {
		proto = gortsplib.ProtocolUDP
	}
	c.Protocol = &proto
	if u.Scheme == "rtsps" {
		if c.TLSConfig, err = s.tlsConfig(); err != nil {
			return record.Permanent(err)
		}
	}
	if err := c.Start(); err != nil {
		return s.classify(err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()

	desc, _, err := c.Describe(u)
	if err != nil {
		return s.ctxOr(ctx, err)
	}
	var (
		mj   *format.MJPEG
		h264 *format.H264
		h265 *format.H265
	)
	var medi *description.Media
	var codec string
	switch {
	case desc.FindFormat(&mj) != nil:
		medi, codec = desc.FindFormat(&mj), "MJPEG"
	case desc.FindFormat(&h264) != nil:
		medi, codec = desc.FindFormat(&h264), "H.264"
	case desc.FindFormat(&h265) != nil:
		medi, codec = desc.FindFormat(&h265), "H.265"
	default:
		return record.Permanent(fmt.Errorf("%w: %s offers %s", ErrNoVideo, s.redacted(), offers(desc)))
	}
	ffmpeg := ""
	if codec != "MJPEG" {
		if ffmpeg, err = exec.LookPath(s.ffmpeg()); err != nil {
			return record.Permanent(fmt.Errorf("%w: %s sends %s: %w", ErrNoFFmpeg, s.redacted(), codec, err))
		}
	}
	if _, err := c.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return s.ctxOr(ctx, err)
	}
	var vc videoCodec
	switch codec {
	case "MJPEG":
		return s.runMJPEG(ctx, c, medi, mj, emit)
	case "H.264":
		vc, err = h264Codec(h264)
	default:
		vc, err = h265Codec(h265)
	}
	if err != nil {
		return record.Permanent(fmt.Errorf("rtsp: %s: %s: %w", s.redacted(), codec, err))
	}
	return s.runDecoded(ctx, c, medi, vc, ffmpeg, emit)
}

// runMJPEG plays the MJPEG stream, set up, and emits its JPEGs.
func (s *Source) runMJPEG(ctx context.Context, c *gortsplib.Client, medi *description.Media, forma *format.MJPEG, emit func(*record.Frame) error) error {
	dec, err := forma.CreateDecoder()
	if err != nil {
		return record.Permanent(err)
	}
	type frame struct {
		jpeg []byte
		t    time.Duration
	}
	frames := make(chan frame, DefaultQueue)
	clk := clock{rate: int64(forma.ClockRate())}
	c.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		t := clk.at(pkt.Timestamp)
		data, err := dec.Decode(pkt)
		switch {
		case errors.Is(err, rtpmjpeg.ErrMorePacketsNeeded) || errors.Is(err, rtpmjpeg.ErrNonStartingPacketAndNoPrevious):
			return
		case err != nil:
			s.skipped.Add(1) // a frame with packets missing
			return
		}
		select {
		case frames <- frame{data, t}:
		default:
			s.skipped.Add(1) // the Recorder is behind
		}
	})
	if _, err := c.Play(nil); err != nil {
		return s.ctxOr(ctx, err)
	}
	failed := make(chan error, 1)
	go func() { failed <- c.Wait() }()

	var (
		f    record.Frame
		pick picker
	)
	pick.init(s.FPS)
	send := func(fr frame) error {
		if !pick.take(fr.t) {
			return nil
		}
		if !s.fill(&f, fr.jpeg, fr.t) {
			return nil
		}
		return emit(&f)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-failed:
			// The client has stopped: emit what it queued, then say why.
			for {
				select {
				case fr := <-frames:
					if err := send(fr); err != nil {
						return err
					}
					continue
				default:
				}
				return s.ctxOr(ctx, err)
			}
		case fr := <-frames:
			if err := send(fr); err != nil {
				return err
			}
		}
	}
}

// fill makes f the frame of the JPEG data at t on the RTP clock, and
// reports whether it is one; one that is not is counted as skipped.
// Image.Time counts from the first frame of the Run.
func (s *Source) fill(f *record.Frame, data []byte, t time.Duration) bool {
	w, h, ok := mjpeg.Dimensions(data)
	if !ok {
		s.skipped.Add(1)
		return false
	}
	if f.Time.IsZero() {
		s.first = t
	}
	f.Image = imageio.Image{Width: w, Height: h, Format: container.JPEG, Data: data, Time: t - s.first}
	f.Time = epoch.Add(t)
	f.Skipped = s.skipped.Swap(0)
	return true
}

// A picker picks the frames Run emits under an FPS limit: the first frame
// at or after each due time, the due times 1/FPS apart.
type picker struct {
	period time.Duration // 0: every frame
	due    time.Duration
	begun  bool
}

func (p *picker) init(fps float64) {
	*p = picker{}
	if fps > 0 {
		p.period = time.Duration(float64(time.Second) / fps)
	}
}

// take reports whether the frame at t is picked.
func (p *picker) take(t time.Duration) bool {
	if p.period == 0 {
		return true
	}
	if p.begun && t < p.due {
		return false
	}
	if !p.begun {
		p.begun, p.due = true, t
	}
	p.due += p.period
	if p.due <= t { // far behind (a pause in the stream): start again from t
		p.due = t + p.period
	}
	return true
}

// offers lists the formats of a session, for ErrNoVideo.
func offers(desc *description.Session) string {
	var names []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			name := f.RTPMap()
			if name == "" {
				name = fmt.Sprintf("payload type %d", f.PayloadType())
			}
			names = append(names, string(m.Type)+" "+name)
		}
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}

// tlsConfig returns the TLS configuration of an rtsps:// camera.
func (s *Source) tlsConfig() (*tls.Config, error) {
	pool := s.RootCAs
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCA, err)
		}
		if pool == nil {
			pool = x509.NewCertPool()
		} else {
			pool = pool.Clone()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: %s holds no PEM certificate", ErrCA, s.CAFile)
		}
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// ctxOr returns ctx's error when ctx is done (the client was closed for
// it), and err classified otherwise.
func (s *Source) ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return s.classify(err)
}

// classify wraps an error of the client with the URL, and marks the ones
// no retry cures as permanent.
func (s *Source) classify(err error) error {
	var bad liberrors.ErrClientBadStatusCode
	if errors.As(err, &bad) && (bad.Code == base.StatusUnauthorized || bad.Code == base.StatusForbidden) {
		return record.Permanent(fmt.Errorf("%w: %s: %w", ErrUnauthorized, s.redacted(), err))
	}
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	if errors.As(err, &uerr) || errors.As(err, &herr) {
		return record.Permanent(fmt.Errorf("rtsp: %s: the camera's certificate is not trusted (give its CA): %w", s.redacted(), err))
	}
	return fmt.Errorf("rtsp: %s: %w", s.redacted(), err)
}

// redacted returns the URL with its password replaced by "xxxxx".
func (s *Source) redacted() string {
	u, err := url.Parse(s.URL)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}

func (s *Source) ffmpeg() string {
	if s.FFmpeg != "" {
		return s.FFmpeg
	}
	return "ffmpeg"
}

func (s *Source) quality() int {
	if s.Quality > 0 {
		return min(s.Quality, 31)
	}
	return DefaultQuality
}

func (s *Source) logf(format string, args ...any) {
	if s.Log != nil {
		s.Log.Printf(format, args...)
	}
}
