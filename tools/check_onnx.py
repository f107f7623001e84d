#!/usr/bin/python3
"""Runs the official ONNX checker (full_check: type and shape inference too) over every graph of a model package.

Usage: /usr/bin/python3 tools/check_onnx.py models/default
Needs Debian's python3-onnx (1.12, opset <= 17, IR <= 8); exits non-zero naming the first graph that fails.
"""
import pathlib
import sys

import onnx


def main(package: str) -> int:
    graphs = sorted(pathlib.Path(package).glob("*.onnx"))
    if not graphs:
        print(f"{package}: no .onnx files", file=sys.stderr)
        return 1
    for path in graphs:
        model = onnx.load(str(path))
        try:
            onnx.checker.check_model(model, full_check=True)
        except onnx.checker.ValidationError as error:
            print(f"{path}: INVALID: {error}", file=sys.stderr)
            return 1
        print(f"{path}: valid (onnx {onnx.__version__}, IR {model.ir_version}, opset {model.opset_import[0].version}, {len(model.graph.node)} nodes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "models/default"))
