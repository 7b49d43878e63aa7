"""A Python OpenCV producer: draws frames with OpenCV and publishes them to a
shared-memory stream that Go programs read (examples/shmview shows it in a
browser).

    /usr/bin/python3 python/examples/opencv_producer.py camera [FRAMES]
    go run ./examples/shmview -name camera

It runs for FRAMES frames, or until Ctrl-C when FRAMES is 0 (the default).

A real camera is ``cv2.VideoCapture(0).read()`` in place of the drawing.
"""

import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import imgstream  # noqa: E402

name = sys.argv[1] if len(sys.argv) > 1 else "camera"
frames = int(sys.argv[2]) if len(sys.argv) > 2 else 0
w, h = 640, 480
try:
    with imgstream.Writer(name, w * h * 3) as writer:
        print("publishing %dx%d BGR frames to %s" % (w, h, name), flush=True)
        n = 0
        while frames == 0 or n < frames:
            n += 1
            img = np.zeros((h, w, 3), np.uint8)
            img[:, :] = (n % 256, 40, 200)  # BGR: the blue channel counts frames
            cv2.circle(img, (n * 7 % w, h // 2), 40, (255, 255, 255), -1)
            writer.write(img)  # a (h, w, 3) uint8 array is OpenCV's BGR24
            time.sleep(1 / 30)
        time.sleep(1)  # let readers take the last frame before the stream closes
except KeyboardInterrupt:
    pass  # Ctrl-C (SIGINT) stops it; the with block has closed the stream
