//go:build !unix

package ctxio

import (
	"context"
	"os"
)

func openNonblock(path string) (*os.File, error) { return os.Open(path) }

// awaitWriter has nothing to wait for where there are no FIFOs.
func awaitWriter(ctx context.Context, f *os.File) error { return nil }
