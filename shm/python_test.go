//go:build linux

package shm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/shm"
)

// pythonReader attaches to a stream as a Python program would: with
// multiprocessing.shared_memory, unregistering it from the resource tracker
// (Python <= 3.12 would otherwise unlink the writer's stream when the
// script exits), and reads the newest frame with numpy, following the
// seqlock. It checks the test pattern's number and CRC.
const pythonReader = `
import struct, sys, zlib
import numpy as np
from multiprocessing import shared_memory, resource_tracker

name = sys.argv[1]
shm = shared_memory.SharedMemory(name=name)
if sys.version_info < (3, 13):
    resource_tracker.unregister(shm._name, "shared_memory")
buf = shm.buf
assert bytes(buf[0:8]) == b"IMGSHM01", bytes(buf[0:8])
slots, = struct.unpack_from("<I", buf, 16)
stride, capacity = struct.unpack_from("<QQ", buf, 24)
for attempt in range(100):
    n, = struct.unpack_from("<Q", buf, 48)
    slot = 4096 + (n % slots) * stride
    seq1, = struct.unpack_from("<Q", buf, slot)
    width, height, fmt = struct.unpack_from("<III", buf, slot + 16)
    length, = struct.unpack_from("<Q", buf, slot + 32)
    frame = np.frombuffer(buf, dtype=np.uint8, count=length, offset=slot + 64).copy()
    seq2, = struct.unpack_from("<Q", buf, slot)
    if seq1 == seq2 == 2 * n:
        break
else:
    sys.exit("no whole frame")
data = frame.tobytes()
number, = struct.unpack_from("<Q", data, 0)
crc, = struct.unpack_from("<I", data, len(data) - 4)
assert number == n, (number, n)
assert crc == zlib.crc32(data[:-4]), "checksum"
print("ok frame", n, "of", length, "bytes", width, "x", height, "mean", round(float(frame[8:-12].mean()), 1))
del frame, buf
shm.close()
`

func TestPythonReader(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Debian's python3-numpy is needed: %v", err)
		}
		t.Skipf("Debian's python3-numpy is not installed: %v", err)
	}
	name := uniqueName(t)
	const size = 1000
	w, err := shm.Create(name, size, 4)
	require.NoError(t, err)
	defer w.Close()
	p := make([]byte, size)
	for n := uint64(1); n <= 7; n++ {
		fillFast(p, n)
		require.NoError(t, w.Write(header(size), p))
	}
	out, err := exec.Command(py, "-c", pythonReader, name).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "ok frame 7 of 1000 bytes 1000 x 1 mean 7.0", strings.TrimSpace(string(out)))
	_, err = os.Stat(filepath.Join(shm.Dir, name))
	require.NoError(t, err, "the stream survives the Python reader's exit")
}
