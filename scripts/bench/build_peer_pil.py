"""Build-peer benchmark: the packer a Python user would write for a PNG slice tree.

PIL decodes every PNG (greyscale) in a multiprocessing.Pool(2); the parent writes each image into a numpy
.npy memmap (N, H, W) uint8 in file order and flushes it.

usage: build_peer_pil.py ROOT OUT_NPY PROCESSES
Prints one JSON line {"images_per_sec": ..., "images": N}, or {"skip": reason} when PIL/numpy are missing.
"""
import json
import os
import sys
import time


def load(path):
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def main():
    root, out, processes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    start = time.perf_counter()
    files = sorted(os.path.join(d, f) for d, _, names in os.walk(root) for f in names if f.endswith(".png"))
    first = load(files[0])
    x = np.lib.format.open_memmap(out, mode="w+", dtype=np.uint8, shape=(len(files),) + first.shape)
    with Pool(processes) as pool:
        for i, img in enumerate(pool.imap(load, files, chunksize=32)):
            x[i] = img
    x.flush()
    del x
    seconds = time.perf_counter() - start
    print(json.dumps({"images_per_sec": len(files) / seconds, "images": len(files)}))


if __name__ == "__main__":
    try:
        import numpy as np
        from multiprocessing import Pool
        import PIL  # noqa: F401
    except ImportError as e:
        print(json.dumps({"skip": f"{e} (apt-get install python3-pil python3-numpy)"}))
        sys.exit(0)
    main()
