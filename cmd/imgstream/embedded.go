//go:build !nonatsserver

package main

import (
	"github.com/imgstream/imgstream/natsbus/server"
)

// errAddrInUse is startEmbedded's error for a port that is taken.
var errAddrInUse = server.ErrAddrInUse

// startEmbedded starts publish's embedded NATS server (the NATS server
// compiled into this program; -tags nonatsserver leaves it out).
func startEmbedded(c embeddedConfig) (embeddedServer, error) {
	srv, err := server.Start(server.Options{Host: c.Host, Port: c.Port, Dir: c.Dir, Token: c.Token})
	if err != nil {
		return nil, err
	}
	return srv, nil
}
