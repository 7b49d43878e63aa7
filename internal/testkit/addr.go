package testkit

import (
	"bufio"
	"io"
	"regexp"
	"testing"
)

// hostPort matches a loopback address with its port in a line.
var hostPort = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// Addr reads the lines a program under test prints to r until one holds an
// address on 127.0.0.1, and returns it. Programs listen on port 0 and print
// the address they got, so no test picks a port that another may take. The
// rest of r is read and dropped in the background, so the program never
// blocks on its output; every line read is logged to t.
func Addr(t testing.TB, r io.Reader) string {
	t.Helper()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		t.Log(sc.Text())
		if a := hostPort.FindString(sc.Text()); a != "" {
			go io.Copy(io.Discard, r)
			return a
		}
	}
	t.Fatalf("testkit: no address printed (%v)", sc.Err())
	return ""
}
