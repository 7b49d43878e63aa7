"""OpenMV's OMV IMG STR recordings: read and write them.

The files OpenMV cameras record with ``image.ImageIO(path, "w")`` and
OpenMV IDE plays back, as imgstream's Go package ``container`` reads and
writes them, with the same answers: every version (V1.0, V1.1, V2.0, V2.1),
every pixel format, OpenMV's exact format codes, the same limits, and damage
reported with the frame and the byte offset.

Reading a recording::

    from imgstream import omv

    with omv.Reader("recording.omv") as r:
        for frame in r:                     # in order, with their times
            print(frame.index, frame.time, frame.width, frame.height,
                  frame.format_name, len(frame.data))
            img = frame.image()             # a numpy array (JPEG decoded)

``len(r)``, ``r[i]`` and ``r.seek(i)`` give random access through an index
of the frame headers. Writing one::

    with omv.Writer("out.omv", interval=1 / 30) as w:
        w.write(gray)                       # a (h, w) uint8 array: GRAYSCALE
        w.write(jpeg_bytes)                 # a JPEG file's bytes, as they are

Format: a 16-byte magic ``OMV IMG STR V<major>.<minor>``, then one chunk per
frame (a header, the payload, zero bytes up to a multiple of 16), no index
and no trailer. All integers are little-endian uint32::

    V2.x header (32 bytes)                   V1.x header (16 bytes)
     0 elapsed  since the previous frame      0 elapsed (ms)
     4 width                                  4 width
     8 height                                 8 height
    12 pixfmt   OpenMV pixel-format code     12 bpp: 0 binary, 1 grayscale,
    16 size     payload bytes of JPEG/PNG        2 RGB565, 3 Bayer BGGR,
    20 12 reserved bytes, zero                   >= 4 JPEG of that many bytes

Elapsed times are milliseconds, microseconds in V2.1. V1.0 stored RGB565
byte-reversed: a Reader hands RGB565 out little-endian whatever the version,
and a V1.0 Writer reverses it back.

Limits (as the Go package's): width and height are 1..:data:`MAX_DIMENSION`;
a payload over ``max_frame_size`` (:data:`DEFAULT_MAX_FRAME_SIZE`, 64 MiB)
is :class:`InvalidSize`; on a seekable file a payload that runs past the end
is reported at its header before anything is read, and on a pipe a payload
is read in growing steps, so a lying size field never makes a Reader
allocate more than about twice the bytes actually there.

Pure Python; numpy is used when it is installed (``Frame.image()`` and
writing arrays need it), OpenCV or Pillow to decode JPEG and PNG frames.
"""

from __future__ import annotations

import datetime
import io
import os
import struct
import time as _time
from typing import Any, BinaryIO, Callable, Iterator, List, NamedTuple, Optional, Union

from .shm import (
    BAYER_BGGR,
    BAYER_GBRG,
    BAYER_GRBG,
    BAYER_RGGB,
    BINARY,
    GRAYSCALE,
    JPEG,
    PNG,
    RGB565,
    YUV422,
    YVU422,
    Error,
)

try:  # numpy is optional: frames become arrays when it is installed.
    import numpy as _np
except ImportError:  # pragma: no cover - exercised where numpy is missing
    _np = None

__all__ = [
    "BAYER_BGGR", "BAYER_GBRG", "BAYER_GRBG", "BAYER_RGGB", "BINARY", "GRAYSCALE",
    "JPEG", "PNG", "RGB565", "YUV422", "YVU422",
    "V1_0", "V1_1", "V2_0", "V2_1", "Version",
    "MAGIC_SIZE", "MAX_DIMENSION", "DEFAULT_MAX_FRAME_SIZE",
    "Error", "FormatError", "BadMagic", "UnsupportedVersion", "Truncated",
    "TruncatedHeader", "TruncatedPayload", "InvalidPixFormat", "InvalidDimensions",
    "InvalidSize", "NonZeroPadding", "InvalidElapsed", "NotSeekable", "NoDecoder",
    "Entry", "Frame", "Reader", "Writer", "format_name", "payload_size",
]


class Version(NamedTuple):
    """A stream's version, as its magic spells it: ``str(V2_0) == "V2.0"``.
    It compares as the tuple ``(major, minor)``."""

    major: int
    minor: int

    def __str__(self) -> str:
        return "V%d.%d" % (self.major, self.minor)

    @property
    def header_size(self) -> int:
        """Bytes of a frame header: 16 in V1.x, 32 in V2.x."""
        return 16 if self.major == 1 else 32

    @property
    def time_unit_us(self) -> int:
        """Microseconds in one unit of the elapsed field: 1 in V2.1, else 1000."""
        return 1 if self == V2_1 else 1000


V1_0 = Version(1, 0)  #: old firmware; RGB565 stored byte-reversed
V1_1 = Version(1, 1)  #: old firmware
V2_0 = Version(2, 0)  #: current firmware (the default): milliseconds
V2_1 = Version(2, 1)  #: read by OpenMV IDE: microseconds
_VERSIONS = (V1_0, V1_1, V2_0, V2_1)

MAGIC_SIZE = 16
"""Length of the magic that starts every stream."""
_PREFIX = b"OMV IMG STR V"

MAX_DIMENSION = 32767
"""The largest width or height: OpenMV IDE rejects larger frames."""

DEFAULT_MAX_FRAME_SIZE = 64 << 20
"""The largest payload a Reader accepts by default: 64 MiB, twice a
4096x4096 RGB565 frame, so a corrupt size field cannot make a program
allocate gigabytes."""

_NAMES = {
    BINARY: "BINARY", GRAYSCALE: "GRAYSCALE", RGB565: "RGB565",
    BAYER_BGGR: "BAYER_BGGR", BAYER_GBRG: "BAYER_GBRG", BAYER_GRBG: "BAYER_GRBG",
    BAYER_RGGB: "BAYER_RGGB", YUV422: "YUV422", YVU422: "YVU422", JPEG: "JPEG",
    PNG: "PNG",
}
_BAYER = (BAYER_BGGR, BAYER_GBRG, BAYER_GRBG, BAYER_RGGB)
_V1_CODES = {BINARY: 0, GRAYSCALE: 1, RGB565: 2, BAYER_BGGR: 3}
_V1_FORMATS = {0: BINARY, 1: GRAYSCALE, 2: RGB565, 3: BAYER_BGGR}
_GROW_STEP = 64 << 10
_MAX_ELAPSED = 0xFFFFFFFF


def format_name(fmt: int) -> str:
    """OpenMV's name of a pixel-format code, such as ``"RGB565"``, or the
    code in hexadecimal (as Go's ``PixFormat.String``)."""
    return _NAMES.get(fmt, "PixFormat(0x%08x)" % fmt)


def payload_size(fmt: int, width: int, height: int) -> Optional[int]:
    """Payload bytes of an uncompressed frame; None for JPEG and PNG (their
    size is in the header) and for formats a stream cannot carry."""
    if fmt not in _NAMES or fmt in (JPEG, PNG):
        return None
    if fmt == BINARY:
        return (width + 31) // 32 * 4 * height
    return width * height * (fmt & 0xFF)


def _padding(size: int) -> int:
    return -size & 15


# --- errors --------------------------------------------------------------


class FormatError(Error, ValueError):
    """A stream that is not valid, or a frame that cannot be written.

    Raised by a Reader after every complete frame before the damage was
    delivered. ``frame`` is the damaged frame's index (None when the magic
    is wrong) and ``offset`` the byte offset of its header from the start
    of the stream (0 for the magic), the same as Go's ``container.FrameError``:
    truncating a cut-off file at ``offset`` repairs it. The subclasses say
    what is wrong, as Go's sentinel errors do."""

    def __init__(self, message: str, frame: Optional[int] = None, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.frame = frame
        self.offset = offset

    def __str__(self) -> str:
        if self.frame is None:
            return self.message
        return "frame %d at offset %d: %s" % (self.frame, self.offset, self.message)


class BadMagic(FormatError):
    """The stream does not start with ``OMV IMG STR V<digit>.<digit>``."""


class UnsupportedVersion(FormatError):
    """The magic names a version other than 1.0, 1.1, 2.0 and 2.1."""


class Truncated(FormatError, EOFError):
    """The stream ends inside the magic, a header or a payload: a file cut
    off by a power loss or a killed recorder."""


class TruncatedHeader(Truncated):
    """The stream ends inside the magic or inside a frame header."""


class TruncatedPayload(Truncated):
    """The stream ends inside a frame's payload or its padding, or a size
    field runs past the end of the file."""


class InvalidPixFormat(FormatError):
    """A pixel format a stream (or this version) cannot carry."""


class InvalidDimensions(FormatError):
    """A width or height of 0 or over :data:`MAX_DIMENSION`."""


class InvalidSize(FormatError):
    """A JPEG or PNG frame of 0 bytes, a frame over the reader's limit, or
    (writing) a payload that does not match the frame's dimensions."""


class NonZeroPadding(FormatError):
    """A reserved header byte or a padding byte is not zero: only a strict
    Reader reports it (the firmware ignores them)."""


class InvalidElapsed(FormatError):
    """(Writing) a time going backwards, or an interval that does not fit
    the stream's 32-bit time field (49.7 days in ms, 71.6 minutes in µs)."""


class NotSeekable(Error, io.UnsupportedOperation, TypeError):
    """``len``, ``[i]``, :meth:`Reader.seek` and the index of a Reader of
    a stream that cannot seek (a pipe). It is a TypeError, as ``len`` of a
    generator, so that ``list(reader)`` of a pipe works."""


class NoDecoder(Error, ImportError):
    """Neither OpenCV (``cv2``) nor Pillow (``PIL``) is installed, so a
    JPEG or PNG frame cannot be decoded."""


# --- frames --------------------------------------------------------------


class Entry(NamedTuple):
    """One frame of a Reader's index: where it is and what it holds, without
    its payload. Times are integer microseconds: ``elapsed_us`` as stored
    (since the previous frame; for the first, since the recording was
    opened), ``time_us`` since the first frame (the first frame's elapsed
    does not count)."""

    index: int
    offset: int
    width: int
    height: int
    format: int
    size: int
    elapsed_us: int
    time_us: int


class Frame:
    """One frame: its header, its times and its payload.

    ``index`` counts from 0; ``offset`` is the byte offset of its header.
    ``format`` is OpenMV's pixel-format code (``format_name`` its name),
    ``data`` the payload bytes (RGB565 little-endian whatever the version).
    ``elapsed`` is the interval stored with the frame and ``time`` the time
    since the first frame, in seconds (floats); ``elapsed_us`` and
    ``time_us`` are the same as exact integer microseconds.
    """

    __slots__ = ("index", "offset", "width", "height", "format", "elapsed_us", "time_us", "data")

    def __init__(self, index: int, offset: int, width: int, height: int, fmt: int,
                 elapsed_us: int, time_us: int, data: bytes):
        self.index = index
        self.offset = offset
        self.width = width
        self.height = height
        self.format = fmt
        self.elapsed_us = elapsed_us
        self.time_us = time_us
        self.data = data

    @property
    def size(self) -> int:
        """Payload bytes."""
        return len(self.data)

    @property
    def format_name(self) -> str:
        """The pixel format's name, such as ``"JPEG"``."""
        return format_name(self.format)

    @property
    def elapsed(self) -> float:
        """Seconds since the previous frame, as stored."""
        return self.elapsed_us / 1e6

    @property
    def time(self) -> float:
        """Seconds since the first frame."""
        return self.time_us / 1e6

    def image(self, *, bgr: bool = False) -> Any:
        """The frame as a numpy array (numpy is needed):

        - GRAYSCALE and the Bayer mosaics: (height, width) uint8, as stored
          (no demosaicing);
        - RGB565: (height, width) uint16, the little-endian pixels;
        - BINARY: (height, width) bool;
        - YUV422 and YVU422: (height, width, 2) uint8, as stored;
        - JPEG and PNG: decoded with OpenCV (``cv2``) when it is installed,
          else with Pillow (``PIL``): (height, width, 3) uint8 in RGB order
          (BGR, OpenCV's, with ``bgr=True``), (height, width, 4) with
          alpha, (height, width) for grayscale. With neither installed it
          raises :class:`NoDecoder`.

        Raw arrays share the frame's bytes and are read-only: ``.copy()``
        one to change it.
        """
        if _np is None:
            raise RuntimeError("Frame.image needs numpy")
        f, h, w = self.format, self.height, self.width
        if f in (JPEG, PNG):
            return _decode(self.data, bgr)
        a = _np.frombuffer(self.data, dtype=_np.uint8)
        if f in (GRAYSCALE,) + _BAYER:
            return a.reshape(h, w)
        if f == RGB565:
            return a.view("<u2").reshape(h, w)
        if f in (YUV422, YVU422):
            return a.reshape(h, w, 2)
        if f == BINARY:
            bits = _np.unpackbits(a.reshape(h, -1), axis=1, bitorder="little")
            return bits[:, :w].astype(bool)
        raise InvalidPixFormat("no image for %s" % format_name(f))

    def __repr__(self) -> str:
        return "Frame(index=%d, %dx%d %s, %d bytes, time=%.6f)" % (
            self.index, self.width, self.height, self.format_name, self.size, self.time)


def _decode(data: bytes, bgr: bool) -> Any:
    """Decode a JPEG or PNG file with OpenCV, else Pillow."""
    try:
        import cv2
    except ImportError:
        cv2 = None
    if cv2 is not None:
        img = cv2.imdecode(_np.frombuffer(data, dtype=_np.uint8), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise FormatError("OpenCV cannot decode the frame")
        if img.ndim == 3 and not bgr:
            img = _np.ascontiguousarray(img[:, :, [2, 1, 0] + list(range(3, img.shape[2]))])
        return img
    try:
        from PIL import Image
    except ImportError:
        raise NoDecoder("decoding a JPEG or PNG frame needs OpenCV (python3-opencv, "
                        "pip install opencv-python) or Pillow (python3-pil, pip install Pillow)") from None
    with Image.open(io.BytesIO(data)) as im:
        if im.mode not in ("L", "RGB", "RGBA"):
            im = im.convert("RGBA" if "A" in im.mode or "transparency" in im.info else "RGB")
        img = _np.asarray(im)
    if img.ndim == 3 and bgr:
        img = _np.ascontiguousarray(img[:, :, [2, 1, 0] + list(range(3, img.shape[2]))])
    return img


# --- reading -------------------------------------------------------------


def _parse_magic(b: bytes) -> Version:
    """Check the bytes of magic that were read, as Go does: a wrong byte
    present is a bad magic even in a short file."""
    for i, c in enumerate(b):
        if i < len(_PREFIX):
            ok = c == _PREFIX[i]
        elif i in (13, 15):
            ok = 0x30 <= c <= 0x39
        else:
            ok = c == 0x2E
        if not ok:
            raise BadMagic("not an OMV IMG STR stream: %r" % bytes(b))
    if len(b) < MAGIC_SIZE:
        raise TruncatedHeader("stream ends inside the magic (%d bytes)" % len(b))
    v = Version(b[13] - 0x30, b[15] - 0x30)
    if v not in _VERSIONS:
        raise UnsupportedVersion("unsupported version %s" % (v,))
    return v


def _parse_header(v: Version, b: bytes) -> tuple:
    """Parse a frame header with Go's checks, in Go's order: return
    (elapsed units, width, height, format, size)."""
    if v.major == 1:
        elapsed, w, h, code = struct.unpack_from("<4I", b)
        fmt = _V1_FORMATS.get(code, JPEG)
        size = code if fmt == JPEG else 0
    else:
        elapsed, w, h, fmt, size = struct.unpack_from("<5I", b)
        if fmt not in _NAMES:
            raise InvalidPixFormat("invalid pixel format %s" % format_name(fmt))
    if not (1 <= w <= MAX_DIMENSION and 1 <= h <= MAX_DIMENSION):
        raise InvalidDimensions("invalid dimensions %dx%d" % (w, h))
    n = payload_size(fmt, w, h)
    if n is not None:
        size = n
    elif size == 0:
        raise InvalidSize("a %s frame of 0 bytes" % format_name(fmt))
    return elapsed, w, h, fmt, size


def _swap16(b: bytes) -> bytes:
    """Swap the bytes of each 16-bit word (V1.0's RGB565)."""
    out = bytearray(len(b))
    out[0::2] = b[1::2]
    out[1::2] = b[0::2]
    return bytes(out)


class Reader:
    """Reads an OMV IMG STR recording: ``file`` is a path or a binary file
    object, such as an open file or ``sys.stdin.buffer`` (random access
    needs one that can seek). The magic is read at once: :class:`BadMagic`,
    :class:`UnsupportedVersion` or :class:`TruncatedHeader` if it is wrong.

    Iterating yields the frames in order from the current position (see
    :meth:`seek`), each only once all of it is there; on damage it raises a
    :class:`FormatError` subclass carrying ``frame`` and ``offset``, after
    every complete frame before it. A clean end of the file ends the
    iteration.

    ``len(r)``, ``r[i]`` (negative ``i`` counts from the end),
    :meth:`entries` and :meth:`seek` scan the frame headers once into an
    index, seeking over payloads. A damaged file's index holds the complete
    frames before the damage, and :attr:`damage` is the error (None for a
    sound file): a cut-off file never loses its good frames. The index is
    of the file as it was when first needed (a recording still growing
    gains no frames in it; iterating sees them).

    ``version`` is the stream's :class:`Version`. ``strict`` makes non-zero reserved and padding bytes an error
    (:class:`NonZeroPadding`), as Go's ``Reader.Strict`` and ``imgstream
    verify`` (a strict index reads the padding too); by default the Reader
    is as lenient as the firmware.
    ``max_frame_size`` bounds a payload (:class:`InvalidSize` beyond).

    A Reader is a context manager; it closes the file only if it opened it.
    It is not safe for use from several threads at once.
    """

    def __init__(self, file: Union[str, "os.PathLike[str]", BinaryIO], *, strict: bool = False,
                 max_frame_size: int = DEFAULT_MAX_FRAME_SIZE):
        self.strict = strict
        self.max_frame_size = max_frame_size
        self._own = isinstance(file, (str, bytes, os.PathLike))
        self._f: BinaryIO = open(file, "rb") if self._own else file  # type: ignore[arg-type]
        self._start = 0
        self._seekable = False
        try:
            if self._f.seekable():
                self._start = self._f.tell()
                self._seekable = True
        except (AttributeError, OSError):
            pass
        self._index: Optional[List[Entry]] = None
        self._damage: Optional[FormatError] = None
        self._end = 0  # offset after the last complete frame of the index
        try:
            magic = self._read_exact(MAGIC_SIZE)
            self.version = _parse_magic(magic)
        except BaseException:
            self.close()
            raise
        # The sequential position: the next frame's index, offset, time.
        self._pos = MAGIC_SIZE
        self._next = 0
        self._time_us = 0
        self._err: Optional[FormatError] = None
        self._done = False

    # --- plumbing

    def _read_exact(self, n: int) -> bytes:
        """Read up to n bytes, fewer only at the end of the stream."""
        parts = []
        got = 0
        while got < n:
            b = self._f.read(n - got)
            if not b:
                break
            parts.append(b)
            got += len(b)
        return b"".join(parts)

    def _pread(self, off: int, n: int) -> bytes:
        self._f.seek(self._start + off)
        return self._read_exact(n)

    def _length(self) -> int:
        return self._f.seek(0, io.SEEK_END) - self._start

    def close(self) -> None:
        """Close the file if the Reader opened it."""
        if self._own and self._f is not None:
            self._f.close()

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def time_unit(self) -> float:
        """Seconds in one unit of the stored elapsed field: 0.001, or
        0.000001 in V2.1."""
        return self.version.time_unit_us / 1e6

    # --- the walk over headers, shared by iteration and the index

    def _header(self, index: int, off: int, hdr: bytes, avail: Optional[int]) -> tuple:
        """Check frame index's header, read at off: return the parsed fields,
        or raise the error with the frame and offset. avail is the number of
        bytes after the header on a seekable file (None on a stream)."""
        v = self.version
        try:
            if len(hdr) < v.header_size:
                raise TruncatedHeader("stream ends inside a header")
            fields = _parse_header(v, hdr)
            if self.strict and v.major == 2 and any(hdr[20:32]):
                raise NonZeroPadding("non-zero padding: reserved header bytes %s" % hdr[20:32].hex(" "))
            size = fields[4]
            if avail is not None and size + _padding(size) > avail:
                raise TruncatedPayload("stream ends inside a frame: %d payload bytes declared, %d left"
                                       % (size, avail))
            if size > self.max_frame_size:
                raise InvalidSize("invalid frame size: %d bytes, over the limit of %d"
                                  % (size, self.max_frame_size))
        except FormatError as e:
            e.frame, e.offset = index, off
            raise
        return fields

    def _check_padding(self, index: int, off: int, pad: bytes, want: int) -> None:
        if len(pad) < want:
            raise TruncatedPayload("stream ends inside a frame", index, off)
        if self.strict and any(pad):
            raise NonZeroPadding("non-zero padding: alignment padding %s" % pad.hex(" "), index, off)

    def _build_index(self) -> List[Entry]:
        if self._index is not None:
            return self._index
        if not self._seekable:
            raise NotSeekable("random access needs a file that can seek")
        v = self.version
        hs = v.header_size
        entries: List[Entry] = []
        off, t = MAGIC_SIZE, 0
        length = self._length()
        hdr = self._pread(off, hs)
        while True:
            if not hdr:
                break
            try:
                elapsed, w, h, fmt, size = self._header(len(entries), off, hdr, length - off - hs)
                pad = _padding(size)
                nxt = off + hs + size + pad
                if self.strict and pad:
                    b = self._pread(off + hs + size, pad + hs)
                    self._check_padding(len(entries), off, b[:pad], pad)
                    hdr = b[pad:]
                else:
                    hdr = self._pread(nxt, hs)
            except FormatError as e:
                self._damage = e
                break
            e_us = elapsed * v.time_unit_us
            if entries:
                t += e_us
            entries.append(Entry(len(entries), off, w, h, fmt, size, e_us, t))
            off = nxt
        self._end = off
        self._index = entries
        return entries

    def entries(self) -> List[Entry]:
        """The index: one :class:`Entry` per complete frame, scanning the
        headers on first use (payloads are skipped, not read)."""
        return list(self._build_index())

    @property
    def damage(self) -> Optional[FormatError]:
        """The error that ended the index (None if the file is sound),
        carrying ``frame`` and ``offset``. Building the index, if needed,
        to answer."""
        self._build_index()
        return self._damage

    @property
    def end(self) -> int:
        """The byte offset just past the last complete frame: the length a
        damaged file is cut back to when it is repaired."""
        self._build_index()
        return self._end

    def __len__(self) -> int:
        return len(self._build_index())

    def __getitem__(self, i: int) -> Frame:
        entries = self._build_index()
        if not isinstance(i, int):
            raise TypeError("frame indices are integers")
        if i < 0:
            i += len(entries)
        if not 0 <= i < len(entries):
            raise IndexError("frame %d of %d" % (i, len(entries)))
        e = entries[i]
        data = self._pread(e.offset + self.version.header_size, e.size)
        if len(data) < e.size:
            raise TruncatedPayload("stream ends inside a frame (the file shrank)", e.index, e.offset)
        if self.version == V1_0 and e.format == RGB565:
            data = _swap16(data)
        return Frame(e.index, e.offset, e.width, e.height, e.format, e.elapsed_us, e.time_us, data)

    def seek(self, i: int) -> None:
        """Make iteration go on from frame i (0 <= i <= len). Times stay
        counted from frame 0."""
        entries = self._build_index()
        if not 0 <= i <= len(entries):
            raise IndexError("frame %d of %d" % (i, len(entries)))
        self._next = i
        # _time_us is the time of the frame before the next one.
        if i < len(entries):
            e = entries[i]
            self._pos, self._time_us = e.offset, e.time_us - (e.elapsed_us if i > 0 else 0)
        else:
            self._pos = self._end
            self._time_us = entries[-1].time_us if entries else 0
        self._err, self._done = None, False

    def tell(self) -> int:
        """The index of the frame iteration returns next."""
        return self._next

    # --- iteration

    def __iter__(self) -> Iterator[Frame]:
        return self

    def __next__(self) -> Frame:
        if self._err is not None:
            raise self._err
        if self._done:
            raise StopIteration
        try:
            frame = self._read_frame()
        except FormatError as e:
            self._err = e
            raise
        if frame is None:
            self._done = True
            raise StopIteration
        return frame

    def _read_frame(self) -> Optional[Frame]:
        v = self.version
        hs = v.header_size
        index, off = self._next, self._pos
        if self._seekable:
            self._f.seek(self._start + off)
        hdr = self._read_exact(hs)
        if not hdr:
            return None
        avail = None
        if self._seekable:
            avail = self._length() - off - hs
            self._f.seek(self._start + off + hs)
        elapsed, w, h, fmt, size = self._header(index, off, hdr, avail)
        pad = _padding(size)
        data = self._read_payload(size)
        if len(data) < size:
            raise TruncatedPayload("stream ends inside a frame", index, off)
        self._check_padding(index, off, self._read_exact(pad), pad)
        if v == V1_0 and fmt == RGB565:
            data = _swap16(data)
        e_us = elapsed * v.time_unit_us
        if index > 0:
            self._time_us += e_us
        self._pos = off + hs + size + pad
        self._next += 1
        return Frame(index, off, w, h, fmt, e_us, self._time_us, data)

    def _read_payload(self, size: int) -> bytes:
        """Read size bytes; on a stream, in steps that double what arrived,
        so a lying size costs memory only for bytes actually sent."""
        if self._seekable:
            return self._read_exact(size)
        parts: List[bytes] = []
        got = 0
        while got < size:
            b = self._read_exact(min(size - got, max(got, _GROW_STEP)))
            if not b:
                break
            parts.append(b)
            got += len(b)
        return b"".join(parts)


# --- writing -------------------------------------------------------------


def _jpeg_size(data: bytes) -> Optional[tuple]:
    """The (width, height) in a JPEG file's frame header (SOFn), or None."""
    if data[:2] != b"\xff\xd8":
        return None
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        m = data[i + 1]
        if m == 0xFF:  # fill byte
            i += 1
            continue
        if m in (0x01,) or 0xD0 <= m <= 0xD7:
            i += 2
            continue
        seg = struct.unpack_from(">H", data, i + 2)[0]
        if seg < 2:
            return None
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
            if i + 9 > n:
                return None
            h, w = struct.unpack_from(">HH", data, i + 5)
            return w, h
        if m == 0xDA:  # start of scan before any frame header
            return None
        i += 2 + seg
    return None


def _png_size(data: bytes) -> Optional[tuple]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    return struct.unpack_from(">II", data, 16)


def _to_us(t: Union[float, int, datetime.timedelta]) -> int:
    """Seconds (or a timedelta) as integer microseconds, to the nearest."""
    if isinstance(t, datetime.timedelta):
        return t // datetime.timedelta(microseconds=1)
    return round(t * 1_000_000)


class Writer:
    """Writes an OMV IMG STR recording to ``file``, a path (created or
    truncated, and closed by :meth:`close`) or a binary file object (left
    open). ``version`` is :data:`V2_0` (the default: what current firmware
    writes, millisecond times), :data:`V2_1` (microseconds; read by OpenMV
    IDE, not the firmware), or :data:`V1_0`/:data:`V1_1` for old readers
    (no PNG, YUV or Bayer other than BGGR). Files come out as Go's
    ``container.Writer`` writes them, byte for byte: zero reserved and
    padding bytes, a size field of 0 for raw formats.

    :meth:`write` takes a frame as a numpy array or as bytes:

    ============================== ========================================
    (h, w) uint8                   GRAYSCALE, or a Bayer mosaic with
                                   ``format=BAYER_...``
    (h, w) bool                    BINARY (packed 32 pixels to a word)
    (h, w) uint16                  RGB565 (``RRRRRGGGGGGBBBBB`` values)
    (h, w, 2) uint8                YUV422 (``format=YVU422`` for YVU)
    (h, w, 3) uint8                RGB565, converted: pass ``channels="bgr"``
                                   (OpenCV) or ``"rgb"`` (numpy, Pillow)
    JPEG or PNG file's bytes       as they are; the size is read from them
    other bytes                    the payload of ``format``, with ``width``
                                   and ``height``
    ============================== ========================================

    Times: each frame stores its interval from the previous one. By default
    it is the wall-clock time since the previous write (for the first frame,
    since the Writer was made), as the firmware records. ``interval`` (in
    seconds) gives every frame that interval; per frame, ``time=`` is the
    frame's time in seconds since the first frame (the first frame's own
    ``time``, if given, is the origin) and ``elapsed=`` the interval since
    the previous frame. Times may be floats or ``datetime.timedelta``.
    ``clock`` (seconds, ``time.monotonic`` by default) is the wall clock,
    for tests. Intervals are rounded to the version's unit so that rounding never adds
    up: frame n lands on its time rounded, whatever was rounded before.

    A frame that cannot be written raises (:class:`InvalidPixFormat`,
    :class:`InvalidDimensions`, :class:`InvalidSize`,
    :class:`InvalidElapsed`) and writes nothing; the Writer goes on. An
    error from the file is kept and raised by every later call.
    :meth:`flush` pushes Python's buffers to the file; :meth:`close`
    flushes, and is enough. A Writer is a context manager; it is not safe
    for use from several threads at once.
    """

    def __init__(self, file: Union[str, "os.PathLike[str]", BinaryIO], version: Version = V2_0, *,
                 interval: Optional[Union[float, datetime.timedelta]] = None,
                 clock: Callable[[], float] = _time.monotonic):
        if version not in _VERSIONS:
            raise UnsupportedVersion("unsupported version %s" % (version,))
        self.version = Version(*version)
        self._interval_us = None if interval is None else _to_us(interval)
        if self._interval_us is not None and self._interval_us < 0:
            raise InvalidElapsed("a negative interval")
        self._own = isinstance(file, (str, bytes, os.PathLike))
        self._f: Optional[BinaryIO] = open(file, "wb") if self._own else file  # type: ignore[arg-type]
        self._err: Optional[BaseException] = None
        self._count = 0
        self._origin_us = 0  # the first frame's time, for time=
        self._time_units = 0  # the time of the last frame written, in units
        self._clock = clock
        self._last_clock = clock()
        try:
            self._write_raw(b"OMV IMG STR " + str(self.version).encode())
        except BaseException:
            if self._own and self._f is not None:
                self._f.close()
            raise

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def count(self) -> int:
        """Frames written."""
        return self._count

    def _write_raw(self, b: bytes) -> None:
        if self._f is None:
            raise ValueError("write to a closed Writer")
        if self._err is not None:
            raise self._err
        try:
            self._f.write(b)
        except BaseException as e:
            self._err = e
            raise

    def flush(self) -> None:
        """Push buffered bytes to the file (not to the disk: for that, call
        ``os.fsync`` on the file after flushing)."""
        if self._f is None:
            return
        if self._err is not None:
            raise self._err
        self._f.flush()

    def close(self) -> None:
        """Flush, and close the file if the Writer opened it. Idempotent;
        writing afterwards raises ValueError."""
        f, self._f = self._f, None
        if f is None:
            return
        try:
            if self._err is None:
                f.flush()
        finally:
            if self._own:
                f.close()

    def write(self, frame: Any, *, format: Optional[int] = None, width: Optional[int] = None,
              height: Optional[int] = None, channels: Optional[str] = None,
              time: Optional[Union[float, datetime.timedelta]] = None,
              elapsed: Optional[Union[float, datetime.timedelta]] = None) -> None:
        """Write one frame (see the class's table for what ``frame`` may
        be, and for ``time`` and ``elapsed``, of which one at most)."""
        if self._f is None:
            raise ValueError("write to a closed Writer")
        if self._err is not None:
            raise self._err
        fmt, w, h, payload = self._payload(frame, format, width, height, channels)
        v = self.version
        size = len(payload)
        want = payload_size(fmt, w, h)
        if fmt not in _NAMES:
            raise InvalidPixFormat("invalid pixel format %s" % format_name(fmt))
        if not (1 <= w <= MAX_DIMENSION and 1 <= h <= MAX_DIMENSION):
            raise InvalidDimensions("invalid dimensions %dx%d" % (w, h))
        if want is not None and size != want:
            raise InvalidSize("%d bytes for a %dx%d %s frame, want %d" % (size, w, h, format_name(fmt), want))
        if want is None and not 0 < size <= 0xFFFFFFFF:
            raise InvalidSize("%d bytes of %s" % (size, format_name(fmt)))
        if v.major == 1:
            if fmt == JPEG:
                if size < 4:
                    raise InvalidSize("a %d-byte JPEG frame cannot be stored in a V1.x stream" % size)
                code = size
            elif fmt in _V1_CODES:
                code = _V1_CODES[fmt]
            else:
                raise InvalidPixFormat("%s cannot be stored in a V1.x stream" % format_name(fmt))
        units, t_units = self._elapsed(time, elapsed)
        if v.major == 1:
            hdr = struct.pack("<4I", units, w, h, code)
            if v == V1_0 and fmt == RGB565:
                payload = _swap16(payload)
        else:
            hdr = struct.pack("<5I12x", units, w, h, fmt, size if want is None else 0)
        self._write_raw(b"".join((hdr, payload, bytes(_padding(size)))))
        self._count += 1
        self._time_units = t_units

    def _elapsed(self, t: Any, elapsed: Any) -> tuple:
        """The elapsed field of the next frame and its time, in units."""
        unit = self.version.time_unit_us
        first = self._count == 0
        now = self._clock()
        if t is not None and elapsed is not None:
            raise ValueError("give a frame its time or its elapsed time, not both")
        if t is not None:
            t_us = _to_us(t)
            if first:
                self._origin_us = t_us
            t_us -= self._origin_us
        elif elapsed is not None:
            e_us = _to_us(elapsed)
            t_us = None
        elif self._interval_us is not None:
            t_us = None if first else self._count * self._interval_us
            e_us = self._interval_us
        else:
            t_us = None
            e_us = round((now - self._last_clock) * 1_000_000)
        if t_us is not None:
            if t_us < 0:
                raise InvalidElapsed("time %.6f s is before the first frame's" % (t_us / 1e6))
            target = (t_us + unit // 2) // unit
            units = 0 if first else target - self._time_units
            if units < 0:
                raise InvalidElapsed("time %.6f s is before the previous frame's" % (t_us / 1e6))
        else:
            if e_us < 0:
                raise InvalidElapsed("a negative elapsed time")
            units = (e_us + unit // 2) // unit
            target = self._time_units + (0 if first else units)
        if units > _MAX_ELAPSED:
            raise InvalidElapsed("%d units do not fit in 32 bits" % units)
        self._last_clock = now
        return units, target

    def _payload(self, frame: Any, fmt: Optional[int], w: Optional[int], h: Optional[int],
                 channels: Optional[str]) -> tuple:
        if isinstance(frame, (bytes, bytearray, memoryview)):
            data = bytes(frame)
            if fmt is None:
                dims = _jpeg_size(data)
                fmt = JPEG
                if dims is None:
                    dims, fmt = _png_size(data), PNG
                if dims is None:
                    raise InvalidPixFormat("bytes that are neither a JPEG nor a PNG file need a format")
                w, h = (dims if w is None or h is None else (w, h))
            elif w is None or h is None:
                dims = _jpeg_size(data) if fmt == JPEG else _png_size(data) if fmt == PNG else None
                if dims is None:
                    raise InvalidDimensions("bytes of %s need a width and a height" % format_name(fmt))
                w, h = dims
            return fmt, w, h, data
        if _np is None or not isinstance(frame, _np.ndarray):
            raise TypeError("a frame is a numpy array or bytes, not %s" % type(frame).__name__)
        a = frame
        if a.ndim == 2 and a.dtype == _np.bool_:
            h, w = a.shape
            rows = _np.packbits(a, axis=1, bitorder="little")
            words = -(-w // 32) * 4
            packed = _np.zeros((h, words), dtype=_np.uint8)
            packed[:, :rows.shape[1]] = rows
            return _check_fmt(fmt, BINARY, ()), w, h, packed.tobytes()
        if a.ndim == 2 and a.dtype == _np.uint8:
            h, w = a.shape
            return _check_fmt(fmt, GRAYSCALE, _BAYER), w, h, a.tobytes()
        if a.ndim == 2 and a.dtype.kind == "u" and a.dtype.itemsize == 2:
            h, w = a.shape
            return _check_fmt(fmt, RGB565, ()), w, h, a.astype("<u2", copy=False).tobytes()
        if a.ndim == 3 and a.dtype == _np.uint8 and a.shape[2] == 2:
            h, w = a.shape[:2]
            return _check_fmt(fmt, YUV422, (YVU422,)), w, h, a.tobytes()
        if a.ndim == 3 and a.dtype == _np.uint8 and a.shape[2] == 3:
            if channels not in ("bgr", "rgb"):
                raise InvalidPixFormat('a (h, w, 3) array is converted to RGB565: say channels="bgr" '
                                       '(OpenCV) or channels="rgb" (or write it as JPEG bytes)')
            _check_fmt(fmt, RGB565, ())
            h, w = a.shape[:2]
            r, g, b = (a[:, :, 2], a[:, :, 1], a[:, :, 0]) if channels == "bgr" else (a[:, :, 0], a[:, :, 1], a[:, :, 2])
            v = ((r.astype(_np.uint16) >> 3) << 11) | ((g.astype(_np.uint16) >> 2) << 5) | (b.astype(_np.uint16) >> 3)
            return RGB565, w, h, v.astype("<u2").tobytes()
        raise InvalidPixFormat("an array of shape %s and dtype %s is no frame" % (a.shape, a.dtype))


def _check_fmt(fmt: Optional[int], default: int, others: tuple) -> int:
    if fmt is None:
        return default
    if fmt != default and fmt not in others:
        raise InvalidPixFormat("this array cannot be a %s frame" % format_name(fmt))
    return fmt
