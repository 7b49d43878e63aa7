"""The Python end of the Go tests of imgstream.omv (cmd/imgstream/python_omv_test.go).

    omv_peer.py read [--strict] FILE...   print what the Reader finds, as JSON
    omv_peer.py write DIR                 write recordings, print what they hold

``read`` reads each FILE in order and through the index, and prints, in a
JSON list, the version, every frame (header, times in microseconds, SHA-256 of the
payload), the SHA-256 of each frame read at random, and the error (its
class, frame and offset). ``write`` writes one recording per version with
every format the version carries, from numpy arrays and JPEG bytes, and
prints for each the frames as they went in, for Go to read and check.
"""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from imgstream import omv  # noqa: E402


def _sha(b):
    return hashlib.sha256(b).hexdigest()


def _err(e):
    if e is None:
        return None
    return {"kind": type(e).__name__, "frame": e.frame, "offset": e.offset, "message": str(e)}


def read(path, strict):
    out = {"frames": [], "random": [], "error": None}
    try:
        r = omv.Reader(path, strict=strict)
    except omv.FormatError as e:
        out["error"] = _err(e)
        return out
    with r:
        out["version"] = str(r.version)
        try:
            for f in r:
                out["frames"].append({
                    "index": f.index, "offset": f.offset, "w": f.width, "h": f.height,
                    "format": f.format_name, "code": f.format, "size": f.size,
                    "elapsed_us": f.elapsed_us, "time_us": f.time_us, "sha256": _sha(f.data),
                })
        except omv.FormatError as e:
            out["error"] = _err(e)
        out["len"] = len(r)
        out["end"] = r.end
        out["damage"] = _err(r.damage)
        out["random"] = [_sha(r[i].data) for i in reversed(range(len(r)))][::-1]
    return out


def _frames(rng, version, jpeg):
    """The frames of one test recording: (what to write, keyword arguments)."""
    w, h = 37, 5  # odd sizes: padding, and BINARY rows of two words
    gray = rng.integers(0, 256, (h, w), dtype=np.uint8)
    frames = [
        (gray, {}),
        (rng.integers(0, 2, (h, w)).astype(bool), {}),
        (rng.integers(0, 65536, (h, w), dtype=np.uint16), {}),
        (rng.integers(0, 256, (h, w, 3), dtype=np.uint8), {"channels": "bgr"}),
        (gray, {"format": omv.BAYER_BGGR}),
        (jpeg, {}),
    ]
    if version.major == 2:
        frames += [
            (rng.integers(0, 256, (h, w, 2), dtype=np.uint8), {}),
            (rng.integers(0, 256, (h, w, 2), dtype=np.uint8), {"format": omv.YVU422}),
            (gray, {"format": omv.BAYER_RGGB}),
            (gray, {"format": omv.BAYER_GBRG}),
            (gray, {"format": omv.BAYER_GRBG}),
            (rng.integers(0, 256, 100, dtype=np.uint8).tobytes(), {"format": omv.PNG, "width": 3, "height": 4}),
        ]
    return frames


def _payload(frame, kw):
    """The payload a reader returns for a frame written from frame."""
    if isinstance(frame, bytes):
        return frame
    if frame.dtype == bool:
        h, w = frame.shape
        words = (w + 31) // 32 * 4
        rows = np.zeros((h, words), dtype=np.uint8)
        packed = np.packbits(frame, axis=1, bitorder="little")
        rows[:, :packed.shape[1]] = packed
        return rows.tobytes()
    if frame.ndim == 3 and frame.shape[2] == 3:
        b, g, r = (frame[:, :, i].astype(np.uint16) for i in range(3))
        return ((r >> 3) << 11 | (g >> 2) << 5 | b >> 3).astype("<u2").tobytes()
    return frame.astype(frame.dtype.newbyteorder("<")).tobytes()


def _format(frame, kw):
    """The format and dimensions a frame written from frame has."""
    if "format" in kw:
        f = kw["format"]
    elif isinstance(frame, bytes):
        f = omv.JPEG
    elif frame.dtype == bool:
        f = omv.BINARY
    elif frame.dtype == np.uint16 or frame.ndim == 3 and frame.shape[2] == 3:
        f = omv.RGB565
    elif frame.ndim == 3:
        f = omv.YUV422
    else:
        f = omv.GRAYSCALE
    if isinstance(frame, bytes):
        return f, kw.get("width", 64), kw.get("height", 48)  # the golden JPEG is 64x48
    return f, frame.shape[1], frame.shape[0]


def write(d):
    rng = np.random.default_rng(18)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "golden",
                           "v20_jpeg.omv"), "rb") as f:
        jpeg = next(iter(omv.Reader(f))).data
    out = []
    for version in (omv.V1_0, omv.V1_1, omv.V2_0, omv.V2_1):
        name = "py_%s.omv" % str(version).replace(".", "")
        frames = _frames(rng, version, jpeg)
        # Times: an interval for some frames, explicit times for others,
        # elapsed for the rest; what they come to is what Go must read.
        unit = version.time_unit_us
        want = []
        t_units = 0
        with omv.Writer(os.path.join(d, name), version) as w:
            for i, (frame, kw) in enumerate(frames):
                if i % 3 == 0:
                    kw = dict(kw, elapsed=0.0123456)
                    units = (12346 + unit // 2) // unit
                elif i % 3 == 1:
                    t = 0.05 * i + 0.0004
                    kw = dict(kw, time=t)
                    target = (round(t * 1e6) + unit // 2) // unit
                    units = target - t_units
                else:
                    kw = dict(kw, elapsed=1 / 30)
                    units = (33333 + unit // 2) // unit
                w.write(frame, **kw)
                if i > 0:
                    t_units += units
                data = _payload(frame, kw)
                f, fw, fh = _format(frame, kw)
                want.append({"format": omv.format_name(f), "w": fw, "h": fh, "elapsed_us": units * unit, "time_us": t_units * unit, "size": len(data),
                             "sha256": _sha(data)})
        out.append({"file": name, "version": str(version), "frames": want})
    return out


def main():
    if sys.argv[1] == "read":
        strict = sys.argv[2] == "--strict"
        res = [read(p, strict) for p in sys.argv[2 + strict:]]
    else:
        res = write(sys.argv[2])
    json.dump(res, sys.stdout)
    print()


if __name__ == "__main__":
    main()
