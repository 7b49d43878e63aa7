package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/natsbus"
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
