//go:build !unix

package rtsp

import "os/exec"

// ownGroup does nothing where process groups are not handled: the end of
// the context kills the command alone.
func ownGroup(*exec.Cmd) {}
