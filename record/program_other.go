//go:build !linux

package record

import "os/exec"

// ownGroup does nothing where process groups are not handled.
func ownGroup(*exec.Cmd) {}

// stop kills the command; what it started is left to itself.
func (p *Program) stop(cmd *exec.Cmd) { cmd.Process.Kill() }
