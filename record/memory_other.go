//go:build !linux

package record

// physicalMemory returns 0: the machine's memory is not known here, and
// only MaxPreSize bounds the pre-trigger ring. Tests replace it.
var physicalMemory = func() uint64 { return 0 }
