package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
)

// TestListenFlag: serve and record take the address they listen on as
// --listen, as publish does; their old spellings (serve --addr and -a,
// record --serve) still set it, with a note on stderr that names
// --listen, and are gone from --help.
func TestListenFlag(t *testing.T) {
	const addr = "127.0.0.1:9"
	for _, c := range []struct {
		cmd  string
		args []string
		old  bool
	}{
		{"serve", []string{"--listen", addr}, false},
		{"serve", []string{"--listen=" + addr}, false},
		{"serve", []string{"--addr", addr}, true},
		{"serve", []string{"--addr=" + addr}, true},
		{"serve", []string{"-a", addr}, true},
		{"serve", []string{"-a" + addr}, true},
		{"record", []string{"--listen", addr}, false},
		{"record", []string{"--serve", addr}, true},
		{"record", []string{"--serve=" + addr}, true},
		{"publish", []string{"--listen", addr}, false},
	} {
		root := newRoot()
		var note bytes.Buffer
		root.SetOut(&note)
		cmd, _, err := root.Find([]string{c.cmd})
		require.NoError(t, err)
		require.NoError(t, cmd.ParseFlags(c.args), "%s %v", c.cmd, c.args)
		assert.Equal(t, addr, cmd.Flags().Lookup("listen").Value.String(), "%s %v", c.cmd, c.args)
		if c.old {
			assert.Contains(t, note.String(), "it is --listen now", "%s %v", c.cmd, c.args)
		} else {
			assert.Empty(t, note.String(), "%s %v", c.cmd, c.args)
		}
	}
	for cmd, old := range map[string]string{"serve": `-a, --addr`, "record": `--serve `} {
		out, err := runIn(t, context.Background(), cmd, "--help")
		require.NoError(t, err)
		assert.Regexp(t, `(?m)^\s+--listen string`, out, cmd)
		assert.NotRegexp(t, `(?m)^\s+`+regexp.QuoteMeta(old), out, "%s: the old name is hidden", cmd)
		assert.Contains(t, out, "which work", "%s: --help tells of the rename", cmd)
	}
}

// TestServeOldListenFlag: serve -a, the old spelling, still serves where
// it says.
func TestServeOldListenFlag(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		root := newRoot()
		root.SetOut(pw)
		root.SetErr(&stderr)
		root.SetArgs([]string{"serve", "-a", "127.0.0.1:0", sample})
		err := root.ExecuteContext(ctx)
		pw.CloseWithError(err)
		done <- err
	}()
	addr := testkit.Addr(t, pr)
	go io.Copy(io.Discard, pr)
	r, err := mjpeg.Dial(ctx, "http://"+addr+"/stream.mjpg")
	require.NoError(t, err)
	_, err = r.NextFrame()
	require.NoError(t, err)
	r.Close()
	cancel()
	require.NoError(t, <-done)
}

// TestRecordCountFlag: record's frame count is --count; --frames, its old
// name (a range everywhere else), still sets it for a release, with a note.
func TestRecordCountFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		old  bool
	}{{[]string{"--count", "7"}, false}, {[]string{"--count=7"}, false}, {[]string{"--frames", "7"}, true}} {
		root := newRoot()
		var note bytes.Buffer
		root.SetOut(&note)
		cmd, _, err := root.Find([]string{"record"})
		require.NoError(t, err)
		require.NoError(t, cmd.ParseFlags(c.args), "%v", c.args)
		assert.Equal(t, "7", cmd.Flags().Lookup("count").Value.String(), "%v", c.args)
		if c.old {
			assert.Contains(t, note.String(), "it is --count now", "%v", c.args)
		} else {
			assert.Empty(t, note.String(), "%v", c.args)
		}
	}
}
