package testkit

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
)

// childEnv names the role of a test binary that runs as a child.
const childEnv = "IMGSTREAM_TEST_CHILD"

// Main is a TestMain for packages whose tests start child processes: in a
// child it runs the function of its role and exits with what it returns;
// otherwise it runs the tests.
func Main(m *testing.M, roles map[string]func() int) {
	if role := os.Getenv(childEnv); role != "" {
		f, ok := roles[role]
		if !ok {
			fmt.Fprintf(os.Stderr, "testkit: no child role %q\n", role)
			os.Exit(2)
		}
		os.Exit(f())
	}
	os.Exit(m.Run())
}

// Child returns a command that runs this test binary again as a child in
// role (one of those given to Main), running no tests, with env added to
// the environment. Its stderr is the test's.
func Child(role string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// Start starts cmd with pipes to its stdin and from its stdout, and returns
// them, the stdout as lines; the test's cleanup kills cmd if it still runs
// and waits for it.
func Start(t testing.TB, cmd *exec.Cmd) (stdin io.WriteCloser, stdout *bufio.Scanner) {
	t.Helper()
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return in, bufio.NewScanner(out)
}
