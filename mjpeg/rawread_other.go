//go:build !linux

package mjpeg

import "net"

// rawReads returns c: its reads are the runtime's own off Linux.
func rawReads(c net.Conn) net.Conn { return c }
