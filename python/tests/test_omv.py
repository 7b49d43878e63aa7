"""Tests of imgstream.omv: the golden files give the answers Go's container
package gives (testdata/golden/manifest.json), and what the Writer writes
reads back whole. Run with Debian's python3 (python3-numpy):

    /usr/bin/python3 -m unittest discover -s python/tests

cmd/imgstream/python_omv_test.go runs them from `go test`, and pairs the
Reader and the Writer with Go's (omv_peer.py).
"""

import datetime
import hashlib
import io
import json
import os
import struct
import sys
import tempfile
import tracemalloc
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from imgstream import omv  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "golden")

# The manifest's error categories, as the Reader's exception classes.
CATEGORIES = {
    "bad_magic": omv.BadMagic,
    "unsupported_version": omv.UnsupportedVersion,
    "truncated_header": omv.TruncatedHeader,
    "truncated_payload": omv.TruncatedPayload,
    "invalid_pixfmt": omv.InvalidPixFormat,
    "invalid_dimensions": omv.InvalidDimensions,
    "invalid_size": omv.InvalidSize,
    "nonzero_padding": omv.NonZeroPadding,
}


def manifest():
    with open(os.path.join(GOLDEN, "manifest.json")) as f:
        return json.load(f)["files"]


def golden_bytes(name):
    with open(os.path.join(GOLDEN, name), "rb") as f:
        return f.read()


def first(name):
    """The first frame of a golden file."""
    with omv.Reader(os.path.join(GOLDEN, name)) as r:
        return next(r)


def sha(b):
    return hashlib.sha256(b).hexdigest()


class Stream(io.RawIOBase):
    """A pipe: bytes that cannot seek, handed out at most step at a time."""

    def __init__(self, data, step=1 << 30):
        self._b = io.BytesIO(data)
        self._step = step

    def readable(self):
        return True

    def readinto(self, buf):
        n = min(len(buf), self._step)
        b = self._b.read(n)
        buf[:len(b)] = b
        return len(b)


# The ways a test hands a file to a Reader.
SOURCES = {
    "path": lambda name: os.path.join(GOLDEN, name),
    "file": lambda name: io.BytesIO(golden_bytes(name)),
    "stream": lambda name: io.BufferedReader(Stream(golden_bytes(name))),
    "onebyte": lambda name: Stream(golden_bytes(name), 1),
}


def expectation(g, strict):
    """(frames, categories, error frame, error offset) as Go's container
    tests expect them: a strict-only error is no error when lenient."""
    if g["valid"]:
        return g["frames"], [], None, 0
    if g.get("strict_only") and not strict:
        return g["lenient"]["frames"], [], None, 0
    return g["frames"], [g["error"]] + g.get("also_acceptable", []), g["error_frame"], g["error_offset"]


class GoldenTest(unittest.TestCase):
    def check_frame(self, g, want, f):
        unit = 1 if g.get("time_unit") == "us" else 1000
        self.assertEqual(f.index, want["index"])
        self.assertEqual(f.offset, want["offset"])
        self.assertEqual(f.elapsed_us, want["elapsed"] * unit)
        self.assertEqual((f.width, f.height), (want["w"], want["h"]))
        self.assertEqual(f.format_name, want["pixfmt"])
        self.assertEqual(f.format, int(want["pixfmt_code"], 16))
        self.assertEqual(f.size, want["size"])
        self.assertEqual(sha(f.data), want["sha256"], "frame %d payload" % want["index"])

    def check_error(self, err, cats, frame, offset):
        if not cats:
            self.assertIsNone(err, "want a clean end")
            return
        self.assertIsNotNone(err, "want one of %s" % cats)
        self.assertTrue(any(isinstance(err, CATEGORIES[c]) for c in cats), "%r is none of %s" % (err, cats))
        self.assertEqual(err.frame, frame, "error frame")
        self.assertEqual(err.offset, offset, "error offset")

    def test_read(self):
        """Every golden file, every source, lenient and strict: the frames
        the manifest lists, their times, then its error, sticky."""
        for g in manifest():
            for strict in (False, True):
                for src, open_ in SOURCES.items():
                    with self.subTest(file=g["name"], source=src, strict=strict):
                        frames, cats, ef, eo = expectation(g, strict)
                        try:
                            r = omv.Reader(open_(g["name"]), strict=strict)
                        except omv.FormatError as e:
                            self.assertEqual(frames, [])
                            self.check_error(e, cats, ef, eo)
                            continue
                        with r:
                            if "version" in g:
                                self.assertEqual(str(r.version), "V" + g["version"])
                            got, err = [], None
                            try:
                                for f in r:
                                    got.append(f)
                            except omv.FormatError as e:
                                err = e
                            self.assertEqual(len(got), len(frames))
                            t = 0
                            for i, (f, want) in enumerate(zip(got, frames)):
                                self.check_frame(g, want, f)
                                if i > 0:  # the first frame's elapsed does not count
                                    t += f.elapsed_us
                                self.assertEqual(f.time_us, t)
                            self.check_error(err, cats, ef, eo)
                            if err is None:
                                self.assertRaises(StopIteration, next, r)
                            else:
                                with self.assertRaises(type(err)) as again:
                                    next(r)
                                self.assertIs(again.exception, err, "errors are sticky")

    def test_index(self):
        """len, [i] (backwards), seek and the damage, from the index."""
        for g in manifest():
            for strict in (False, True):
                with self.subTest(file=g["name"], strict=strict):
                    frames, cats, ef, eo = expectation(g, strict)
                    try:
                        r = omv.Reader(os.path.join(GOLDEN, g["name"]), strict=strict)
                    except omv.FormatError:
                        self.assertIsNone(ef)
                        continue
                    with r:
                        self.assertEqual(len(r), len(frames))
                        self.check_error(r.damage, cats, ef, eo)
                        end = omv.MAGIC_SIZE
                        for want in frames:
                            end = want["data_offset"] + want["size"] + want["padding"]
                        self.assertEqual(r.end, end)
                        for i in reversed(range(len(r))):
                            self.check_frame(g, frames[i], r[i])
                            e = r.entries()[i]
                            self.assertEqual((e.offset, e.size, e.time_us), (frames[i]["offset"], frames[i]["size"],
                                                                             r[i].time_us))
                        if frames:
                            self.check_frame(g, frames[-1], r[-1])
                        self.assertRaises(IndexError, r.__getitem__, len(r))
                        self.assertRaises(IndexError, r.__getitem__, -len(r) - 1)
                        for start in range(len(r) + 1):
                            r.seek(start)
                            self.assertEqual(r.tell(), start)
                            got = []
                            try:
                                for f in r:
                                    got.append(f.index)
                            except omv.FormatError as e:
                                self.assertIs(type(e), type(r.damage))
                            self.assertEqual(got, list(range(start, len(frames))))
                        if frames:
                            r.seek(len(r) - 1)
                            self.assertEqual(next(r).time_us, r[-1].time_us, "times count from frame 0 after a seek")

    def test_index_needs_seek(self):
        with omv.Reader(SOURCES["stream"]("v20_mixed.omv")) as r:
            self.assertRaises(io.UnsupportedOperation, len, r)
            self.assertRaises(omv.NotSeekable, r.__getitem__, 0)
            self.assertEqual(len(list(r)), 8)

    def test_rewrite(self):
        """Writing the frames of every valid file again, with their version
        and elapsed times, gives the canonical files byte for byte."""
        for g in manifest():
            if not g["valid"]:
                continue
            with self.subTest(file=g["name"]):
                orig = golden_bytes(g["name"])
                r = omv.Reader(io.BytesIO(orig))
                out = io.BytesIO()
                with omv.Writer(out, r.version) as w:
                    for f in r:
                        w.write(f.data, format=f.format, width=f.width, height=f.height,
                                elapsed=datetime.timedelta(microseconds=f.elapsed_us))
                    self.assertEqual(w.count, g["count"])
                if g["canonical"]:
                    self.assertEqual(out.getvalue(), orig)
                else:
                    self.assertNotEqual(out.getvalue(), orig)
                again = list(omv.Reader(io.BytesIO(out.getvalue()), strict=True))
                self.assertEqual([sha(f.data) for f in again], [x["sha256"] for x in g["frames"]])


class TruncationTest(unittest.TestCase):
    def test_every_prefix(self):
        """A file cut at any byte keeps its complete frames, and says where
        the cut is, on a file and on a stream."""
        data = golden_bytes("v11_mixed.omv") + b""
        full = list(omv.Reader(io.BytesIO(data)))
        ends = [omv.MAGIC_SIZE] + [f.offset + 16 + f.size + (-f.size & 15) for f in full]
        for n in range(len(data) + 1):
            for src in ("file", "stream"):
                with self.subTest(cut=n, source=src):
                    b = data[:n]
                    f = io.BytesIO(b) if src == "file" else io.BufferedReader(Stream(b, 7))
                    try:
                        r = omv.Reader(f)
                    except omv.TruncatedHeader as e:
                        self.assertLess(n, omv.MAGIC_SIZE)
                        self.assertIsNone(e.frame)
                        continue
                    got, err = [], None
                    try:
                        for fr in r:
                            got.append(fr)
                    except omv.Truncated as e:
                        err = e
                    whole = sum(1 for e in ends[1:] if e <= n)
                    self.assertEqual(len(got), whole)
                    self.assertEqual([x.data for x in got], [x.data for x in full[:whole]])
                    if n in ends:
                        self.assertIsNone(err)
                    else:
                        self.assertIsNotNone(err)
                        self.assertEqual((err.frame, err.offset), (whole, ends[whole]))
                        header_end = ends[whole] + 16
                        want = omv.TruncatedHeader if n < header_end else omv.TruncatedPayload
                        self.assertIsInstance(err, want)
                        self.assertIsInstance(err, EOFError)


class LimitsTest(unittest.TestCase):
    def header(self, size, fmt=omv.JPEG, w=640, h=480):
        return b"OMV IMG STR V2.0" + struct.pack("<5I12x", 0, w, h, fmt, size)

    def test_size_over_limit(self):
        """A 4 GiB JPEG header on a pipe is InvalidSize before any read."""
        for limit in (omv.DEFAULT_MAX_FRAME_SIZE, 1000):
            r = omv.Reader(io.BufferedReader(Stream(self.header(limit + 1) + b"x" * 100)), max_frame_size=limit)
            with self.assertRaises(omv.InvalidSize) as cm:
                next(r)
            self.assertEqual((cm.exception.frame, cm.exception.offset), (0, 16))

    def test_lying_size_costs_what_was_sent(self):
        """A header that claims 60 MB on a pipe that sends 1 KB allocates
        about what was sent, not 60 MB."""
        r = omv.Reader(io.BufferedReader(Stream(self.header(60 << 20) + b"x" * 1000)))
        tracemalloc.start()
        try:
            with self.assertRaises(omv.TruncatedPayload):
                next(r)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        self.assertLess(peak, 1 << 20)

    def test_dimensions(self):
        for w, h in ((0, 1), (1, 0), (32768, 1), (1, 32768)):
            with self.assertRaises(omv.InvalidDimensions):
                next(omv.Reader(io.BytesIO(self.header(0, omv.GRAYSCALE, w, h))))
        w = omv.Writer(io.BytesIO())
        self.assertRaises(omv.InvalidDimensions, w.write, np.zeros((1, 32768), np.uint8))
        self.assertRaises(omv.InvalidDimensions, w.write, b"xx", format=omv.GRAYSCALE, width=0, height=2)


class WriterTest(unittest.TestCase):
    def roundtrip(self, frames, version=omv.V2_0, **kw):
        out = io.BytesIO()
        with omv.Writer(out, version, **kw) as w:
            for a, args in frames:
                w.write(a, **args)
        return out.getvalue(), list(omv.Reader(io.BytesIO(out.getvalue()), strict=True))

    def test_arrays(self):
        """Each array shape and dtype gives its format, and image() gives
        the array back."""
        rng = np.random.default_rng(1)
        h, w = 7, 45
        cases = [
            (rng.integers(0, 256, (h, w), dtype=np.uint8), {}, omv.GRAYSCALE),
            (rng.integers(0, 256, (h, w), dtype=np.uint8), {"format": omv.BAYER_GRBG}, omv.BAYER_GRBG),
            (rng.integers(0, 2, (h, w)).astype(bool), {}, omv.BINARY),
            (rng.integers(0, 65536, (h, w), dtype=np.uint16), {}, omv.RGB565),
            (rng.integers(0, 65536, (h, w)).astype(">u2"), {}, omv.RGB565),
            (rng.integers(0, 256, (h, w, 2), dtype=np.uint8), {}, omv.YUV422),
            (rng.integers(0, 256, (h, w, 2), dtype=np.uint8), {"format": omv.YVU422}, omv.YVU422),
        ]
        for version in (omv.V1_0, omv.V2_0, omv.V2_1):
            for a, args, fmt in cases:
                if version.major == 1 and fmt not in (omv.GRAYSCALE, omv.BINARY, omv.RGB565):
                    continue
                with self.subTest(version=str(version), format=omv.format_name(fmt), dtype=str(a.dtype)):
                    data, frames = self.roundtrip([(a, args)], version)
                    f, = frames
                    self.assertEqual((f.format, f.width, f.height), (fmt, w, h))
                    np.testing.assert_array_equal(f.image(), a)
                    self.assertEqual(len(data) % 16, 0)
                    if fmt == omv.RGB565:
                        stored = data[omv.MAGIC_SIZE + version.header_size:][:4]
                        first = int(a[0, 0]).to_bytes(2, "big" if version == omv.V1_0 else "little")
                        self.assertEqual(stored[:2], first, "V1.0 stores RGB565 byte-reversed")

    def test_colour_arrays(self):
        """(h, w, 3) arrays become RGB565, in the order the caller names."""
        bgr = np.array([[[0, 0, 255], [255, 0, 0], [0, 255, 0], [8, 4, 16]]], dtype=np.uint8)
        want = np.array([[0xF800, 0x001F, 0x07E0, (16 >> 3) << 11 | (4 >> 2) << 5 | 8 >> 3]], dtype=np.uint16)
        _, (f,) = self.roundtrip([(bgr, {"channels": "bgr"})])
        np.testing.assert_array_equal(f.image(), want)
        _, (f,) = self.roundtrip([(bgr[:, :, ::-1], {"channels": "rgb"})])
        np.testing.assert_array_equal(f.image(), want)
        with self.assertRaises(omv.InvalidPixFormat) as cm:
            omv.Writer(io.BytesIO()).write(bgr)
        self.assertIn('channels="bgr"', str(cm.exception))

    def test_jpeg_and_png_bytes(self):
        """JPEG and PNG files go in as they are, their size read from them."""
        j = first("v20_jpeg.omv")
        jpeg = j.data
        png = first("v20_png.omv")
        for version in (omv.V1_1, omv.V2_0):
            with self.subTest(version=str(version)):
                _, frames = self.roundtrip([(jpeg, {})], version)
                self.assertEqual([(f.format, f.width, f.height, f.data) for f in frames], [(omv.JPEG, j.width, j.height, jpeg)])
        _, (f,) = self.roundtrip([(png.data, {})])
        self.assertEqual((f.format, f.width, f.height, f.data), (omv.PNG, png.width, png.height, png.data))
        self.assertRaises(omv.InvalidPixFormat, omv.Writer(io.BytesIO()).write, b"not an image")
        self.assertRaises(omv.InvalidPixFormat, omv.Writer(io.BytesIO(), omv.V1_0).write, png.data)

    def test_invalid_frame_writes_nothing(self):
        out = io.BytesIO()
        w = omv.Writer(out)
        bad = [
            (lambda: w.write(b"abc", format=omv.GRAYSCALE, width=2, height=2), omv.InvalidSize),
            (lambda: w.write(b"", format=omv.JPEG, width=2, height=2), omv.InvalidSize),
            (lambda: w.write(b"abcd", format=0x0C080004, width=2, height=1), omv.InvalidPixFormat),
            (lambda: w.write(np.zeros((2, 2), np.float32)), omv.InvalidPixFormat),
            (lambda: w.write(np.zeros((2, 2), np.uint8), format=omv.RGB565), omv.InvalidPixFormat),
            (lambda: w.write(np.zeros((2, 2), np.uint8), elapsed=-1), omv.InvalidElapsed),
            (lambda: w.write(np.zeros((2, 2), np.uint8), elapsed=50 * 86400), omv.InvalidElapsed),
            (lambda: w.write(np.zeros((2, 2), np.uint8), time=1, elapsed=1), ValueError),
            (lambda: w.write([1, 2]), TypeError),
        ]
        for call, exc in bad:
            self.assertRaises(exc, call)
        self.assertEqual(out.getvalue(), b"OMV IMG STR V2.0")
        w.write(np.zeros((2, 2), np.uint8))
        w.close()
        w.close()
        self.assertRaises(ValueError, w.write, np.zeros((2, 2), np.uint8))
        self.assertEqual(len(list(omv.Reader(io.BytesIO(out.getvalue()), strict=True))), 1)
        self.assertRaises(omv.InvalidPixFormat, omv.Writer(io.BytesIO(), omv.V1_0).write,
                          np.zeros((2, 2), np.uint8), format=omv.BAYER_RGGB)
        self.assertRaises(omv.UnsupportedVersion, omv.Writer, io.BytesIO(), omv.Version(3, 0))

    def test_file_errors_are_sticky(self):
        class Full(io.RawIOBase):
            writes = 0

            def writable(self):
                return True

            def write(self, b):
                Full.writes += 1
                if Full.writes > 1:
                    raise OSError(28, "No space left on device")
                return len(b)

        w = omv.Writer(Full())
        frame = np.zeros((2, 2), np.uint8)
        with self.assertRaises(OSError) as first:
            w.write(frame)
        with self.assertRaises(OSError) as second:
            w.write(frame)
        self.assertIs(first.exception, second.exception)
        self.assertEqual(Full.writes, 2)

    def test_path_and_context(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "a.omv")
            with omv.Writer(path, omv.V2_1, interval=0.5) as w:
                w.write(np.ones((3, 3), np.uint8))
                w.flush()
                with omv.Reader(path) as r:
                    self.assertEqual(len(r), 1)
                w.write(np.ones((3, 3), np.uint8))
            with omv.Reader(path) as r:
                self.assertEqual([f.time for f in r], [0.0, 0.5])

    def test_interval_does_not_drift(self):
        """interval=1/30 in milliseconds: 33, 33, 34, ..., frame n at n/30 s
        rounded, never the sum of rounded intervals."""
        frame = np.zeros((1, 1), np.uint8)
        _, frames = self.roundtrip([(frame, {})] * 301, interval=1 / 30)
        self.assertEqual(frames[0].elapsed_us, 33000)
        for n, f in enumerate(frames):
            self.assertEqual(f.time_us, (n * 1000 + 15) // 30 * 1000)
        self.assertEqual(frames[300].time, 10.0)

    def test_explicit_times(self):
        """time= is since the first frame (whose own time is the origin),
        rounded to the unit; elapsed= is stored; both never drift."""
        frame = np.zeros((1, 1), np.uint8)
        t0 = 1_700_000_000.25
        for version, unit in ((omv.V2_0, 1000), (omv.V2_1, 1)):
            with self.subTest(version=str(version)):
                ts = [t0, t0 + 0.0104, t0 + 0.0208, t0 + 0.0312, t0 + 0.0312]
                _, frames = self.roundtrip([(frame, {"time": t}) for t in ts], version)
                want = [round((t - t0) * 1e6) // unit * unit if unit == 1 else
                        (round((t - t0) * 1e6) + 500) // 1000 * 1000 for t in ts]
                self.assertEqual([f.time_us for f in frames], want)
                self.assertEqual(frames[0].elapsed_us, 0)
                _, frames = self.roundtrip([(frame, {"elapsed": datetime.timedelta(milliseconds=7)}),
                                            (frame, {"elapsed": 0.0125})], version)
                self.assertEqual([f.elapsed_us for f in frames], [7000, 13000 if unit == 1000 else 12500])
                self.assertEqual(frames[1].time_us, frames[1].elapsed_us)
        w = omv.Writer(io.BytesIO())
        w.write(frame, time=10)
        self.assertRaises(omv.InvalidElapsed, w.write, frame, time=9.9)
        self.assertRaises(omv.InvalidElapsed, w.write, frame, time=5)

    def test_wall_clock(self):
        """With no time given, a frame stores the clock's time since the
        previous write (the first, since the Writer was made)."""
        now = [100.0]
        out = io.BytesIO()
        with omv.Writer(out, clock=lambda: now[0]) as w:
            for step in (0.040, 0.033, 0.1):
                now[0] += step
                w.write(np.zeros((1, 1), np.uint8))
        frames = list(omv.Reader(io.BytesIO(out.getvalue())))
        self.assertEqual([f.elapsed_us for f in frames], [40000, 33000, 100000])
        self.assertEqual([f.time_us for f in frames], [0, 33000, 133000])


class RobustnessTest(unittest.TestCase):
    def test_random_damage(self):
        """Golden files with random bytes changed and cut: the Reader raises
        nothing but its FormatError subclasses, reading in order, through
        the index, and to arrays."""
        import random
        rng = random.Random(18)
        files = [golden_bytes(g["name"]) for g in manifest()]
        for _ in range(500):
            d = bytearray(rng.choice(files))
            for _ in range(rng.randint(1, 4)):
                if d:
                    d[rng.randrange(len(d))] = rng.randrange(256)
            if rng.random() < 0.3:
                d = d[:rng.randrange(len(d) + 1)]
            for strict in (False, True):
                try:
                    r = omv.Reader(io.BytesIO(bytes(d)), strict=strict)
                    try:
                        for f in r:
                            if f.format not in (omv.JPEG, omv.PNG):
                                f.image()
                    except omv.FormatError:
                        pass
                    for i in range(len(r)):
                        r[i]
                except omv.FormatError:
                    pass

    def test_without_numpy(self):
        """Without numpy, frames are bytes: reading and writing bytes work,
        and image() says it needs numpy."""
        code = """if True:
            import io, sys
            sys.modules["numpy"] = None
            sys.path.insert(0, sys.argv[1])
            from imgstream import omv
            with omv.Reader(sys.argv[2]) as r:
                frames = list(r)
            try:
                frames[0].image()
            except RuntimeError as e:
                print(e)
            out = io.BytesIO()
            with omv.Writer(out, omv.V1_0) as w:
                for f in frames:
                    w.write(f.data, format=f.format, width=f.width, height=f.height, elapsed=f.elapsed)
            with open(sys.argv[2], "rb") as f:
                print(out.getvalue() == f.read())
        """
        import subprocess
        out = subprocess.run([sys.executable, "-c", code, os.path.join(os.path.dirname(GOLDEN), "..", "python"),
                              os.path.join(GOLDEN, "v10_rgb565.omv")], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout, "Frame.image needs numpy\nTrue\n", out.stderr)


class ImageTest(unittest.TestCase):
    def test_raw_formats_against_golden_renders(self):
        """image() of the golden raw frames gives what their renders show
        (BINARY as bool, RGB565 as its uint16 pixels)."""
        cv2 = _cv2()
        for name, check in (
            ("v20_gray_unittest", lambda img, ref: np.testing.assert_array_equal(img, ref)),
            ("v20_binary", lambda img, ref: np.testing.assert_array_equal(img * 255, ref)),
            ("v20_bayer", lambda img, ref: np.testing.assert_array_equal(img, ref)),
            ("v20_yuv422", lambda img, ref: np.testing.assert_array_equal(img[:, :, 0], ref)),
            ("v20_rgb565_unittest", lambda img, ref: np.testing.assert_array_equal(rgb888(img), ref)),
            ("v10_rgb565", lambda img, ref: np.testing.assert_array_equal(rgb888(img), ref)),
        ):
            with self.subTest(file=name):
                f = first(name + ".omv")
                ref = golden_render(cv2, name)
                check(f.image(), ref)

    def test_jpeg_and_png_decode(self):
        """JPEG and PNG frames decode (with OpenCV here) close to their
        renders, RGB by default, BGR on request."""
        cv2 = _cv2()
        for name, tol in (("v20_jpeg", 3), ("v20_png", 0)):
            with self.subTest(file=name):
                f = first(name + ".omv")
                ref = golden_render(cv2, name)
                img = f.image()
                self.assertEqual(img.shape, ref.shape)
                self.assertLessEqual(np.abs(img.astype(int) - ref.astype(int)).max(), tol)
                if img.ndim == 3:
                    np.testing.assert_array_equal(f.image(bgr=True), img[:, :, ::-1])

    def test_pillow_path(self):
        """Without OpenCV, Pillow decodes: its modes come out as L, RGB or
        RGBA arrays (a palette image converted), BGR on request. Pillow is
        not a test dependency, so a stand-in plays it, from known pixels."""
        import types
        rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
        opened = []

        class Img:
            def __init__(self, mode, info=None):
                self.mode, self.info = mode, info or {}

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                opened.remove(self)

            def convert(self, mode):
                return Img(mode)

            def __array__(self, dtype=None, copy=None):
                return rgb if self.mode == "RGB" else rgb[:, :, 0]

        def open_(f, mode="P"):
            self.assertEqual(f.read(), b"file bytes")
            im = Img(mode)
            opened.append(im)
            return im

        image = types.SimpleNamespace(open=open_)
        pil = types.SimpleNamespace(Image=image)
        f = omv.Frame(0, 16, 3, 2, omv.PNG, 0, 0, b"file bytes")
        with mock.patch.dict(sys.modules, {"cv2": None, "PIL": pil, "PIL.Image": image}):
            np.testing.assert_array_equal(f.image(), rgb)
            np.testing.assert_array_equal(f.image(bgr=True), rgb[:, :, ::-1])
            image.open = lambda b: open_(b, "L")
            np.testing.assert_array_equal(f.image(), rgb[:, :, 0])
        self.assertEqual(opened, [], "every image Pillow opened is closed")

    def test_no_decoder(self):
        """With neither OpenCV nor Pillow, decoding says what to install."""
        f = first("v20_jpeg.omv")
        with mock.patch.dict(sys.modules, {"cv2": None, "PIL": None, "PIL.Image": None}):
            with self.assertRaises(omv.NoDecoder) as cm:
                f.image()
        self.assertIn("OpenCV", str(cm.exception))
        self.assertIn("Pillow", str(cm.exception))
        self.assertIsInstance(cm.exception, ImportError)


def _cv2():
    """OpenCV, which reads the golden renders (PNG files)."""
    try:
        import cv2
    except ImportError:  # pragma: no cover - Debian's python3-opencv is a test dependency
        raise unittest.SkipTest("python3-opencv is needed to read the golden renders")
    return cv2


def golden_render(cv2, name):
    img = cv2.imread(os.path.join(GOLDEN, name + ".frame0.png"), cv2.IMREAD_UNCHANGED)
    return img[:, :, ::-1] if img.ndim == 3 else img


def rgb888(v):
    """The manifest's rgb565_to_rgb888 rule."""
    v = v.astype(np.uint32)
    r5, g6, b5 = v >> 11, (v >> 5) & 63, v & 31
    return np.stack([(r5 << 3) | (r5 >> 2), (g6 << 2) | (g6 >> 4), (b5 << 3) | (b5 >> 2)], axis=-1).astype(np.uint8)


if __name__ == "__main__":
    unittest.main()
