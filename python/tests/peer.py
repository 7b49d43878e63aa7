"""The Python end of the cross-language tests (driven by the Go tests in
shm/python_test.go and by test_shm.py).

    peer.py read NAME copy|view      read until the writer closes; print a JSON summary
    peer.py write NAME FRAMES SIZE   create NAME, print "ready", wait for a line, write FRAMES frames, close
    peer.py wait-gone NAME           read until the writer dies; print "gone" and the frames read
    peer.py follow NAME RUNS         follow writer restarts; print each new run's number until RUNS runs were seen

Frames carry the test pattern of the Go tests: the frame's number (uint64,
little-endian) in the first 8 bytes and again 12 bytes from the end, and a
CRC-32 of everything before the last 4 bytes in those 4 bytes.
"""

import json
import os
import struct
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import imgstream  # noqa: E402


def stamp(buf, n):
    struct.pack_into("<Q", buf, 0, n)
    struct.pack_into("<Q", buf, len(buf) - 12, n)
    struct.pack_into("<I", buf, len(buf) - 4, zlib.crc32(bytes(buf[:-4])))


def grayscale_shape(size):
    """The width and height of a grayscale frame of size bytes, as the Go
    tests' header() gives them."""
    h = 1
    while size % h or size // h > 32767:
        h += 1
    return size // h, h


def intact(data, n):
    b = bytes(data)
    return (len(b) >= 24 and struct.unpack_from("<Q", b, 0)[0] == n
            and struct.unpack_from("<Q", b, len(b) - 12)[0] == n
            and struct.unpack_from("<I", b, len(b) - 4)[0] == zlib.crc32(b[:-4]))


def read(name, mode):
    res = {"frames": 0, "torn_accepted": 0, "torn_seen": 0, "skipped": 0, "last": 0}
    with imgstream.Reader.wait(name, timeout=30) as r:
        while True:
            try:
                f = r.next(timeout=30, copy=(mode == "copy"))
            except EOFError:
                break
            whole = intact(f.data, f.number)
            res["skipped"] += f.skipped
            if mode == "view" and not f.valid():
                res["torn_seen"] += 1  # overwritten while looked at: not accepted
                continue
            if not whole:
                res["torn_accepted"] += 1
            res["frames"] += 1
            res["last"] = f.number
    print(json.dumps(res))


def write(name, frames, size):
    width, height = grayscale_shape(size)
    with imgstream.Writer(name, size, slots=4) as w:
        print("ready", flush=True)
        sys.stdin.readline()
        for n in range(1, frames + 1):
            slot = w.acquire()
            stamp(slot[:size], n)
            w.publish(width, height, imgstream.GRAYSCALE, size)


def wait_gone(name):
    with imgstream.Reader.wait(name, timeout=30) as r:
        frames = 0
        print("waiting", flush=True)
        while True:
            try:
                r.next(timeout=30)
                frames += 1
            except imgstream.WriterGone:
                print("gone", frames, flush=True)
                return


def follow(name, runs):
    with imgstream.Reader.wait(name, timeout=30, follow=True) as r:
        seen = []
        for f in r:
            run = struct.unpack_from("<Q", bytes(f.data), 0)[0] // 1000
            if not seen or seen[-1] != run:
                seen.append(run)
                print("run", run, "restarted" if f.restarted else "first", flush=True)
                if len(seen) == runs:
                    return


if __name__ == "__main__":
    cmd, name = sys.argv[1], sys.argv[2]
    if cmd == "read":
        read(name, sys.argv[3])
    elif cmd == "write":
        write(name, int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "wait-gone":
        wait_gone(name)
    elif cmd == "follow":
        follow(name, int(sys.argv[3]))
    else:
        sys.exit("unknown command " + cmd)
