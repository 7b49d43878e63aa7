//go:build linux

package shm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// List returns the streams of this package in Dir, with what their headers
// say and whether a writer holds each. Other files are left out.
func List() ([]Info, error) {
	entries, err := os.ReadDir(Dir)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if in, ok := stat(e.Name()); ok {
			out = append(out, in)
		}
	}
	return out, nil
}

// stat describes the stream name, and reports false if it is not one.
func stat(name string) (Info, bool) {
	p := filepath.Join(Dir, name)
	f, err := openFile(p)
	if err != nil {
		return Info{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < headerSize {
		return Info{}, false
	}
	hdr, err := readHeader(f)
	if err != nil || string(hdr[offMagic:offMagic+8]) != magic {
		return Info{}, false
	}
	le := binary.LittleEndian
	return Info{
		Name:      name,
		Path:      p,
		Size:      fi.Size(),
		Slots:     int(le.Uint32(hdr[offSlots:])),
		FrameSize: int(le.Uint64(hdr[offCapacity:])),
		Frames:    le.Uint64(hdr[offLatest:]),
		WriterPID: int(le.Uint32(hdr[offPID:])),
		Alive:     writerHolds(int(f.Fd())),
		Closed:    le.Uint32(hdr[offClosed:]) != 0,
		ModTime:   fi.ModTime(),
	}, true
}

// Remove removes the stream name if no writer holds it: a stream left by a
// writer that was killed. A live stream is ErrExists, and a file that is
// not a stream of this package is ErrFormat; neither is touched.
func Remove(name string) error {
	p, err := path(name)
	if err != nil {
		return err
	}
	if _, err := os.Stat(p); err != nil {
		return err
	}
	unlock, err := lockDir()
	if err != nil {
		return err
	}
	defer unlock()
	return removeStaleLocked(p)
}

// RemoveStale removes every stream in Dir that no writer holds, and
// returns their names. Streams with a live writer, and files that are not
// streams of this package, are left alone. Readers attached to a removed
// stream keep reading what it holds.
func RemoveStale() ([]string, error) {
	list, err := List()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, in := range list {
		if in.Alive {
			continue
		}
		err := Remove(in.Name)
		switch {
		case err == nil:
			removed = append(removed, in.Name)
		case errors.Is(err, ErrExists), errors.Is(err, os.ErrNotExist):
			// A writer took the name meanwhile, or it went.
		default:
			errs = append(errs, fmt.Errorf("%s: %w", in.Name, err))
		}
	}
	slices.Sort(removed)
	return removed, errors.Join(errs...)
}
