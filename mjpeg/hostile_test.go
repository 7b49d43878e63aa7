package mjpeg_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/mjpeg"
)

// TestAnnouncedBody sends stream and snapshot requests that announce a
// body and never send it, from a raw socket: each gets 400 Bad Request at
// once, and the connection is closed. Before the fix, net/http waited to
// discard the body before it wrote the response headers, so such a viewer
// got nothing for as long as the client kept the connection open, and held
// a place under MaxViewers.
func TestAnnouncedBody(t *testing.T) {
	s := &mjpeg.Server{MaxViewers: 1}
	ts := serve(t, s)
	require.NoError(t, s.Publish(testJPEG(t, 1)))
	for _, path := range []string{"/stream.mjpg", "/snapshot.jpg"} {
		for _, header := range []string{"Content-Length: 5", "Transfer-Encoding: chunked"} {
			t.Run(path+" "+header, func(t *testing.T) {
				c, err := net.Dial("tcp", ts.Listener.Addr().String())
				require.NoError(t, err)
				defer c.Close()
				fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: camera\r\n%s\r\n\r\n", path, header)
				// A guard against a hang, far above the time an answer
				// takes: the old code sent nothing until the client gave up.
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				br := bufio.NewReader(c)
				resp, err := http.ReadResponse(br, nil)
				require.NoError(t, err, "the response arrives")
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
				assert.True(t, resp.Close, "the connection closes after the answer")
				io.Copy(io.Discard, resp.Body)
				_, err = br.ReadByte()
				assert.ErrorIs(t, err, io.EOF, "the server closed the connection")
				assert.Zero(t, s.Stats().Viewers, "no viewer is held")
			})
		}
	}
	// The one place under MaxViewers is free.
	r, err := mjpeg.Dial(context.Background(), ts.URL+"/stream.mjpg")
	require.NoError(t, err)
	defer r.Close()
	f, err := r.NextFrame()
	require.NoError(t, err)
	assert.Equal(t, testJPEG(t, 1), f)
}

// TestFPSParameter: ?fps= takes finite numbers from MinFPS to MaxFPS; the
// rest (tiny values whose interval overflowed to a negative duration, NaN,
// infinities, zero, negative, words) get 400 Bad Request before any frame.
func TestFPSParameter(t *testing.T) {
	var s mjpeg.Server
	ts := serve(t, &s)
	require.NoError(t, s.Publish(testJPEG(t, 0)))
	for _, c := range []struct {
		fps  string
		want int
	}{
		{fmt.Sprint(mjpeg.MinFPS), http.StatusOK},
		{fmt.Sprint(mjpeg.MaxFPS), http.StatusOK},
		{"0.5", http.StatusOK},
		{"30", http.StatusOK},
		{"1e-10", http.StatusBadRequest},
		{"1e-300", http.StatusBadRequest},
		{"0.0009", http.StatusBadRequest},
		{"1000.5", http.StatusBadRequest},
		{"1e300", http.StatusBadRequest},
		{"NaN", http.StatusBadRequest},
		{"nan", http.StatusBadRequest},
		{"Inf", http.StatusBadRequest},
		{"-Inf", http.StatusBadRequest},
		{"0", http.StatusBadRequest},
		{"-1", http.StatusBadRequest},
		{"zero", http.StatusBadRequest},
		{"0x1p-2", http.StatusOK}, // strconv's hex float, 0.25
	} {
		t.Run(c.fps, func(t *testing.T) {
			resp, err := http.Get(ts.URL + "/stream.mjpg?fps=" + url.QueryEscape(c.fps))
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, c.want, resp.StatusCode)
		})
	}
}

// TestHostCheck: a server on a loopback address answers only requests
// that name a loopback Host or one of Server.Hosts, so a web page whose
// name was made to resolve to 127.0.0.1 (DNS rebinding) cannot read the
// stream or the snapshot. Before the check, every Host got 200.
func TestHostCheck(t *testing.T) {
	s := &mjpeg.Server{Hosts: []string{"cam.example"}}
	ts := serve(t, s)
	require.NoError(t, s.Publish(testJPEG(t, 1)))
	_, port, err := net.SplitHostPort(ts.Listener.Addr().String())
	require.NoError(t, err)
	for _, tc := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:" + port, http.StatusOK},
		{"127.8.9.10", http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"LOCALHOST.", http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"cam.example:" + port, http.StatusOK},
		{"Cam.Example", http.StatusOK},
		{"evil.example:" + port, http.StatusForbidden},
		{"localhost.evil.example", http.StatusForbidden},
		{"127.0.0.1.evil.example", http.StatusForbidden},
		{"192.168.1.5:" + port, http.StatusForbidden},
	} {
		for _, path := range []string{"/snapshot.jpg", "/stream.mjpg"} {
			req, err := http.NewRequest("GET", ts.URL+path, nil)
			require.NoError(t, err)
			req.Host = tc.host
			resp, err := ts.Client().Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode, "Host %q %s", tc.host, path)
		}
	}
}

// TestHostAllowed: requests that arrived on an address beyond loopback
// are not checked (the server is reachable there by its address anyway),
// nor are requests without a Host (HTTP/1.0) or not from net/http's server.
func TestHostAllowed(t *testing.T) {
	on := func(local, host string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		if local != "" {
			addr, err := net.ResolveTCPAddr("tcp", local)
			require.NoError(t, err)
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, addr))
		}
		return r
	}
	assert.True(t, mjpeg.HostAllowed(on("192.0.2.1:80", "evil.example"), nil))
	assert.True(t, mjpeg.HostAllowed(on("127.0.0.1:80", ""), nil))
	assert.True(t, mjpeg.HostAllowed(on("", "evil.example"), nil))
	assert.False(t, mjpeg.HostAllowed(on("127.0.0.1:80", "evil.example"), nil))
	assert.False(t, mjpeg.HostAllowed(on("[::1]:80", "evil.example"), nil))
	assert.True(t, mjpeg.HostAllowed(on("[::1]:80", "[::1]:80"), nil))
	assert.True(t, mjpeg.HostAllowed(on("[::ffff:127.0.0.1]:80", "evil.example"), []string{"EVIL.example."}))
}
