package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sizeUnits are the units parseSize knows.
var sizeUnits = map[string]float64{"": 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}

// parseKeep parses the values of --keep, each a size (20GiB) or an age
// (7d, 12h); the last of each kind counts.
func parseKeep(keep []string) (size int64, age time.Duration, err error) {
	for _, k := range keep {
		if n, err := parseSize(k); err == nil {
			size = n
		} else if d, err := parseAge(k); err == nil {
			age = d
		} else {
			return 0, 0, usageError{fmt.Errorf("--keep %q: want a size (20GiB) or an age (7d, 12h)", k)}
		}
	}
	return size, age, nil
}

// parseSize parses a byte count: 1000, 64MiB, 1GiB, 20GB, 500kB.
func parseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("size %q", s)
	}
	u, ok := sizeUnits[strings.TrimSpace(s[i:])]
	if !ok || v*u > 1<<62 {
		return 0, fmt.Errorf("size %q", s)
	}
	return int64(v * u), nil
}

// parseAge parses an age: a duration (12h) or days (7d).
func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n <= 0 || n > 100*365 {
			return 0, fmt.Errorf("age %q", s)
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("age %q", s)
	}
	return d, nil
}
