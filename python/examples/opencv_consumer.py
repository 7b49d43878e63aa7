"""A Python OpenCV consumer of a Go camera (examples/shmcamera): reads frames
from a shared-memory stream as numpy arrays, never torn, and saves the
last one as a PNG with OpenCV.

    go run ./examples/shmcamera -name camera &
    /usr/bin/python3 python/examples/opencv_consumer.py camera [FRAMES] [OUT.png]
"""

import os
import sys

import cv2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import imgstream  # noqa: E402

name = sys.argv[1] if len(sys.argv) > 1 else "camera"
frames = int(sys.argv[2]) if len(sys.argv) > 2 else 100
out = sys.argv[3] if len(sys.argv) > 3 else "last.png"
with imgstream.Reader.wait(name, timeout=30, follow=True) as r:
    for i, frame in enumerate(r):
        img = frame.image()  # (480, 640, 3) in BGR, as OpenCV wants
        print("frame %d: %s mean %.1f skipped %d" % (frame.number, img.shape, img.mean(), frame.skipped), flush=True)
        if i + 1 == frames:
            cv2.imwrite(out, img)
            break
