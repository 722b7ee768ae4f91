"""Classical inpainting baselines for training/reports/inpaint_strategies.mts (report-only: the app
never needs OpenCV). Reads a JSON job list on stdin:
  {"radius": {"telea": 5, "ns": 3},
   "jobs": [{"input": "crop.png", "hole": [x, y, side], "outputs": {"telea": "a.png", "ns": "b.png"}}]}
Each input is an 8-bit RGB crop around one square hole (hole pixels are ignored); every output is
the crop with the hole filled by cv2.inpaint with that method and radius. Run with /usr/bin/python3.
"""
import json
import sys

try:
    import cv2
    import numpy as np
except ImportError as error:
    sys.stderr.write(f"OpenCV for Python is missing ({error}); install it with `apt-get install -y python3-opencv` "
                     "(a report-only dependency) and run /usr/bin/python3.\n")
    sys.exit(3)

FLAGS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}


def main():
    spec = json.load(sys.stdin)
    for job in spec["jobs"]:
        image = cv2.imread(job["input"], cv2.IMREAD_COLOR)
        if image is None:
            sys.exit(f"cannot read {job['input']}")
        x, y, side = job["hole"]
        mask = np.zeros(image.shape[:2], np.uint8)
        mask[y:y + side, x:x + side] = 255
        for method, out in job["outputs"].items():
            if not cv2.imwrite(out, cv2.inpaint(image, mask, spec["radius"][method], FLAGS[method])):
                sys.exit(f"cannot write {out}")


if __name__ == "__main__":
    main()
