package record

import (
	"io/fs"
	"os"
	"testing"
	"time"
)

// WriteBatch is writeBatch, for the tests of what a batch costs.
const WriteBatch = writeBatch

// SetHeaderTimeout makes NewClient's HeaderTimeout d until t ends.
func SetHeaderTimeout(t testing.TB, d time.Duration) {
	plain := headerTimeout
	t.Cleanup(func() { headerTimeout = plain })
	headerTimeout = d
}

// FileFault makes the clips' files fail, for tests of a full or failing
// disk: fault is asked before each open, write and sync, with the
// operation ("open", "write", "sync") and the file's name, and an error
// it returns is the operation's, in an *fs.PathError as the os package
// returns it. A failed write writes half its bytes first, as a full disk
// does. The files are plain again when t ends.
func FileFault(t testing.TB, fault func(op, name string) error) {
	plain := openFile
	t.Cleanup(func() { openFile = plain })
	openFile = func(name string, flag int, perm fs.FileMode) (clipFile, error) {
		if err := fault("open", name); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		f, err := os.OpenFile(name, flag, perm)
		if err != nil {
			return nil, err
		}
		return &faultFile{File: f, fault: fault}, nil
	}
}

type faultFile struct {
	*os.File
	fault func(op, name string) error
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fault("write", f.Name()); err != nil {
		n, _ := f.File.Write(p[:len(p)/2])
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: err}
	}
	return f.File.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fault("sync", f.Name()); err != nil {
		return &fs.PathError{Op: "sync", Path: f.Name(), Err: err}
	}
	return f.File.Sync()
}

// RingSize is the size of r's ring now.
func RingSize(r *Recorder) int { return r.ring.BufferSize() }
