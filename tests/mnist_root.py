"""Build a small MNIST root in torchvision's layout (ROOT/MNIST/raw/<four IDX files>) for tests.

From the real 10,000-digit test set in ../shared/mnist when it is there (the first TRAIN digits
become "train", the last TEST become "test"), else from synthetic digits generated here, so the
tests never need a download. Usable as a command too:

    python tests/mnist_root.py ROOT [--train 8000] [--test 2000] [--synthetic]
"""
import argparse
import gzip
import sys
from pathlib import Path

import torch

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "mnist"


def idx_bytes(t: torch.Tensor) -> bytes:
    """The IDX encoding of a uint8 tensor: magic (0, 0, 8, ndim), big-endian sizes, bytes."""
    header = bytes([0, 0, 8, t.dim()]) + b"".join(int(s).to_bytes(4, "big") for s in t.shape)
    return header + t.contiguous().numpy().tobytes()


def read_idx(raw: bytes) -> torch.Tensor:
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(shape)


def synthetic_digits(n: int, seed: int = 0):
    """Learnable fake digits: each class is a bright bar at its own place, plus noise."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g, dtype=torch.uint8)
    images = (torch.rand(n, 28, 28, generator=g) * 60).to(torch.uint8)
    for c in range(10):
        rows = slice(2 + 2 * c, 5 + 2 * c)
        images[labels == c, rows, 4:24] = 230
    return images, labels


def source_digits(synthetic: bool = False):
    if not synthetic and (SHARED / "t10k-images-idx3-ubyte.gz").is_file():
        images = read_idx(gzip.open(SHARED / "t10k-images-idx3-ubyte.gz").read())
        labels = read_idx(gzip.open(SHARED / "t10k-labels-idx1-ubyte.gz").read())
        return images, labels, "real"
    images, labels = synthetic_digits(10_000)
    return images, labels, "synthetic"


def build(root, train: int = 8000, test: int = 2000, synthetic: bool = False, repeat_to: int = 0) -> str:
    """Write the root; `repeat_to` tiles the training digits up to that many (timing only)."""
    images, labels, kind = source_digits(synthetic)
    if train + test > len(images):
        raise ValueError(f"only {len(images)} digits to split into {train} + {test}")
    tr_x, tr_y = images[:train], labels[:train]
    if repeat_to > train:
        reps = -(-repeat_to // train)
        tr_x, tr_y = tr_x.repeat(reps, 1, 1)[:repeat_to], tr_y.repeat(reps)[:repeat_to]
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, t in (("train-images-idx3-ubyte", tr_x), ("train-labels-idx1-ubyte", tr_y),
                    ("t10k-images-idx3-ubyte", images[-test:]), ("t10k-labels-idx1-ubyte", labels[-test:])):
        (raw / name).write_bytes(idx_bytes(t))
    return kind


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("root")
    p.add_argument("--train", type=int, default=8000)
    p.add_argument("--test", type=int, default=2000)
    p.add_argument("--repeat-to", type=int, default=0, help="tile the train digits to N (timing runs)")
    p.add_argument("--synthetic", action="store_true")
    a = p.parse_args()
    kind = build(a.root, a.train, a.test, a.synthetic, a.repeat_to)
    print(f"wrote a {kind} MNIST root at {a.root}", file=sys.stderr)
