//go:build nonatsserver

package main

import (
	"errors"
)

// This build leaves the NATS server out (-tags nonatsserver, as make run
// builds it: the server is most of the build and of the binary): publish
// joins a server that runs, with --nats; every other command is whole.

// errNoEmbedded is publish's error without --nats in this build.
var errNoEmbedded = errors.New("this imgstream is built without the embedded NATS server (-tags nonatsserver, as make run builds it): give --nats nats://HOST:4222, a server that runs, or install imgstream without the tag")

// errAddrInUse is never returned in this build.
var errAddrInUse = errors.New("address already in use")

// startEmbedded returns errNoEmbedded.
func startEmbedded(embeddedConfig) (embeddedServer, error) { return nil, errNoEmbedded }
