#!/usr/bin/python3
"""A model package's item-embedding table as ANN benchmark files: base.fvecs (every item's retrieval embedding),
queries.fvecs (N table rows drawn with a fixed seed, plus Gaussian noise: the queries `karma bench recall --package`
uses) and gt.ivecs (each query's exact top-k by inner product, computed here with numpy).

    tools/ann/package_table.py --package runs/package-1m --out runs/ann-1m [--queries 2000] [--k 100] [--noise 0.05]

Then `karma bench recall --vectors OUT/base.fvecs --queries OUT/queries.fvecs --ground-truth OUT/gt.ivecs --metric ip
--peers` compares our HNSW with hnswlib and Faiss on the table the service searches.
"""
import argparse
import json
import os
import struct

import numpy as np

from annfiles import exact_top_k, write_vecs


def read_table(path):
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:8] != b"KARMAVEC":
            raise SystemExit(f"{path}: not a karma vector table (magic {header[:8]!r})")
        version, element_type, rows, cols = struct.unpack_from("<IIQI", header, 8)
        if version != 1 or element_type not in (1, 2):
            raise SystemExit(f"{path}: version {version}, element type {element_type}; this script reads version 1, float32 or float16")
        dtype = np.float32 if element_type == 1 else np.float16
        data = np.fromfile(f, dtype=dtype, count=rows * cols)
    if data.size != rows * cols:
        raise SystemExit(f"{path}: truncated ({data.size} of {rows * cols} numbers)")
    return data.reshape(rows, cols).astype(np.float32)




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with open(os.path.join(args.package, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    base = read_table(os.path.join(args.package, manifest["tables"]["embeddings"]["file"]))
    rng = np.random.default_rng(args.seed)
    rows = rng.integers(0, len(base), size=args.queries)
    queries = (base[rows] + rng.normal(0, args.noise, size=(args.queries, base.shape[1]))).astype(np.float32)
    gt = exact_top_k(queries, base, args.k, batch=64)
    os.makedirs(args.out, exist_ok=True)
    write_vecs(os.path.join(args.out, "base.fvecs"), base, np.float32)
    write_vecs(os.path.join(args.out, "queries.fvecs"), queries, np.float32)
    write_vecs(os.path.join(args.out, "gt.ivecs"), gt, np.int32)
    print(f"wrote {args.out}: base.fvecs {base.shape}, queries.fvecs {queries.shape}, gt.ivecs {gt.shape} (inner product)")


if __name__ == "__main__":
    main()
