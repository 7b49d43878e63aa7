package main

// Where a command's output goes: a file written under a temporary name and
// given its own only when complete, a progress bar, and the line (or JSON)
// that says what was written. export, convert and replay share them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/export"
)

// A partial is an output file written under a temporary name beside its
// own (.NAME.partial-*.EXT), renamed into place by keep: a command that
// fails or is interrupted removes it with drop, and leaves nothing behind,
// and any older file of that name as it was. An output that exists and is
// not a regular file (a device such as /dev/stdout, a named pipe) is
// written as it is, and never removed.
type partial struct {
	*os.File
	final  string
	direct bool // written in place: not ours to remove
	kept   bool
}

// createPartial creates the partial file of final (through a symbolic
// link, beside the file it names). An output that is not a regular file
// is opened in place, beside ctx: a FIFO's open waits for a reader, and
// returns ctx's cause when ctx is done first.
func createPartial(ctx context.Context, final string) (*partial, error) {
	if fi, err := os.Stat(final); err == nil {
		if !fi.Mode().IsRegular() {
			f, err := openOutput(ctx, final)
			if err != nil {
				return nil, err
			}
			return &partial{File: f, final: final, direct: true}, nil
		}
	}
	final = resolveLinks(final)
	dir, base := filepath.Split(final)
	ext := filepath.Ext(base)
	f, err := os.CreateTemp(dir, "."+strings.TrimSuffix(base, ext)+".partial-*"+ext)
	if err != nil {
		return nil, err
	}
	return &partial{File: f, final: final}, nil
}

// resolveLinks follows the symbolic links at path, even to a file that
// does not exist yet, so that an output through a link is written where
// it leads and the link stays.
func resolveLinks(path string) string {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path
		}
		to, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return path
}

// keep closes the file and gives it its name.
func (p *partial) keep() error {
	if err := p.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	if !p.direct {
		if err := os.Chmod(p.Name(), 0o644); err != nil {
			return err
		}
		if err := os.Rename(p.Name(), p.final); err != nil {
			return err
		}
	}
	p.kept = true
	return nil
}

// drop removes the file unless keep has given it its name, or it was
// written in place.
func (p *partial) drop() {
	if !p.kept {
		p.Close()
		if !p.direct {
			os.Remove(p.Name())
		}
	}
}

// progress returns a bar on stderr for work over about a second, when
// stderr is a terminal and --quiet is not set; else a bar that draws
// nothing.
func progress(cmd *cobra.Command, total int, what string) *bar {
	if fi, err := os.Stderr.Stat(); quiet(cmd) || err != nil || fi.Mode()&os.ModeCharDevice == 0 || total < 30 {
		return nil
	}
	return &bar{progressbar.NewOptions(total, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())}
}

// bar is a progress bar, or nothing when nil (no terminal, or --quiet).
type bar struct{ pb *progressbar.ProgressBar }

// Add counts n frames done.
func (b *bar) Add(n int) {
	if b != nil {
		b.pb.Add(n)
	}
}

// Finish completes the bar.
func (b *bar) Finish() {
	if b != nil {
		b.pb.Finish()
	}
}

// toFile writes an output file through write, under a temporary name (see
// partial), and gives it its name once write has succeeded.
func toFile(ctx context.Context, out string, write func(f *os.File) (*export.Result, error)) (*export.Result, error) {
	f, err := createPartial(ctx, out)
	if err != nil {
		return nil, err
	}
	defer f.drop()
	res, err := write(f.File)
	if err != nil {
		return nil, err
	}
	return res, f.keep()
}

// written is what export and convert say they wrote, with --json.
type written struct {
	File      string `json:"file"`
	Format    string `json:"format"`
	Version   string `json:"version,omitempty"`
	Frames    int    `json:"frames"`
	Rate      string `json:"rate,omitempty"`
	Dropped   int    `json:"dropped"`
	Shortened int    `json:"shortened"`
}

func rateString(r avi.Rate) string {
	if r.Num == 0 {
		return ""
	}
	return r.String()
}

// wrote says what a command wrote: a line on stderr (unless --quiet), and
// with --json the JSON object on stdout.
func wrote(cmd *cobra.Command, asJSON bool, w written, what string) error {
	if !quiet(cmd) {
		fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: wrote %d frames to %s (%s)\n", w.Frames, w.File, what)
	}
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(w)
	}
	return nil
}
