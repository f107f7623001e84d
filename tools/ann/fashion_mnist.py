#!/usr/bin/python3
"""Fashion-MNIST as ANN benchmark files: base.fvecs (60,000 x 784 training images), queries.fvecs (the first N test
images) and gt.ivecs (each query's exact top-k by cosine over the base, computed here with numpy).

    tools/ann/fashion_mnist.py --out runs/fashion-mnist [--queries 2000] [--k 100]

Reads Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, idx files, gzipped or not). Vectors are the
raw pixel values as float32; cosine is the metric, so `karma bench recall --metric cosine` and tools/ann/peers.py
normalize them the same way.
"""
import argparse
import gzip
import os
import struct

import numpy as np

from annfiles import exact_top_k, write_vecs

SOURCE = "/usr/share/datasets/fashion-mnist"


def read_images(name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(SOURCE, candidate)
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
                if magic != 2051:
                    raise SystemExit(f"{path}: not an idx image file (magic {magic})")
                return np.frombuffer(f.read(), dtype=np.uint8).reshape(count, rows * cols).astype(np.float32)
    raise SystemExit(f"{name} not found under {SOURCE}: sudo apt-get install dataset-fashion-mnist")




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--k", type=int, default=100)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    base = read_images("train-images-idx3-ubyte")
    queries = read_images("t10k-images-idx3-ubyte")[: args.queries]
    unit = base / np.maximum(np.linalg.norm(base, axis=1, keepdims=True), 1e-12)
    q = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    gt = exact_top_k(q, unit, args.k)
    write_vecs(os.path.join(args.out, "base.fvecs"), base, np.float32)
    write_vecs(os.path.join(args.out, "queries.fvecs"), queries, np.float32)
    write_vecs(os.path.join(args.out, "gt.ivecs"), gt, np.int32)
    print(f"wrote {args.out}: base.fvecs {base.shape}, queries.fvecs {queries.shape}, gt.ivecs {gt.shape} (cosine)")


if __name__ == "__main__":
    main()
