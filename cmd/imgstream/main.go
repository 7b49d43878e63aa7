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
// problem; 2 a usage error; 3 any other failure.
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, newRoot(), os.Stderr))
}

// run executes root and reports an error on stderr as one line, with the
// usage hint for a usage error, and returns the exit code.
func run(ctx context.Context, root *cobra.Command, stderr io.Writer) int {
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "imgstream:", strings.ReplaceAll(err.Error(), "\n", "; "))
	code := exitCode(err)
	if code == 2 {
		fmt.Fprintln(stderr, "Run 'imgstream --help' for usage.")
	}
	return code
}

// usageError is a mistake in the command line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// errDamaged reports a damaged recording (exit code 1).
var errDamaged = errors.New("the recording is damaged")

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
  3  any other failure`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolP("quiet", "q", false, "no progress bars or notes on stderr")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newInfo(), newFrames(), newVerify(), newRepair(), newExport(), newConvert(), newServe(), newRecord(), newPublish(), newReplay(), newShm())
	return root
}

// quiet reports whether --quiet was given.
func quiet(cmd *cobra.Command) bool {
	q, _ := cmd.Flags().GetBool("quiet")
	return q
}
