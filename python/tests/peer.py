"""The Python end of the cross-language tests (driven by the Go tests in
shm/python_test.go and by test_shm.py).

    peer.py read NAME copy|view      attach, print "ready", read until the writer closes; print a JSON summary
    peer.py write NAME FRAMES SIZE   create NAME, print "ready", wait for a line, write FRAMES frames, close
    peer.py wait-gone NAME           read until the writer dies; print "gone" and the frames read
    peer.py follow NAME RUNS         follow writer restarts; print each new run's number until RUNS runs were seen
    peer.py idle NAME                wait 2 s for a frame that never comes; print the CPU used, in percent of a core
    peer.py bench-write NAME FRAMES SIZE   publish FRAMES frames as fast as possible; print frames per second
    peer.py bench-read NAME          copy frames out until the writer closes; print frames per second and torn frames

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
        print("ready", flush=True)
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


def idle(name):
    import resource
    with imgstream.Reader(name) as r:
        r.next(timeout=5)  # the one frame there is
        ru0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        try:
            r.next(timeout=2)
        except TimeoutError:
            pass
        ru1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    print(100 * cpu / (t1 - t0))


def bench_write(name, frames, size):
    import numpy as np
    width, height = grayscale_shape(size)
    frame = np.frombuffer(os.urandom(size), np.uint8)
    with imgstream.Writer(name, size, slots=4) as w:
        print("ready", flush=True)
        sys.stdin.readline()
        t0 = time.monotonic()
        for n in range(1, frames + 1):
            w.write(frame.reshape(height, width))
        print(frames / (time.monotonic() - t0), flush=True)


def bench_read(name):
    got = torn = 0
    with imgstream.Reader.wait(name, timeout=30) as r:
        print("ready", flush=True)
        t0 = None
        while True:
            try:
                f = r.next(timeout=30)
            except EOFError:
                break
            if t0 is None:
                t0 = time.monotonic()
            # The Go benchmark writer's stamps: the frame's number at 17
            # places, the start, the end and evenly between.
            n = struct.unpack_from("<Q", f.data, 0)[0]
            for i in range(1, 17):
                if struct.unpack_from("<Q", f.data, ((f.size - 8) * i // 16) & ~7)[0] != n:
                    torn += 1
                    break
            got += 1
        print(got / (time.monotonic() - t0), torn, flush=True)


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
    elif cmd == "idle":
        idle(name)
    elif cmd == "bench-write":
        bench_write(name, int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "bench-read":
        bench_read(name)
    else:
        sys.exit("unknown command " + cmd)
