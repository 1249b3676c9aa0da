"""Peers benchmark: what a Python user would write. numpy memmap fancy indexing, or a PyTorch DataLoader.

usage: peers_numpy.py numpy NPY ORDER BATCH SECONDS
       peers_numpy.py torch-memmap NPY ORDER BATCH SECONDS WORKERS
       peers_numpy.py torch-png PNG_LIST ORDER BATCH SECONDS WORKERS
Prints one JSON line {"samples_per_sec": ...}, or {"skip": reason} when the runtime is missing.
"""
import json
import sys
import time

import numpy as np


def numpy_rate(npy, order, batch, seconds):
    x = np.load(npy, mmap_mode="r")
    n, k, end = 0, 0, time.perf_counter() + seconds
    start = time.perf_counter()
    nb = (len(order) + batch - 1) // batch
    while time.perf_counter() < end:
        idx = order[(k % nb) * batch:(k % nb + 1) * batch]
        out = x[idx]  # fancy indexing copies into a fresh contiguous (batch, H, W) array
        n += len(out)
        k += 1
    return n / (time.perf_counter() - start)


def torch_rate(kind, src, order, batch, seconds, workers):
    try:
        import torch
        from torch.utils.data import DataLoader, Dataset
    except ImportError as e:
        return {"skip": f"PyTorch not installed ({e}); apt-get install python3-torch"}

    class Memmap(Dataset):
        def __init__(self):
            self.x = None

        def __len__(self):
            return len(order)

        def __getitem__(self, i):
            if self.x is None:  # opened in each worker process
                self.x = np.load(src, mmap_mode="r")
            return torch.from_numpy(np.array(self.x[order[i]]))

    class Pngs(Dataset):
        def __init__(self):
            with open(src) as f:
                self.files = f.read().split("\n")

        def __len__(self):
            return len(order)

        def __getitem__(self, i):
            from PIL import Image
            return torch.from_numpy(np.array(Image.open(self.files[order[i]])))

    ds = Memmap() if kind == "torch-memmap" else Pngs()
    loader = DataLoader(ds, batch_size=batch, shuffle=False, num_workers=workers, persistent_workers=workers > 0)
    n, start = 0, None
    while True:
        for b in loader:
            if start is None:  # the first batch pays for worker start-up: not counted
                start = time.perf_counter()
                continue
            n += len(b)
            if time.perf_counter() - start >= seconds:
                return {"samples_per_sec": n / (time.perf_counter() - start)}


def main():
    kind, src, order_file, batch, seconds = sys.argv[1:6]
    order = np.fromfile(order_file, dtype="<u4")
    batch, seconds = int(batch), float(seconds)
    if kind == "numpy":
        out = {"samples_per_sec": numpy_rate(src, order, batch, seconds)}
    else:
        out = torch_rate(kind, src, order, batch, seconds, int(sys.argv[6]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
