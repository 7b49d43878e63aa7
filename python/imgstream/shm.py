"""Shared-memory streams in imgstream's layout.

A stream is a file in /dev/shm: a 4096-byte header page, then N slots, each
a 64-byte slot header and a frame's bytes, guarded by a sequence number (a
seqlock). One writer, any number of readers, in Go or Python. The layout,
the read order and the locking are documented in the Go package
``github.com/imgstream/imgstream/shm``; this module follows them exactly:

- a reader loads the futex word, then ``latest``; it loads a slot's
  sequence word, then the frame's length, width, height and format and its
  bytes, then the sequence word again, and accepts the frame only if both
  loads are ``2 * n``;
- it sleeps on the futex word (``FUTEX_WAIT``, shared between processes,
  not private) for 100 ms at a time, and between two sleeps checks that the
  writer still holds its ``flock(2)`` lock, with a shared, non-blocking
  probe, so a dead writer is noticed within about 100 ms;
- a writer makes the file unnamed (``O_TMPFILE``), locks, fills and names it
  under an exclusive lock on the /dev/shm directory, so exactly one writer
  holds a name, and removes on close only its own file.

Memory is mapped with ``mmap(2)`` through ctypes, read-only for readers, so
Python's ``multiprocessing.shared_memory`` and its resource tracker (which
unlinks what it attached to when the process exits, up to Python 3.12) are
not involved.

Memory ordering: the Go side uses atomic operations, fenced on every
architecture. Python has no atomics or fences; on x86-64 (which the tests run
on) loads are not reordered with loads nor stores with stores, which is
all the seqlock needs. On ARM they may be, and a Python reader there can in
principle accept a torn frame: check frames with a checksum, or read them
in Go.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import platform
import stat
import struct
import time
from typing import Any, Iterator, Optional, Union

try:  # numpy is optional: frames are numpy arrays when it is installed.
    import numpy as _np
except ImportError:  # pragma: no cover - exercised where numpy is missing
    _np = None

DIR = "/dev/shm"
"""Where streams live: a tmpfs every process on the machine shares."""

_MAGIC = b"IMGSHM01"
_LAYOUT_VERSION = 1
_HEADER_SIZE = 4096
_SLOT_HEADER = 64
_PAGE = 4096

# Header fields (offset, little-endian).
_OFF_MAGIC = 0  # 8 bytes
_OFF_VERSION = 8  # uint32
_OFF_HDRSIZE = 12  # uint32
_OFF_SLOTS = 16  # uint32
_OFF_STRIDE = 24  # uint64
_OFF_CAPACITY = 32  # uint64
_OFF_FUTEX = 40  # uint32: +1 per publish
_OFF_LATEST = 48  # uint64: newest frame number, 0 for none
_OFF_CLOSED = 56  # uint32
_OFF_PID = 60  # uint32

# Slot header fields.
_SLOT_SEQ = 0  # uint64: 2n+1 while frame n is written, 2n once published
_SLOT_TIME = 8  # int64: Unix nanoseconds of the publish
_SLOT_WIDTH = 16  # uint32
_SLOT_HEIGHT = 20  # uint32
_SLOT_FORMAT = 24  # uint32
_SLOT_LENGTH = 32  # uint64

_WAIT_SLICE = 0.1  # seconds: how often a waiting reader checks the writer

# Pixel formats: OpenMV's codes, and the two 3-byte formats that pass only
# between processes (never into an OMV IMG STR file).
BINARY = 0x08010000
GRAYSCALE = 0x08020001
RGB565 = 0x0C030002
BAYER_BGGR = 0x05040001
BAYER_GBRG = 0x05040101
BAYER_GRBG = 0x05040201
BAYER_RGGB = 0x05040301
YUV422 = 0x14050002
YVU422 = 0x14050102
JPEG = 0x06060000
PNG = 0x06070000
RGB24 = 0x0C800003  # R, G, B bytes per pixel (numpy, PIL)
BGR24 = 0x0C800103  # B, G, R bytes per pixel (OpenCV)

_NAMES = {
    BINARY: "BINARY", GRAYSCALE: "GRAYSCALE", RGB565: "RGB565",
    BAYER_BGGR: "BAYER_BGGR", BAYER_GBRG: "BAYER_GBRG", BAYER_GRBG: "BAYER_GRBG",
    BAYER_RGGB: "BAYER_RGGB", YUV422: "YUV422", YVU422: "YVU422", JPEG: "JPEG",
    PNG: "PNG", RGB24: "RGB24", BGR24: "BGR24",
}
_MAX_DIMENSION = 32767


def format_name(fmt: int) -> str:
    """Return the name of a pixel-format code, such as ``"BGR24"``."""
    return _NAMES.get(fmt, "PixFormat(%#010x)" % fmt)


def _payload_size(fmt: int, width: int, height: int) -> Optional[int]:
    """Bytes of an uncompressed frame; None for JPEG and PNG."""
    if fmt in (JPEG, PNG):
        return None
    if fmt == BINARY:
        return (width + 31) // 32 * 4 * height
    return width * height * (fmt & 0xFF)


class Error(Exception):
    """The base of this module's errors."""


class WriterGone(Error):
    """The stream's writer died without closing it (its lock went with it).
    The last frame it published stays readable with :meth:`Reader.latest`."""


class FormatError(Error, ValueError):
    """The file is not a stream of this layout (or not a regular file at
    all: a FIFO of the name is refused, never waited on), or a frame is not
    valid."""


class Truncated(FormatError):
    """The stream's file was shrunk under the mapping. Python cannot catch
    the fault that touching such memory raises, so a reader checks the
    file's size before it reads a frame; a shrink in between still kills
    the process with SIGBUS."""


class StreamExists(Error, FileExistsError):
    """A live writer holds the stream's name."""


class Locked(Error, TimeoutError):
    """Another process held the lock on :data:`DIR` that writers share for
    over :data:`MAX_LOCK_WAIT` seconds. Writers hold it for microseconds;
    any local user can hold it for ever, and a Writer would then wait for
    ever."""


#: How long a Writer (or a clean-up) waits for the lock on :data:`DIR`, in
#: seconds, as the Go package's MaxLockWait.
MAX_LOCK_WAIT = 5.0


# --- system calls through ctypes -------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.munmap.restype = ctypes.c_int
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.syscall.restype = ctypes.c_long

_PROT_READ, _PROT_WRITE, _MAP_SHARED = 1, 2, 1
_MAP_FAILED = ctypes.c_void_p(-1).value

_SYS_FUTEX = {
    "x86_64": 202, "amd64": 202, "aarch64": 98, "arm64": 98, "riscv64": 98,
    "i386": 240, "i686": 240, "armv7l": 240, "armv6l": 240,
}.get(platform.machine().lower())
_FUTEX_WAIT, _FUTEX_WAKE = 0, 1  # shared between processes: no FUTEX_PRIVATE_FLAG


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _futex_wait(addr: int, val: int, timeout: float) -> bool:
    """Sleep while the uint32 at addr holds val, for at most timeout
    seconds; report whether the wait timed out."""
    if _SYS_FUTEX is None:  # an unknown machine: poll
        time.sleep(min(timeout, 0.001))
        return True
    ts = _Timespec(int(timeout), int((timeout % 1) * 1e9))
    r = _libc.syscall(ctypes.c_long(_SYS_FUTEX), ctypes.c_void_p(addr), ctypes.c_int(_FUTEX_WAIT),
                      ctypes.c_uint(val), ctypes.byref(ts), None, ctypes.c_int(0))
    return r == -1 and ctypes.get_errno() == errno.ETIMEDOUT


def _futex_wake(addr: int) -> None:
    if _SYS_FUTEX is not None:
        _libc.syscall(ctypes.c_long(_SYS_FUTEX), ctypes.c_void_p(addr), ctypes.c_int(_FUTEX_WAKE),
                      ctypes.c_int(0x7FFFFFFF), None, None, ctypes.c_int(0))


class _Mapping:
    """A file mapped with mmap(2), as a memoryview and an address."""

    def __init__(self, fd: int, size: int, writable: bool):
        prot = _PROT_READ | (_PROT_WRITE if writable else 0)
        addr = _libc.mmap(None, size, prot, _MAP_SHARED, fd, 0)
        if addr in (None, _MAP_FAILED):
            e = ctypes.get_errno()
            raise OSError(e, "mmap: " + os.strerror(e))
        self.addr, self.size = addr, size
        self.buf = memoryview((ctypes.c_char * size).from_address(addr)).cast("B")

    # The words the seqlock and the futex use are read and written whole,
    # through ctypes (one aligned load or store of the word's size), not
    # through struct, which goes byte by byte: a sequence word read in
    # pieces while the writer changes it could look unchanged. The layout
    # is little-endian, as every machine this runs on is.

    def u32(self, off: int) -> int:
        return ctypes.c_uint32.from_address(self.addr + off).value

    def u64(self, off: int) -> int:
        return ctypes.c_uint64.from_address(self.addr + off).value

    def put32(self, off: int, v: int) -> None:
        ctypes.c_uint32.from_address(self.addr + off).value = v

    def put64(self, off: int, v: int) -> None:
        ctypes.c_uint64.from_address(self.addr + off).value = v

    def close(self) -> None:
        if self.buf is not None:
            self.buf.release()
            self.buf = None
            _libc.munmap(self.addr, self.size)


def _path(name: str) -> str:
    if not name or "/" in name or "\x00" in name or name in (".", ".."):
        raise ValueError("invalid stream name %r: one file name in %s" % (name, DIR))
    return os.path.join(DIR, name)


def _stride(capacity: int) -> int:
    return (_SLOT_HEADER + capacity + _PAGE - 1) // _PAGE * _PAGE


def _writer_holds(fd: int) -> bool:
    """Whether a writer holds the stream open as fd (its exclusive flock),
    probed with a shared lock that readers may hold at the same moment."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


def _open_regular(path: str) -> int:
    """Open path for reading without blocking and return the fd; raise
    FormatError for anything but a regular file. A FIFO (or a device) of a
    stream's name, which any local user can make in /dev/shm, would
    otherwise block the open until someone wrote to it, and a Writer would
    hold the directory lock meanwhile."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise FormatError("%s is not a regular file (mode %#o)" % (path, stat.S_IFMT(mode)))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _same_file(path: str, fd: int) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


class _DirLock:
    """The exclusive lock on DIR that writers hold while they make, replace
    or remove a stream's file (the Go package takes the same one)."""

    def __enter__(self) -> "_DirLock":
        self.fd = os.open(DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        # flock has no timeout: poll without blocking, up to MAX_LOCK_WAIT.
        deadline = time.monotonic() + MAX_LOCK_WAIT
        pause = 0.001
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    raise Locked(f"another process holds the lock on {DIR} "
                                 f"(for over {MAX_LOCK_WAIT} s)") from None
                time.sleep(pause)
                pause = min(2 * pause, 0.02)

    def __exit__(self, *exc: Any) -> None:
        os.close(self.fd)


class Frame:
    """A frame read from a stream.

    ``data`` is the frame's bytes: a numpy uint8 array when numpy is
    installed (else ``bytes`` for a copy, a ``memoryview`` for a view). A
    copy is whole and stays valid; a view (``copy=False``) is the shared
    memory itself, valid until the writer reuses its slot (slots - 1 frames
    later at the earliest) and never after the Reader is closed: call
    :meth:`valid` after using it.
    """

    __slots__ = ("number", "skipped", "restarted", "time_ns", "width", "height",
                 "format", "size", "data", "_mapping", "_seq_off")

    def __init__(self, number: int, time_ns: int, width: int, height: int, fmt: int,
                 size: int, data: Any, mapping: Optional[_Mapping], seq_off: int):
        self.number = number  #: counts the writer's frames from 1
        self.skipped = 0  #: frames published since the previous one this reader returned
        self.restarted = False  #: the first frame of a new writer (Reader.follow)
        self.time_ns = time_ns  #: when the writer published it, Unix nanoseconds
        self.width = width
        self.height = height
        self.format = fmt  #: a pixel-format code such as BGR24; see format_name
        self.size = size  #: bytes
        self.data = data
        self._mapping = mapping
        self._seq_off = seq_off

    @property
    def time(self) -> float:
        """When the writer published the frame, in seconds since the epoch."""
        return self.time_ns / 1e9

    def valid(self) -> bool:
        """Whether the data still holds this frame: always true for a copy;
        for a view, false once the writer reused the slot."""
        m = self._mapping
        return m is None or (m.buf is not None and m.u64(self._seq_off) == 2 * self.number)

    def image(self) -> Any:
        """The frame as a numpy array shaped for its format: (height, width,
        3) for BGR24 and RGB24, (height, width) uint8 for GRAYSCALE and the
        Bayer mosaics, (height, width) uint16 for RGB565, (height, width, 2)
        for YUV422 and YVU422, and the bytes as they are for the rest."""
        if _np is None:
            raise RuntimeError("Frame.image needs numpy")
        a = _np.frombuffer(self.data, dtype=_np.uint8, count=self.size)
        h, w, f = self.height, self.width, self.format
        if f in (BGR24, RGB24):
            return a.reshape(h, w, 3)
        if f in (GRAYSCALE, BAYER_BGGR, BAYER_GBRG, BAYER_GRBG, BAYER_RGGB):
            return a.reshape(h, w)
        if f == RGB565:
            return a.view("<u2").reshape(h, w)
        if f in (YUV422, YVU422):
            return a.reshape(h, w, 2)
        return a

    def __repr__(self) -> str:
        return "Frame(number=%d, %dx%d %s, %d bytes, skipped=%d)" % (
            self.number, self.width, self.height, format_name(self.format), self.size, self.skipped)


class Reader:
    """Reads the frames of the stream ``name``, attaching to it at once
    (``FileNotFoundError`` if there is none; :meth:`wait` waits for one).

    :meth:`next` returns the newest frame newer than the last one returned,
    sleeping on the futex meanwhile (no busy wait); a reader slower than the
    writer skips frames and is told how many. With ``follow``, a writer that
    closes or dies is followed by the next writer of the same name (a
    camera process that restarts), and ``Frame.restarted`` marks its first
    frame. A Reader is a context manager and an iterator of frames; it is
    not safe for use from several threads at once.
    """

    def __init__(self, name: str, *, follow: bool = False):
        self.name = name
        self.follow = follow
        self._path = _path(name)
        self._m: Optional[_Mapping] = None
        self._fd = -1
        self._previous: Optional[tuple] = None
        self._last = 0
        self._restart = False
        self._attach()

    @classmethod
    def wait(cls, name: str, timeout: Optional[float] = None, *, follow: bool = False) -> "Reader":
        """Return a Reader of ``name`` once a live writer has made it,
        waiting up to ``timeout`` seconds (for ever if None), else raise
        TimeoutError."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fd = _open_regular(_path(name))
            except (FileNotFoundError, FormatError):
                pass
            else:
                alive = _writer_holds(fd)
                os.close(fd)
                if alive:
                    try:
                        return cls(name, follow=follow)
                    except (FileNotFoundError, FormatError):
                        pass
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError("no writer of %r" % name)
            time.sleep(_WAIT_SLICE)

    def _attach(self) -> None:
        fd = _open_regular(self._path)
        try:
            size = os.fstat(fd).st_size
            if size < _HEADER_SIZE:
                raise FormatError("%s: %d bytes, less than a header" % (self._path, size))
            m = _Mapping(fd, size, writable=False)
        except BaseException:
            os.close(fd)
            raise
        slots, stride, capacity = m.u32(_OFF_SLOTS), m.u64(_OFF_STRIDE), m.u64(_OFF_CAPACITY)
        bad = None
        if bytes(m.buf[0:8]) != _MAGIC:
            bad = "magic %r" % bytes(m.buf[0:8])
        elif m.u32(_OFF_VERSION) != _LAYOUT_VERSION or m.u32(_OFF_HDRSIZE) != _HEADER_SIZE:
            bad = "layout %d" % m.u32(_OFF_VERSION)
        elif slots < 2 or capacity < 1 or stride != _stride(capacity):
            bad = "%d slots of %d bytes every %d" % (slots, capacity, stride)
        elif size < _HEADER_SIZE + slots * stride:
            bad = "%d bytes, %d slots need %d" % (size, slots, _HEADER_SIZE + slots * stride)
        if bad:
            m.close()
            os.close(fd)
            raise FormatError("%s: not an imgstream stream: %s" % (self._path, bad))
        if self._m is not None:
            if self._previous is not None:
                self._previous[0].close()
                os.close(self._previous[1])
            self._previous = (self._m, self._fd)  # views of it stay readable until the next reopen
        self._m, self._fd, self._size = m, fd, _HEADER_SIZE + slots * stride
        self._slots, self._stride, self.frame_size = slots, stride, capacity

    @property
    def slots(self) -> int:
        """How many frames the stream holds at once."""
        return self._slots

    def reopen(self, timeout: Optional[float] = None) -> None:
        """Wait for a live writer's stream of the same name, other than the
        one this Reader has, and attach to it (``follow`` does this by
        itself). Raises TimeoutError after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fd = _open_regular(self._path)
            except (FileNotFoundError, FormatError):
                pass
            else:
                fresh = not _same_file(self._path, self._fd)
                alive = _writer_holds(fd)
                os.close(fd)
                if fresh and alive:
                    try:
                        self._attach()
                        self._last, self._restart = 0, True
                        return
                    except (FileNotFoundError, FormatError):
                        pass
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError("no new writer of %r" % self.name)
            time.sleep(_WAIT_SLICE)

    def _check_size(self) -> None:
        if os.fstat(self._fd).st_size < self._size:
            raise Truncated("%s was shrunk under the mapping" % self._path)

    def _view(self, n: int) -> Optional[Frame]:
        m = self._m
        off = _HEADER_SIZE + (n % self._slots) * self._stride
        if m.u64(off + _SLOT_SEQ) != 2 * n:
            return None
        t, w, h, f = struct.unpack_from("<qIII", m.buf, off + _SLOT_TIME)
        length = m.u64(off + _SLOT_LENGTH)
        if length > self.frame_size:
            return None  # a torn header
        start = off + _SLOT_HEADER
        data = m.buf[start:start + length]
        if _np is not None:
            data = _np.frombuffer(m.buf, dtype=_np.uint8, count=length, offset=start)
        frame = Frame(n, t, w, h, f, length, data, m, off + _SLOT_SEQ)
        return frame if frame.valid() else None

    def _newest(self, n: int) -> Optional[Frame]:
        f = self._view(n)
        if f is None and self._m.u64(_OFF_LATEST) == n:
            raise FormatError("the header names frame %d, which its slot does not hold" % n)
        return f

    @staticmethod
    def _copy(f: Frame) -> Frame:
        data = f.data.copy() if _np is not None else bytes(f.data)
        if not f.valid():
            return None
        f.data, f._mapping = data, None
        return f

    def next(self, timeout: Optional[float] = None, copy: bool = True) -> Frame:
        """Wait for a frame newer than the last one returned and return the
        newest: a copy (``copy=True``, checked whole after copying) or a
        view of the shared memory. Raises EOFError when the writer closed
        the stream and every frame was read, WriterGone within about 100 ms
        of the writer dying (with ``follow``, neither: it waits for the next
        writer), Truncated if the file was shrunk, and TimeoutError after
        ``timeout`` seconds with no frame."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                f = self._next(deadline, copy)
            except (EOFError, WriterGone):
                if not self.follow:
                    raise
                self.reopen(None if deadline is None else max(deadline - time.monotonic(), 0))
                continue
            if self._restart:
                f.restarted, self._restart = True, False
            return f

    def _next(self, deadline: Optional[float], copy: bool) -> Frame:
        if self._m is None:
            raise ValueError("the Reader is closed")
        m = self._m
        futex = m.addr + _OFF_FUTEX
        lapped = 0  # frames skipped before, and including, copies the writer lapped
        while True:
            word = m.u32(_OFF_FUTEX)
            n = m.u64(_OFF_LATEST)
            if n > self._last:
                self._check_size()
                f = self._newest(n)
                if f is None:
                    continue  # overwritten as we looked: a newer one is there
                skipped = n - self._last - 1
                self._last = n
                if copy:
                    f = self._copy(f)
                    if f is None:
                        # The writer lapped the copy: it has published newer
                        # frames; the one returned counts these as skipped.
                        lapped += skipped + 1
                        continue
                f.skipped = skipped + lapped
                return f
            if m.u32(_OFF_CLOSED):
                raise EOFError("the writer closed %r" % self.name)
            wait = _WAIT_SLICE
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no frame in %r" % self.name)
                wait = min(wait, left)
            if _futex_wait(futex, word, wait) and not _writer_holds(self._fd):
                if m.u32(_OFF_CLOSED) or m.u64(_OFF_LATEST) > self._last:
                    continue
                raise WriterGone("the writer of %r is gone" % self.name)

    def latest(self, copy: bool = True) -> Frame:
        """Return the newest frame without waiting; LookupError before the
        first."""
        while True:
            n = self._m.u64(_OFF_LATEST)
            if n == 0:
                raise LookupError("no frame published yet in %r" % self.name)
            self._check_size()
            f = self._newest(n)
            if f is not None and copy:
                f = self._copy(f)
            if f is not None:
                return f

    def __iter__(self) -> Iterator[Frame]:
        """Frames as next() returns them, until the writer closes the
        stream (for ever with ``follow``)."""
        while True:
            try:
                yield self.next()
            except EOFError:
                return

    def close(self) -> None:
        """Detach. Views of frames must not be used after this."""
        for m, fd in ((self._m, self._fd), self._previous or (None, -1)):
            if m is not None:
                m.close()
                os.close(fd)
        self._m, self._previous = None, None

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _remove_stale_locked(path: str) -> None:
    """Remove the stream at path if its writer is gone; raise StreamExists
    if a writer holds it, FormatError if it is another kind of file. The
    caller holds the directory lock."""
    try:
        fd = _open_regular(path)
    except FileNotFoundError:
        return
    try:
        if _writer_holds(fd):
            raise StreamExists("a writer holds %s" % path)
        if os.fstat(fd).st_size > 0 and os.pread(fd, 8, 0) != _MAGIC:
            raise FormatError("%s exists and is another kind of file" % path)
        os.unlink(path)
    finally:
        os.close(fd)


class Writer:
    """Makes the stream ``name`` with ``slots`` slots of ``frame_size``
    bytes, which Go and Python readers read, and publishes frames to it. It
    never waits for readers. Exactly one writer holds a name: a live one's
    is StreamExists; a dead one's stream is replaced. ``mode`` is the file's
    permission (0o600: this user; 0o640 lets the file's group read too).
    A Writer is a context manager; close() removes the stream."""

    def __init__(self, name: str, frame_size: int, slots: int = 4, mode: int = 0o600):
        if frame_size < 1 or not 2 <= slots <= 1 << 16:
            raise ValueError("need 2 to 65536 slots of at least 1 byte, not %d of %d" % (slots, frame_size))
        self.name, self.frame_size, self.slots = name, frame_size, slots
        self._path = _path(name)
        self._stride = _stride(frame_size)
        size = _HEADER_SIZE + slots * self._stride
        self._m: Optional[_Mapping] = None
        with _DirLock():
            _remove_stale_locked(self._path)
            named = False
            try:
                fd = os.open(DIR, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, mode)
            except (OSError, AttributeError):
                fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
                named = True
            try:
                os.fchmod(fd, mode)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.posix_fallocate(fd, 0, size)
                m = _Mapping(fd, size, writable=True)
                m.put32(_OFF_VERSION, _LAYOUT_VERSION)
                m.put32(_OFF_HDRSIZE, _HEADER_SIZE)
                m.put32(_OFF_SLOTS, slots)
                m.put64(_OFF_STRIDE, self._stride)
                m.put64(_OFF_CAPACITY, frame_size)
                m.put32(_OFF_PID, os.getpid())
                m.buf[0:8] = _MAGIC  # last: a reader that sees the magic sees the rest
                if not named:
                    # linkat(2) with AT_SYMLINK_FOLLOW on /proc/self/fd/N
                    # names the unnamed file; os.link takes that path only
                    # with a directory fd given.
                    proc = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
                    try:
                        os.link(str(fd), self._path, src_dir_fd=proc, follow_symlinks=True)
                    except FileExistsError:
                        m.close()
                        raise StreamExists("%s was taken meanwhile" % self._path)
                    finally:
                        os.close(proc)
            except BaseException:
                if named:
                    os.unlink(self._path)
                os.close(fd)
                raise
        self._fd, self._m = fd, m
        self._next, self._leased = 1, False

    def _slot(self, n: int) -> int:
        return _HEADER_SIZE + (n % self.slots) * self._stride

    def acquire(self) -> memoryview:
        """Return the slot the next frame goes into, to fill in place, and
        mark it as being written; publish() makes it visible."""
        if self._m is None:
            raise ValueError("the Writer is closed")
        off = self._slot(self._next)
        if not self._leased:
            self._m.put64(off + _SLOT_SEQ, 2 * self._next + 1)
            self._leased = True
        return self._m.buf[off + _SLOT_HEADER:off + _SLOT_HEADER + self.frame_size]

    def publish(self, width: int, height: int, fmt: int, size: Optional[int] = None) -> int:
        """Publish the acquired slot's frame: ``size`` bytes (the format's
        size when None) of a ``width`` x ``height`` frame of format ``fmt``.
        Wakes the waiting readers and returns the frame's number."""
        if not self._leased:
            raise RuntimeError("publish without acquire")
        want = _payload_size(fmt, width, height)
        if size is None:
            size = want
        if fmt not in _NAMES:
            raise FormatError("unknown pixel format %#x" % fmt)
        if not (1 <= width <= _MAX_DIMENSION and 1 <= height <= _MAX_DIMENSION):
            raise FormatError("invalid dimensions %dx%d" % (width, height))
        if size is None or size < 1 or size > self.frame_size or (want is not None and size != want):
            raise FormatError("%s bytes for a %dx%d %s frame in slots of %d" % (size, width, height, format_name(fmt), self.frame_size))
        m, n = self._m, self._next
        off = self._slot(n)
        struct.pack_into("<qIIIxxxxQ", m.buf, off + _SLOT_TIME, time.time_ns(), width, height, fmt, size)
        m.put64(off + _SLOT_SEQ, 2 * n)
        m.put64(_OFF_LATEST, n)
        m.put32(_OFF_FUTEX, (m.u32(_OFF_FUTEX) + 1) & 0xFFFFFFFF)
        _futex_wake(m.addr + _OFF_FUTEX)
        self._next, self._leased = n + 1, False
        return n

    def write(self, frame: Any, width: Optional[int] = None, height: Optional[int] = None,
              fmt: Optional[int] = None) -> int:
        """Copy a frame in and publish it. A numpy array gives its own
        dimensions: (height, width, 3) is BGR24 (OpenCV's order) unless
        ``fmt`` says RGB24, (height, width) is GRAYSCALE. Bytes need
        ``width``, ``height`` and ``fmt``. Returns the frame's number."""
        if _np is not None and isinstance(frame, _np.ndarray):
            if frame.dtype != _np.uint8:
                raise FormatError("frames are uint8 arrays, not %s" % frame.dtype)
            if frame.ndim == 3 and frame.shape[2] == 3:
                height, width = frame.shape[:2]
                fmt = BGR24 if fmt is None else fmt
            elif frame.ndim == 2:
                height, width = frame.shape
                fmt = GRAYSCALE if fmt is None else fmt
            else:
                raise FormatError("an array of shape %s is no frame" % (frame.shape,))
            data = memoryview(_np.ascontiguousarray(frame)).cast("B")
        else:
            if width is None or height is None or fmt is None:
                raise TypeError("bytes need width, height and fmt")
            data = memoryview(frame).cast("B")
        if len(data) > self.frame_size:
            raise FormatError("a frame of %d bytes in slots of %d" % (len(data), self.frame_size))
        slot = self.acquire()
        slot[:len(data)] = data
        return self.publish(width, height, fmt, len(data))

    def close(self) -> None:
        """Mark the stream closed (readers get EOFError after its last
        frame) and remove its file, if the name is still its own."""
        if self._m is None:
            return
        self._m.put32(_OFF_CLOSED, 1)
        self._m.put32(_OFF_FUTEX, (self._m.u32(_OFF_FUTEX) + 1) & 0xFFFFFFFF)
        _futex_wake(self._m.addr + _OFF_FUTEX)
        with _DirLock():
            if _same_file(self._path, self._fd):
                os.unlink(self._path)
        self._m.close()
        self._m = None
        os.close(self._fd)  # releases the lock

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
