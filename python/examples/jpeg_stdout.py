"""A camera program that writes JPEG frames to stdout, back to back.

    python3 jpeg_stdout.py | imgstream serve -
    python3 jpeg_stdout.py | imgstream record - out.omv

imgstream tells the JPEGs apart by their markers and times each by its
arrival. Any program that writes cv2.imencode's bytes to stdout does the
same; this one draws a moving bar, 15 frames a second, COUNT frames (the
first argument; forever without one).
"""
import sys
import time

import cv2
import numpy as np

count = int(sys.argv[1]) if len(sys.argv) > 1 else None
i = 0
while count is None or i < count:
    img = np.full((240, 320, 3), (200, 40, 20), np.uint8)  # BGR: blue
    x = (i * 8) % 320
    img[:, x:x + 16] = (255, 255, 255)
    sys.stdout.buffer.write(cv2.imencode('.jpg', img)[1])
    sys.stdout.buffer.flush()
    i += 1
    time.sleep(1 / 15)
