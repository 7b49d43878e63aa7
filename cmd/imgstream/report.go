package main

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/imgstream/imgstream/container"
)

// The reports of the commands with --json (info, verify, repair, shm ls,
// publish) share their field names: file, version, count, damage.

// damageOf is the damage that err, a *container.FrameError, reports; nil
// for nil.
func damageOf(err error) *damageInfo {
	if err == nil {
		return nil
	}
	var fe *container.FrameError
	if errors.As(err, &fe) {
		return &damageInfo{Frame: fe.Index, Offset: fe.Offset, Error: fe.Err.Error()}
	}
	return &damageInfo{Error: err.Error()}
}

// writeJSON writes v to w as one JSON object, indented as info --json's.
func writeJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(v)
}
