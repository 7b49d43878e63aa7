package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ErrProgramExited matches the error of a [Program] whose command exited
// or closed its stdout: the Recorder runs it again after its backoff, as
// it connects again to a camera that dropped.
var ErrProgramExited = errors.New("record: the camera program exited")

// DefaultStopWait is how long a [Program]'s command has, after SIGTERM, to
// exit before its whole process group is killed: long enough for ffmpeg to
// close a device, short enough for a Ctrl-C.
const DefaultStopWait = 2 * time.Second

// A Program is the source of the frames a camera program writes to its
// stdout, in any of the streams [Input] reads: ffmpeg reading a webcam or
// an RTSP camera (-f mjpeg -), rpicam-vid --codec mjpeg -o -, a Python
// program writing OpenCV's JPEGs. Each Run starts the command, with no
// shell, and reads its stdout; its stderr goes to Log line by line. When
// the context ends, or the command's stdout ends, the command is stopped
// and waited for. On Linux it runs in a process group of its own, which is
// sent SIGTERM, and SIGKILL after StopWait, so that nothing it started is
// left behind: no zombies, no orphans. Elsewhere the command alone is
// killed. A command that exits ends Run with
// [ErrProgramExited], and the Recorder starts it again after its backoff;
// one that cannot be started (not found, not executable) is a permanent
// error.
type Program struct {
	// Args is the command and its arguments; Args[0] is looked up in
	// PATH. There is no shell: for pipes or redirections, run "sh", "-c",
	// "...". ParseCommand splits a command line into Args.
	Args []string
	// Log, if not nil, gets each line the command writes to stderr,
	// prefixed with the command's name.
	Log *log.Logger
	// StopWait is how long the command has to exit after SIGTERM:
	// DefaultStopWait when 0.
	StopWait time.Duration
}

// Run starts the command and emits the frames of its stdout, as
// [Source.Run] says.
func (p *Program) Run(ctx context.Context, emit func(*Frame) error) error {
	if len(p.Args) == 0 || p.Args[0] == "" {
		return Permanent(fmt.Errorf("%w: a program with no command", ErrInvalidConfig))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	name := filepath.Base(p.Args[0])
	cmd := exec.Command(p.Args[0], p.Args[1:]...)
	ownGroup(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr := &LineLog{Log: p.Log, Prefix: name + ": "}
	cmd.Stderr = stderr
	// A process that left the group holding stderr open must not hold
	// Wait up for ever.
	cmd.WaitDelay = p.stopWait()
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return Permanent(fmt.Errorf("record: program %s: %w", p.Args[0], err))
		}
		return fmt.Errorf("record: program %s: %w", p.Args[0], err)
	}

	done := make(chan error, 1)
	go func() { done <- Input(stdout).Run(ctx, emit) }()
	var runErr error
	select {
	case runErr = <-done:
		done = nil
	case <-ctx.Done():
	}
	p.stop(cmd)
	stdout.Close() // a process that escaped the group may hold the pipe open
	if done != nil {
		runErr = <-done
	}
	waitErr := cmd.Wait()
	stderr.Flush()
	said := ""
	if l := stderr.Last(); l != "" {
		said = " (it said: " + l + ")"
	}

	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case runErr != nil && runErr != io.EOF:
		return runErr // the program's output was wrong, or emit failed
	case waitErr != nil:
		return fmt.Errorf("%w: %s: %w%s", ErrProgramExited, name, waitErr, said)
	}
	return fmt.Errorf("%w: %s ended its output%s", ErrProgramExited, name, said)
}

func (p *Program) stopWait() time.Duration {
	if p.StopWait > 0 {
		return p.StopWait
	}
	return DefaultStopWait
}

// A LineLog is the stderr of a program that runs beside a camera (see
// [Program]): it logs what is written to it line by line, each line with
// Prefix and cut at [MaxLogLine] bytes, so that a program that floods its
// stderr costs no more memory, and it keeps the last line for the error
// that says why the program ended. The zero value logs nothing and still
// keeps the last line. A LineLog is not safe for concurrent use.
type LineLog struct {
	Log    *log.Logger
	Prefix string
	line   []byte
	last   string
}

// MaxLogLine bounds a line of a program's stderr as a [LineLog] keeps it.
const MaxLogLine = 4 << 10

// Write logs each whole line of b, and holds a last part with no line end
// for the next Write or Flush. It never fails.
func (l *LineLog) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.line = append(l.line, b[:min(len(b), MaxLogLine-len(l.line))]...)
			break
		}
		l.line = append(l.line, b[:min(i, MaxLogLine-len(l.line))]...)
		l.Flush()
		b = b[i+1:]
	}
	return n, nil
}

// Flush logs the part of a line held, if any: call it once the program
// has ended.
func (l *LineLog) Flush() {
	line := strings.TrimSpace(string(l.line))
	l.line = l.line[:0]
	if line == "" {
		return
	}
	l.last = line
	if l.Log != nil {
		l.Log.Print(l.Prefix + line)
	}
}

// Last returns the last line logged, "" if none.
func (l *LineLog) Last() string { return l.last }

// ParseCommand splits a command line into its words as a shell would for
// a simple command, with no expansion: words are separated by spaces or
// tabs; single quotes keep everything up to the next one; double quotes
// keep everything up to the next one but a backslash before ", \ or $;
// elsewhere a backslash keeps the next character.
func ParseCommand(s string) ([]string, error) {
	var (
		words []string
		word  strings.Builder
		in    bool // inside a word
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, word.String())
				word.Reset()
				in = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("%w: command %q: a ' is not closed", ErrInvalidConfig, s)
			}
			word.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`, s[i+1]) >= 0 {
					i++
				}
				word.WriteByte(s[i])
			}
			if i == len(s) {
				return nil, fmt.Errorf("%w: command %q: a \" is not closed", ErrInvalidConfig, s)
			}
			in = true
		case c == '\\' && i+1 < len(s):
			i++
			word.WriteByte(s[i])
			in = true
		default:
			word.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, word.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("%w: an empty command", ErrInvalidConfig)
	}
	return words, nil
}
