package record

import (
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ownGroup makes cmd the leader of a process group of its own, so that
// stop reaches whatever it starts.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// stop sends the command's process group SIGTERM, gives the command
// StopWait to exit, and then sends the group SIGKILL: the processes it
// started die with it even when it exited first. The command is not
// reaped here (waitid with WNOWAIT), so its process group's ID cannot be
// taken by another process before the SIGKILL.
func (p *Program) stop(cmd *exec.Cmd) {
	pid := cmd.Process.Pid
	unix.Kill(-pid, unix.SIGTERM)
	exited := make(chan struct{})
	go func() {
		var info unix.Siginfo
		for unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
		}
		close(exited)
	}()
	t := time.NewTimer(p.stopWait())
	select {
	case <-exited:
	case <-t.C:
	}
	t.Stop()
	unix.Kill(-pid, unix.SIGKILL)
	<-exited
}
