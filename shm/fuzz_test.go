//go:build linux

package shm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/imgstream/imgstream/shm"
)

// FuzzOpen opens arbitrary bytes as a stream: it is rejected with
// ErrFormat, or read without a panic and without a frame that lies outside
// its slot.
func FuzzOpen(f *testing.F) {
	// Fuzzing workers are killed when fuzzing ends, before their cleanup
	// runs: each names its file after itself and removes those of workers
	// that are gone.
	stale, _ := filepath.Glob(filepath.Join(shm.Dir, "imgstream-fuzz-*"))
	for _, p := range stale {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(p), "imgstream-fuzz-%d", &pid); err == nil && syscall.Kill(pid, 0) != nil {
			os.Remove(p)
		}
	}
	name := fmt.Sprintf("imgstream-fuzz-%d", os.Getpid())
	f.Cleanup(func() { os.Remove(filepath.Join(shm.Dir, name)) })
	w, err := shm.Create(name, 64, 2)
	if err != nil {
		f.Fatal(err)
	}
	fillFast(make([]byte, 64), 1)
	w.Write(header(64), make([]byte, 64))
	good, err := os.ReadFile(w.Path())
	if err != nil {
		f.Fatal(err)
	}
	w.Close()
	f.Add(good)
	f.Add(good[:4096])
	f.Add([]byte("IMGSHM01"))
	path := filepath.Join(shm.Dir, name)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := shm.Open(name)
		if err != nil {
			return
		}
		defer r.Close()
		if fr, err := r.Latest(); err == nil && len(fr.Data) > r.FrameSize() {
			t.Fatalf("a frame of %d bytes in slots of %d", len(fr.Data), r.FrameSize())
		}
		// A done context: Next reads what is there and never sleeps.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if fr, err := r.Next(ctx); err == nil && len(fr.Data) > r.FrameSize() {
			t.Fatalf("a frame of %d bytes in slots of %d", len(fr.Data), r.FrameSize())
		}
	})
}
