package shm

import "time"

// SetLockWait shortens MaxLockWait for a test, and returns the function
// that puts it back.
func SetLockWait(d time.Duration) (restore func()) {
	old := lockWait
	lockWait = d
	return func() { lockWait = old }
}
