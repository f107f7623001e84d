#!/usr/bin/python3
"""The peers of `karma bench recall --peers`: hnswlib and Faiss (IndexHNSWFlat) on the same files and settings.

    tools/ann/peers.py --base B.fvecs --queries Q.fvecs --ground-truth GT.ivecs --k 10 --m 16 --ef-construction 200 \\
        --ef 10,20,40,80 [--metric cosine|ip] [--threads 1] [--libraries hnswlib,faiss]

Prints one JSON object per library on stdout: {"library", "version", "build_seconds", "points": [{"ef", "recall",
"queries_per_second"}]}. Queries run one at a time (as a service serves a request), single-threaded unless --threads
says otherwise, after one untimed warm-up pass. Recall is |found top-k ∩ true top-k| / k, averaged over queries.
Needs Debian's python3-hnswlib and/or python3-faiss; a library that is not installed is reported as
{"library": ..., "error": "..."} and the others still run.
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def read_vecs(path, dtype):
    if path.endswith(".npy"):
        return np.load(path)
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        raise SystemExit(f"{path}: empty")
    dim = raw[0]
    return raw.reshape(-1, dim + 1)[:, 1:].copy().view(dtype)


def recall(found, truth, k):
    return float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth)]))


def run_hnswlib(base, queries, truth, args):
    import hnswlib

    index = hnswlib.Index(space="ip", dim=base.shape[1])
    start = time.perf_counter()
    index.init_index(max_elements=len(base), M=args.m, ef_construction=args.ef_construction, random_seed=100)
    index.set_num_threads(args.build_threads)
    index.add_items(base, np.arange(len(base)))
    build = time.perf_counter() - start
    index.set_num_threads(args.threads)
    points = []
    for ef in args.ef:
        index.set_ef(max(ef, args.k))
        index.knn_query(queries[:100], k=args.k)
        found = []
        start = time.perf_counter()
        for q in queries:
            labels, _ = index.knn_query(q, k=args.k)
            found.append(labels[0])
        elapsed = time.perf_counter() - start
        points.append({"ef": ef, "recall": recall(found, truth, args.k), "queries_per_second": len(queries) / elapsed})
    return {"library": "hnswlib", "version": getattr(hnswlib, "__version__", "debian"), "build_seconds": build, "points": points}


def run_faiss(base, queries, truth, args):
    import faiss

    faiss.omp_set_num_threads(args.build_threads)
    index = faiss.IndexHNSWFlat(base.shape[1], args.m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = args.ef_construction
    start = time.perf_counter()
    index.add(base)
    build = time.perf_counter() - start
    faiss.omp_set_num_threads(args.threads)
    points = []
    for ef in args.ef:
        index.hnsw.efSearch = max(ef, args.k)
        index.search(queries[:100], args.k)
        found = []
        start = time.perf_counter()
        for q in queries:
            _, labels = index.search(q.reshape(1, -1), args.k)
            found.append(labels[0])
        elapsed = time.perf_counter() - start
        points.append({"ef": ef, "recall": recall(found, truth, args.k), "queries_per_second": len(queries) / elapsed})
    return {"library": "faiss", "version": faiss.__version__, "build_seconds": build, "points": points}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--ground-truth", required=True)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--ef", type=lambda s: [int(x) for x in s.split(",")], default=[10, 20, 40, 80])
    parser.add_argument("--metric", choices=["cosine", "ip"], default="cosine")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--build-threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--libraries", default="hnswlib,faiss")
    args = parser.parse_args()

    base = np.ascontiguousarray(read_vecs(args.base, np.float32), dtype=np.float32)
    queries = np.ascontiguousarray(read_vecs(args.queries, np.float32), dtype=np.float32)
    truth = read_vecs(args.ground_truth, np.int32)
    if len(truth) < len(queries) or truth.shape[1] < args.k:
        raise SystemExit(f"{args.ground_truth}: {truth.shape} neighbours, need {len(queries)} x {args.k}")
    if args.metric == "cosine":
        base /= np.maximum(np.linalg.norm(base, axis=1, keepdims=True), 1e-12)
        queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    runners = {"hnswlib": run_hnswlib, "faiss": run_faiss}
    for name in args.libraries.split(","):
        try:
            result = runners[name](base, queries, truth, args)
        except ImportError as e:
            result = {"library": name, "error": f"not installed ({e}); sudo apt-get install python3-{name}"}
        print(json.dumps(result), flush=True)
        print(f"[peers] {name}: " + (result.get("error") or ", ".join(
            f"ef {p['ef']} recall {p['recall']:.4f} {p['queries_per_second']:.0f} q/s" for p in result["points"])), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
