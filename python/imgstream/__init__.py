"""imgstream: OpenMV recordings, and frames between processes through shared memory.

The Python end of imgstream's ``shm`` streams: a :class:`Reader` that
attaches to a stream by name and returns the newest frame, never torn, and
a :class:`Writer` that makes a stream Go and Python readers read. Pure
Python (``mmap``, ``ctypes`` for the futex, ``fcntl`` for the writer's
lock); numpy is used when it is installed, for frames as arrays.

>>> from imgstream import Reader
>>> with Reader.wait("camera") as r:          # doctest: +SKIP
...     for frame in r:
...         img = frame.image()                # (height, width, 3) for BGR24

:mod:`imgstream.omv` reads and writes OpenMV's OMV IMG STR recordings, as
the Go package ``container`` does:

>>> from imgstream import omv
>>> with omv.Reader("recording.omv") as r:    # doctest: +SKIP
...     for frame in r:
...         print(frame.index, frame.time, frame.format_name)
"""

from .shm import (
    BAYER_BGGR,
    BAYER_GBRG,
    BAYER_GRBG,
    BAYER_RGGB,
    BGR24,
    BINARY,
    DIR,
    GRAYSCALE,
    JPEG,
    PNG,
    RGB24,
    RGB565,
    YUV422,
    YVU422,
    Error,
    FormatError,
    Frame,
    Locked,
    MAX_LOCK_WAIT,
    Reader,
    StreamExists,
    Truncated,
    WriterGone,
    Writer,
    format_name,
)
from . import omv

__all__ = [
    "BAYER_BGGR", "BAYER_GBRG", "BAYER_GRBG", "BAYER_RGGB", "BGR24", "BINARY",
    "DIR", "GRAYSCALE", "JPEG", "PNG", "RGB24", "RGB565", "YUV422", "YVU422",
    "Error", "FormatError", "Frame", "Locked", "MAX_LOCK_WAIT", "Reader",
    "StreamExists", "Truncated",
    "WriterGone", "Writer", "format_name", "omv",
]
__version__ = "0.1.0"
