// Command imgstream works with image sequences in OpenMV's OMV IMG STR
// files: it describes, checks and repairs recordings, exports them as AVI,
// GIF, MP4 or pictures, converts them between versions, serves them live to
// browsers, and manages shared-memory streams.
//
//	imgstream serve testdata/sample.omv          # then open http://127.0.0.1:8080/
//	imgstream info recording.omv
//	imgstream export recording.omv video.avi
//	imgstream repair recording.omv
//
// Exit codes: 0 success; 1 the recording is damaged, or verify found a
// problem; 2 a usage error; 3 any other failure, such as an input that is
// not a recording at all. The first Ctrl-C or SIGTERM stops a command and
// removes what it left half made, exiting 130 or 143; a second one ends the
// process at once. serve, record, publish and replay to stdout run until
// stopped: for them the first signal is the normal end (exit 0).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := notifyContext(context.Background(), func(sig os.Signal) {
		// The second signal: stop at once, with the code a shell gives
		// a process that the signal killed.
		os.Exit(interrupted{sig}.code())
	})
	defer stop()
	os.Exit(run(withGovernor(ctx), newRoot(), os.Stderr))
}

// interrupted is the cause of a command's context when a signal (Ctrl-C,
// SIGTERM) stopped it. It matches context.Canceled.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string {
	switch e.sig {
	case os.Interrupt:
		return "stopped by SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "stopped by SIGTERM"
	}
	return "stopped by " + e.sig.String()
}

func (e interrupted) Unwrap() error { return context.Canceled }

// code is the exit code of a process that the signal stopped: 128 plus the
// signal's number, as shells report it (130 for Ctrl-C, 143 for SIGTERM).
func (e interrupted) code() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// notifyContext returns a context that the first SIGINT or SIGTERM
// cancels, with an interrupted cause, so that the command stops and removes
// what it left half made; a second signal calls again, which should end the
// process at once. stop undoes the signal handling.
func notifyContext(parent context.Context, again func(os.Signal)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			cancel(interrupted{sig})
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			again(sig)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// run executes root and reports an error on stderr as one line, with the
// usage hint of the command for a usage error, and returns the exit code.
// A command that a signal stopped exits with the signal's code.
func run(ctx context.Context, root *cobra.Command, stderr io.Writer) int {
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var in interrupted
	if errors.As(context.Cause(ctx), &in) && errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "imgstream:", in)
		return in.code()
	}
	fmt.Fprintln(stderr, "imgstream:", oneLine(err.Error()))
	code := exitCode(err)
	if code == 2 {
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// oneLine puts a message of several lines on one: cobra's "Did you mean
// this?" suggestions after an unknown command become "did you mean X?".
func oneLine(msg string) string {
	msg, suggestions, ok := strings.Cut(msg, "Did you mean this?")
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	line := strings.Join(parts, "; ")
	if names := strings.Fields(suggestions); ok && len(names) > 0 {
		line += "; did you mean " + strings.Join(names, " or ") + "?"
	}
	return line
}

// usageError is a mistake in the command line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// errDamaged reports a damaged recording (exit code 1).
var errDamaged = errors.New("the recording is damaged")

// errNotRecording reports an input that is no recording at all: another
// kind of file, a directory, a version of the format this program does not
// know (exit code 3, as any other failure).
var errNotRecording = errors.New("not a recording")

// exitCode is 1 for a damaged recording, 2 for a usage error, 3 for
// anything else.
func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.Is(err, errDamaged):
		return 1
	case errors.As(err, &ue), strings.HasPrefix(err.Error(), "unknown command"),
		strings.HasPrefix(err.Error(), "unknown flag"), strings.HasPrefix(err.Error(), "unknown shorthand"):
		return 2
	}
	return 3
}

// usageArgs makes the argument checks of c and of every command under it
// return usage errors (exit code 2), whichever cobra.PositionalArgs they use.
func usageArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			err := check(cmd, args)
			var ue usageError
			if err != nil && !errors.As(err, &ue) {
				err = usageError{err}
			}
			return err
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// nArgs is cobra.ExactArgs whose error is a usage error.
func nArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// version is the module's version and VCS revision, from the build info.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	return v + " " + bi.GoVersion
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "imgstream",
		Short: "Inspect, verify, repair, export, convert and serve OpenMV image streams; manage shared-memory streams",
		Long: `imgstream works with OpenMV's OMV IMG STR recordings (every version) and
with imgstream's shared-memory streams.

Exit codes:
  0  success
  1  the recording is damaged, or verify found a problem
  2  a usage error
  3  any other failure (such as a file that is not a recording)
  130, 143  stopped by Ctrl-C or SIGTERM; a second one stops at once
            (serve, record, publish and replay to stdout, which run until
            stopped, exit 0 on the first)`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolP("quiet", "q", false, "no progress bars or notes on stderr")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newInfo(), newFrames(), newVerify(), newRepair(), newExport(), newConvert(), newServe(), newRecord(), newPublish(), newReplay(), newShm())
	usageArgs(root)
	return root
}

// quiet reports whether --quiet was given.
func quiet(cmd *cobra.Command) bool {
	q, _ := cmd.Flags().GetBool("quiet")
	return q
}
