"""What the ANN benchmark scripts share: .fvecs/.ivecs writing and exact top-k ground truth."""
import numpy as np


def write_vecs(path, data, dtype):
    """Rows as .fvecs (dtype float32) or .ivecs (int32): each row its width as int32, then its values."""
    rows, cols = data.shape
    out = np.empty((rows, cols + 1), dtype=np.int32)
    out[:, 0] = cols
    out[:, 1:] = data.astype(dtype).view(np.int32)
    out.tofile(path)


def exact_top_k(queries, base, k, batch=256):
    """Each query's k best rows of base by inner product, best first (ties by lower row)."""
    gt = np.empty((len(queries), k), dtype=np.int32)
    for start in range(0, len(queries), batch):
        scores = queries[start : start + batch] @ base.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        gt[start : start + batch] = np.take_along_axis(top, order, axis=1)
    return gt
