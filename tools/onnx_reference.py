#!/usr/bin/python3
"""An independent ONNX evaluator: numpy implementations of the operators our exporter emits, written from the
ONNX operator specification. Runs a graph on the inputs of a case file and compares with the outputs ONNX
Runtime produced, so the export is shown not to depend on quirks of the runtime we serve with.

Usage: /usr/bin/python3 tools/onnx_reference.py MODEL.onnx CASE.json [TOLERANCE]
CASE.json: {"inputs": {name: {"dtype": "float32"|"int64", "shape": [...], "data": [...]}}, "outputs": {...}}
Exit 0 when every output matches within TOLERANCE (default 1e-4); 1 otherwise; 2 for an unsupported operator.
"""
import json
import math
import sys

import numpy as np
import onnx
from onnx import numpy_helper

_erf = np.vectorize(math.erf, otypes=[np.float64])


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def gather_nd(data, indices, batch_dims):
    assert batch_dims == 1, "only batch_dims=1 is used"
    out = [data[b][tuple(indices[b].T)] if indices.shape[-1] > 1 else data[b][indices[b][..., 0]] for b in range(data.shape[0])]
    return np.stack(out)


def run(model, feeds):
    env = dict(feeds)
    for init in model.graph.initializer:
        env[init.name] = numpy_helper.to_array(init)
    for node in model.graph.node:
        i = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Identity": y = i[0]
        elif op == "Add": y = i[0] + i[1]
        elif op == "Sub": y = i[0] - i[1]
        elif op == "Mul": y = i[0] * i[1]
        elif op == "Div": y = i[0] / i[1]
        elif op == "Neg": y = -i[0]
        elif op == "Max": y = np.maximum(i[0], i[1])
        elif op == "Sqrt": y = np.sqrt(i[0])
        elif op == "Sigmoid": y = 1.0 / (1.0 + np.exp(-i[0]))
        elif op == "Erf": y = _erf(i[0]).astype(i[0].dtype)
        elif op == "MatMul": y = np.matmul(i[0], i[1])
        elif op == "Softmax":
            axis = attr(node, "axis", -1)
            z = i[0] - np.max(i[0], axis=axis, keepdims=True)
            e = np.exp(z)
            y = e / np.sum(e, axis=axis, keepdims=True)
        elif op == "Gather": y = np.take(i[0], i[1], axis=attr(node, "axis", 0))
        elif op == "GatherND": y = gather_nd(i[0], i[1], attr(node, "batch_dims", 0))
        elif op == "Equal": y = i[0] == i[1]
        elif op == "Where": y = np.where(i[0], i[1], i[2])
        elif op == "Cast": y = i[0].astype(onnx.helper.tensor_dtype_to_np_dtype(attr(node, "to")))
        elif op == "Unsqueeze": y = np.expand_dims(i[0], tuple(int(a) for a in i[1]))
        elif op == "Squeeze": y = np.squeeze(i[0], axis=tuple(int(a) for a in i[1]))
        elif op == "Reshape":
            shape = [int(s) if s != 0 else i[0].shape[k] for k, s in enumerate(i[1])]
            y = np.reshape(i[0], shape)
        elif op == "Transpose": y = np.transpose(i[0], attr(node, "perm"))
        elif op == "Concat": y = np.concatenate(i, axis=attr(node, "axis"))
        elif op == "Shape":
            shape = np.array(i[0].shape, dtype=np.int64)
            start, end = attr(node, "start", 0), attr(node, "end", None)
            y = shape[start:end]
        elif op == "Slice":
            x, starts, ends, axes = i[0], i[1], i[2], i[3]
            index = [slice(None)] * x.ndim
            for s, e, a in zip(starts, ends, axes):
                index[int(a)] = slice(int(s), int(e))
            y = x[tuple(index)]
        elif op == "ReduceMean": y = np.mean(i[0], axis=tuple(attr(node, "axes")), keepdims=bool(attr(node, "keepdims", 1)))
        elif op == "ReduceSum": y = np.sum(i[0], axis=tuple(int(a) for a in i[1]), keepdims=bool(attr(node, "keepdims", 1)))
        elif op == "OneHot":
            depth = int(np.asarray(i[1]).reshape(-1)[0])
            hot = np.expand_dims(i[0], -1) == np.arange(depth)
            y = np.where(hot, i[2][1], i[2][0]).astype(i[2].dtype)
            axis = attr(node, "axis", -1)
            if axis != -1:
                y = np.moveaxis(y, -1, axis)
        elif op == "Expand": y = i[0] * np.ones(tuple(int(s) for s in i[1]), dtype=i[0].dtype)
        else:
            print(f"unsupported operator {op}", file=sys.stderr)
            sys.exit(2)
        env[node.output[0]] = y
    return {o.name: env[o.name] for o in model.graph.output}


def main():
    model = onnx.load(sys.argv[1])
    case = json.load(open(sys.argv[2]))
    tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
    feeds = {k: np.array(v["data"], dtype=v["dtype"]).reshape(v["shape"]) for k, v in case["inputs"].items()}
    outputs = run(model, feeds)
    worst = 0.0
    for name, expected in case["outputs"].items():
        want = np.array(expected["data"], dtype=np.float64).reshape(expected["shape"])
        got = outputs[name].astype(np.float64)
        if got.shape != want.shape:
            print(f"{name}: shape {got.shape}, runtime gave {want.shape}")
            return 1
        if not np.all(np.isfinite(got)) or not np.all(np.isfinite(want)):
            print(f"{name}: non-finite values (numpy {np.isfinite(got).all()}, onnxruntime {np.isfinite(want).all()})")
            return 1
        diff = float(np.max(np.abs(got - want))) if want.size else 0.0
        worst = max(worst, diff)
        print(f"{name}: max |numpy - onnxruntime| = {diff:.3e}")
    return 0 if worst <= tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
