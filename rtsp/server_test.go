package rtsp_test

import (
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/auth"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
)

// needFFmpeg returns the path of ffmpeg, or skips the test.
func needFFmpeg(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed (apt install ffmpeg): the RTSP tests publish its testsrc")
	}
	return path
}

// needEncoder skips the test when ffmpeg has no encoder name (a build
// without libx264 or libx265).
func needEncoder(t testing.TB, name string) {
	t.Helper()
	out, err := exec.Command(needFFmpeg(t), "-hide_banner", "-encoders").Output()
	if err != nil || !strings.Contains(string(out), " "+name+" ") {
		t.Skipf("this ffmpeg has no %s encoder: %v", name, err)
	}
}

// A camServer is an RTSP server on 127.0.0.1 made with gortsplib's
// server, to which ffmpeg publishes and from which a Source plays. It
// holds the publisher's RECORD until a reader plays, so that the reader
// gets every frame ffmpeg sends.
type camServer struct {
	t         testing.TB
	srv       *gortsplib.Server
	addr      string
	user      string // readers must give user and pass, when user is set
	pass      string
	jitter    time.Duration // each packet is delayed by up to jitter, in order
	played    chan struct{} // closed at the first reader's PLAY
	once      sync.Once
	announced chan struct{} // closed at the first ANNOUNCE
	aonce     sync.Once
	closeOnce sync.Once
	pubs      []*exec.Cmd
	forward   chan received

	mu     sync.Mutex // guards the fields below
	stream *gortsplib.ServerStream
	reader *gortsplib.ServerSession
}

type received struct {
	stream *gortsplib.ServerStream
	medi   *description.Media
	pkt    *rtp.Packet
	at     time.Time
}

type serverOption func(*camServer, *gortsplib.Server)

func withAuth(user, pass string, methods ...auth.VerifyMethod) serverOption {
	return func(cs *camServer, s *gortsplib.Server) {
		cs.user, cs.pass = user, pass
		s.AuthMethods = methods
	}
}

func withJitter(d time.Duration) serverOption {
	return func(cs *camServer, _ *gortsplib.Server) { cs.jitter = d }
}

func withUDP() serverOption {
	return func(_ *camServer, s *gortsplib.Server) {
		p := freeUDPPair()
		s.UDPRTPAddress = "127.0.0.1:" + strconv.Itoa(p)
		s.UDPRTCPAddress = "127.0.0.1:" + strconv.Itoa(p+1)
	}
}

func withTLS(cfg *tls.Config) serverOption {
	return func(_ *camServer, s *gortsplib.Server) { s.TLSConfig = cfg }
}

// freeUDPPair returns an even port whose next is free too, on 127.0.0.1.
func freeUDPPair() int {
	for {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if p%2 != 0 || p > 65000 {
			continue
		}
		c2, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p+1))
		if err != nil {
			continue
		}
		c2.Close()
		return p
	}
}

// startServer starts a camServer on addr, a free port when empty.
func startServer(t testing.TB, addr string, opts ...serverOption) *camServer {
	t.Helper()
	if addr == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr = l.Addr().String()
		l.Close()
	}
	cs := &camServer{t: t, addr: addr, played: make(chan struct{}), announced: make(chan struct{}), forward: make(chan received, 4096)}
	cs.srv = &gortsplib.Server{Handler: cs, RTSPAddress: addr, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
	for _, o := range opts {
		o(cs, cs.srv)
	}
	require.NoError(t, cs.srv.Start())
	go cs.forwardLoop()
	t.Cleanup(cs.close)
	return cs
}

// close stops the server and its publishers, as a camera that dies.
func (cs *camServer) close() {
	cs.closeOnce.Do(func() {
		cs.srv.Close() // returns when no handler runs any more
		close(cs.forward)
		for _, p := range cs.pubs {
			p.Process.Kill()
			p.Wait()
		}
	})
}

// publish starts ffmpeg publishing testsrc (320x240, 15 frames a second)
// with the given encoder arguments to path cam; frames > 0 stops it
// after that many frames.
func (cs *camServer) publish(frames int, codec ...string) {
	cs.start(frames, "320x240", 15, codec)
}

// publishAt starts ffmpeg publishing testsrc of the given size and rate
// for ever.
func (cs *camServer) publishAt(size string, rate int, codec ...string) {
	cs.start(0, size, rate, codec)
}

func (cs *camServer) start(frames int, size string, rate int, codec []string) {
	ffmpeg := needFFmpeg(cs.t)
	for i, a := range codec {
		if a == "-c:v" && i+1 < len(codec) && strings.HasPrefix(codec[i+1], "lib") {
			needEncoder(cs.t, codec[i+1])
		}
	}
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-re",
		"-f", "lavfi", "-i", "testsrc=size=" + size + ":rate=" + strconv.Itoa(rate)}
	if frames > 0 {
		args = append(args, "-frames:v", strconv.Itoa(frames))
	}
	args = append(args, codec...)
	// Packets small enough for the SRTP of rtsps, whose tag they carry.
	args = append(args, "-f", "rtsp", "-rtsp_transport", "tcp", "-pkt_size", "1200", cs.url(""))
	cmd := exec.Command(ffmpeg, args...)
	require.NoError(cs.t, cmd.Start())
	cs.pubs = append(cs.pubs, cmd)
}

var (
	mjpegArgs = []string{"-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-huffman", "default", "-q:v", "5"}
	// x264 with B-frames, so that frames come out of the decoder in
	// another order than they go in.
	h264Args = []string{"-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "15", "-pix_fmt", "yuv420p"}
	h265Args = []string{"-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "bframes=2:keyint=15:log-level=error", "-pix_fmt", "yuv420p"}
)

func (cs *camServer) url(userinfo string) string {
	scheme := "rtsp"
	if cs.srv.TLSConfig != nil {
		scheme = "rtsps"
	}
	if userinfo != "" {
		userinfo += "@"
	}
	return scheme + "://" + userinfo + cs.addr + "/cam"
}

// forwardLoop passes the publisher's packets to the stream, each at its
// arrival plus a random delay of up to jitter, never before the one
// before it: packets come late and in bursts, as on a busy network.
func (cs *camServer) forwardLoop() {
	var last time.Time
	for r := range cs.forward {
		at := r.at
		if cs.jitter > 0 {
			at = at.Add(rand.N(cs.jitter))
		}
		if at.Before(last) {
			at = last
		}
		last = at
		time.Sleep(time.Until(at))
		r.stream.WritePacketRTP(r.medi, r.pkt)
	}
}

// authorized checks a reader's credentials.
func (cs *camServer) authorized(conn *gortsplib.ServerConn, req *base.Request) bool {
	return cs.user == "" || conn.VerifyCredentials(req, cs.user, cs.pass)
}

func (cs *camServer) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if !cs.authorized(ctx.Conn, ctx.Request) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, nil, liberrors.ErrServerAuth{}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.stream == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, cs.stream, nil
}

func (cs *camServer) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	st := &gortsplib.ServerStream{Server: cs.srv, Desc: ctx.Description}
	if err := st.Initialize(); err != nil {
		return &base.Response{StatusCode: base.StatusBadRequest}, err
	}
	cs.stream = st // kept after the publisher leaves: closing it would drop the last packets
	cs.aonce.Do(func() { close(cs.announced) })
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (cs *camServer) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if ctx.Session.State() == gortsplib.ServerSessionStatePreRecord {
		return &base.Response{StatusCode: base.StatusOK}, nil, nil
	}
	if !cs.authorized(ctx.Conn, ctx.Request) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, nil, liberrors.ErrServerAuth{}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.stream == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, cs.stream, nil
}

func (cs *camServer) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	cs.mu.Lock()
	cs.reader = ctx.Session
	cs.mu.Unlock()
	cs.once.Do(func() { close(cs.played) })
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (cs *camServer) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	// Hold the publisher until a reader plays, and until the server has
	// made it a reader, which it does just after OnPlay.
	select {
	case <-cs.played:
	case <-time.After(20 * time.Second):
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, fmt.Errorf("no reader came")
	}
	cs.mu.Lock()
	reader := cs.reader
	cs.mu.Unlock()
	for i := 0; i < 1000 && reader.State() != gortsplib.ServerSessionStatePlay; i++ {
		time.Sleep(time.Millisecond)
	}
	cs.mu.Lock()
	st := cs.stream
	cs.mu.Unlock()
	ctx.Session.OnPacketRTPAny(func(medi *description.Media, _ format.Format, pkt *rtp.Packet) {
		cs.forward <- received{stream: st, medi: medi, pkt: pkt.Clone(), at: time.Now()}
	})
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// waitAnnounced waits until ffmpeg has announced its stream.
func (cs *camServer) waitAnnounced() {
	select {
	case <-cs.announced:
	case <-time.After(20 * time.Second):
		cs.t.Fatal("ffmpeg did not publish within 20 s")
	}
}
