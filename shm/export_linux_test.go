package shm

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SetLockWait shortens MaxLockWait for a test, and returns the function
// that puts it back.
func SetLockWait(d time.Duration) (restore func()) {
	old := lockWait
	lockWait = d
	return func() { lockWait = old }
}

// SetWaitSlice sets the longest a reader sleeps in one futex wait before
// it looks again without being woken, and returns the function that puts
// it back. A test that sets it long proves that a publish wakes a waiting
// reader. No Reader may be waiting while it is called.
func SetWaitSlice(d time.Duration) (restore func()) {
	old := waitSlice
	waitSlice = d
	return func() { waitSlice = old }
}

// WaitWord returns the address of the word that r's Next waits on, as
// /proc/PID/task/TID/syscall shows it for a thread blocked in that wait.
func (r *Reader) WaitWord() uintptr { return uintptr(unsafe.Pointer(r.m.u32(offFutex))) }

// Rescue wakes whatever waits on r's word, with a FUTEX_WAKE of its own
// rather than futexWake, so that a test whose publish failed to wake a
// reader can still end that reader's wait.
func (r *Reader) Rescue() {
	unix.Syscall6(unix.SYS_FUTEX, r.WaitWord(), futexWakeOp, 1<<30, 0, 0, 0)
}
