"""Tests of the Python package on its own: a Python writer and Python
readers, in this process and in others. The Go tests (shm/python_test.go)
pair it with Go writers and readers.

Run with Debian's interpreter: /usr/bin/python3 -m unittest discover -s python/tests
"""

import os
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import imgstream  # noqa: E402
from peer import grayscale_shape, intact, stamp  # noqa: E402

try:
    import numpy as np
except ImportError:  # the package works without numpy; these tests want it
    np = None

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")


def unique():
    return "imgstream-pytest-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8])


class StreamTest(unittest.TestCase):
    def spawn(self, args, **kw):
        p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, **kw)
        for f in (p.stdin, p.stdout):
            if f is not None:
                self.addCleanup(f.close)
        self.addCleanup(p.wait)
        self.addCleanup(p.kill)
        return p

    def setUp(self):
        self.name = unique()
        self.addCleanup(lambda: os.path.exists(os.path.join(imgstream.DIR, self.name))
                        and os.unlink(os.path.join(imgstream.DIR, self.name)))

    @unittest.skipIf(np is None, "numpy")
    def test_arrays_round_trip(self):
        """OpenCV's BGR frames and grayscale frames go through as arrays."""
        with imgstream.Writer(self.name, 480 * 640 * 3) as w, imgstream.Reader(self.name) as r:
            img = np.arange(480 * 640 * 3, dtype=np.uint32).astype(np.uint8).reshape(480, 640, 3)
            self.assertEqual(w.write(img), 1)
            f = r.next(timeout=5)
            self.assertEqual((f.number, f.width, f.height, f.format), (1, 640, 480, imgstream.BGR24))
            self.assertTrue(np.array_equal(f.image(), img))
            gray = img[:, :, 0].copy()
            w.write(gray)
            f = r.next(timeout=5)
            self.assertEqual(f.format, imgstream.GRAYSCALE)
            self.assertTrue(np.array_equal(f.image(), gray))
            w.write(img[:, :, ::-1], fmt=imgstream.RGB24)  # not contiguous: copied
            f = r.next(timeout=5)
            self.assertEqual(f.format, imgstream.RGB24)
            self.assertTrue(np.array_equal(f.image(), img[:, :, ::-1]))

    def test_views_and_valid(self):
        """A view stays valid until the writer reuses its slot."""
        with imgstream.Writer(self.name, 64, slots=2) as w, imgstream.Reader(self.name) as r:
            w.write(b"a" * 64, 64, 1, imgstream.GRAYSCALE)
            v = r.next(timeout=5, copy=False)
            self.assertTrue(v.valid())
            w.write(b"b" * 64, 64, 1, imgstream.GRAYSCALE)
            self.assertTrue(v.valid(), "frame 2 went into the other slot")
            w.write(b"c" * 64, 64, 1, imgstream.GRAYSCALE)
            self.assertFalse(v.valid(), "frame 3 reused frame 1's slot")
            c = r.next(timeout=5)
            self.assertEqual((c.number, c.skipped), (3, 1))
            self.assertTrue(c.valid())
            self.assertEqual(bytes(c.data), b"c" * 64)

    def test_errors(self):
        with self.assertRaises(ValueError):
            imgstream.Writer("a/b", 10)
        with self.assertRaises(FileNotFoundError):
            imgstream.Reader(self.name)
        with self.assertRaises(TimeoutError):
            imgstream.Reader.wait(self.name, timeout=0.2)
        with imgstream.Writer(self.name, 16) as w:
            with self.assertRaises(imgstream.StreamExists):
                imgstream.Writer(self.name, 16)
            with self.assertRaises(imgstream.FormatError):
                w.write(b"x" * 15, 4, 4, imgstream.GRAYSCALE)  # 15 bytes are no 4x4 frame
            with self.assertRaises(imgstream.FormatError):
                w.write(b"x" * 16, 4, 4, 0)  # format 0
            with imgstream.Reader(self.name) as r:
                with self.assertRaises(LookupError):
                    r.latest()
                with self.assertRaises(TimeoutError):
                    r.next(timeout=0.15)
        # Closed: the file is gone.
        self.assertFalse(os.path.exists(os.path.join(imgstream.DIR, self.name)))

    def test_dir_locked_by_another(self):
        """A lock on DIR held by another open file (any local user can take
        one) makes Writer raise Locked after MAX_LOCK_WAIT instead of
        waiting for as long as it is held; once it is let go, Writer works.
        Before, Writer waited for ever."""
        import fcntl
        import imgstream.shm as shm_module
        old = shm_module.MAX_LOCK_WAIT
        shm_module.MAX_LOCK_WAIT = 0.02
        fd = os.open(imgstream.DIR, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with self.assertRaises(imgstream.Locked):
                imgstream.Writer(unique(), 16)
        finally:
            os.close(fd)
            shm_module.MAX_LOCK_WAIT = old
        with imgstream.Writer(unique(), 16):
            pass

    def test_fifo_of_the_name(self):
        """A FIFO named like a stream (any local user can make one) is
        refused as FormatError without blocking: Reader, Reader.wait (which
        keeps its timeout) and Writer, which would hold the directory lock
        meanwhile, so that another name's Writer still goes through."""
        path = os.path.join(imgstream.DIR, self.name)
        os.mkfifo(path, 0o600)
        results = []

        def attempts():
            with self.assertRaises(imgstream.FormatError):
                imgstream.Reader(self.name)
            with self.assertRaises(TimeoutError):
                imgstream.Reader.wait(self.name, timeout=0.2)
            with self.assertRaises(imgstream.FormatError):
                imgstream.Writer(self.name, 16)
            with imgstream.Writer(unique(), 16):
                pass
            results.append("done")

        t = threading.Thread(target=attempts, daemon=True)
        t.start()
        t.join(60)  # a guard against a hang, not a timing
        if t.is_alive():
            # Release the open that blocked, so that the process ends.
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            self.fail("blocked on a FIFO of the stream's name")
        self.assertEqual(results, ["done"])
        self.assertTrue(stat.S_ISFIFO(os.lstat(path).st_mode), "the FIFO is left alone")

    def test_eof_after_close(self):
        w = imgstream.Writer(self.name, 16)
        r = imgstream.Reader(self.name)
        for i in range(3):
            w.write(bytes([i]) * 16, 16, 1, imgstream.GRAYSCALE)
        w.close()
        frames = list(r)
        self.assertEqual([f.number for f in frames], [3], "the newest, then the end")
        r.close()

    def test_mode(self):
        with imgstream.Writer(self.name, 16, mode=0o640):
            self.assertEqual(os.stat(os.path.join(imgstream.DIR, self.name)).st_mode & 0o777, 0o640)

    def test_python_pair_across_processes(self):
        """A Python writer process publishes frames as fast as it can; the
        reader here accepts none torn, and gets the last one."""
        frames, size = 5000, 64 << 10
        writer = self.spawn([sys.executable, PEER, "write", self.name, str(frames), str(size)], stdin=subprocess.PIPE)
        self.assertEqual(writer.stdout.readline().strip(), "ready")
        with imgstream.Reader(self.name) as r:
            writer.stdin.write("go\n")
            writer.stdin.flush()
            got = skipped = last = 0
            while True:
                try:
                    f = r.next(timeout=30)
                except EOFError:
                    break
                self.assertTrue(intact(f.data, f.number), "frame %d is whole" % f.number)
                got, skipped, last = got + 1, skipped + f.skipped, f.number
        writer.wait(timeout=30)
        self.assertEqual(last, frames)
        self.assertEqual(got + skipped, frames)

    def test_killed_writer(self):
        """A Python writer killed with SIGKILL: the reader raises WriterGone,
        the last frame stays readable, and the next writer replaces it."""
        size = 4096
        code = ("import sys, time; sys.path.insert(0, %r); import imgstream\n"
                "w = imgstream.Writer(%r, %d)\n"
                "w.write(b'z' * %d, %d, 1, imgstream.GRAYSCALE)\n"
                "print('ready', flush=True); time.sleep(60)\n") % (
                    os.path.join(os.path.dirname(PEER), ".."), self.name, size, size, size)
        writer = self.spawn([sys.executable, "-c", code])
        self.assertEqual(writer.stdout.readline().strip(), "ready")
        with imgstream.Reader(self.name) as r:
            self.assertEqual(r.next(timeout=5).number, 1)
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            t0 = time.monotonic()
            with self.assertRaises(imgstream.WriterGone):
                r.next(timeout=30)
            self.assertLess(time.monotonic() - t0, 30)
            self.assertEqual(bytes(r.latest().data), b"z" * size)
        with imgstream.Writer(self.name, 16):  # the stale stream is replaced
            pass

    def test_follow_in_process(self):
        """follow=True goes on with the next writer of the name."""
        w = imgstream.Writer(self.name, 16)
        r = imgstream.Reader(self.name, follow=True)
        w.write(b"1" * 16, 16, 1, imgstream.GRAYSCALE)
        self.assertFalse(r.next(timeout=5).restarted)
        w.close()
        w = imgstream.Writer(self.name, 16)
        w.write(b"2" * 16, 16, 1, imgstream.GRAYSCALE)
        f = r.next(timeout=5)
        self.assertTrue(f.restarted)
        self.assertEqual(bytes(f.data), b"2" * 16)
        w.close()
        r.close()

    def test_stamp_helpers(self):
        b = bytearray(64)
        stamp(b, 7)
        self.assertTrue(intact(b, 7))
        b[30] ^= 1
        self.assertFalse(intact(b, 7))
        self.assertEqual(grayscale_shape(65536), (16384, 4))
        self.assertEqual(struct.unpack_from("<Q", b, 0)[0], 7)


if __name__ == "__main__":
    unittest.main()
