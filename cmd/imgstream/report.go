package main

import (
	"encoding/json"
	"io"
)

// The reports of the commands with --json (info, verify, repair, shm ls,
// publish) share their field names: file, version, count, damage.

// writeJSON writes v to w as one JSON object, indented as info --json's.
func writeJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(v)
}
