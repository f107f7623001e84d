#!/usr/bin/env bash
# What the tests need besides the .NET SDK, from Debian packages:
#   python3-onnx  the official ONNX checker and the numpy reference evaluator (Karma.Export.Tests, CI's model check)
#   libgomp1      OpenMP, linked by USearch's native library (the HNSW index)
#   redis-server  real Redis instances the cache and publication tests start on free loopback ports
#   python3-grpcio, protobuf-compiler-grpc  the Python client example (examples/python), generated and run against a
#                 real server by PythonClientExampleTests
#   python3-hnswlib, python3-faiss  the peers of `karma bench recall --peers` (tools/ann/peers.py), smoke-run by AnnBenchTests
#   python3-torch  the bring-your-own-model example (examples/pytorch): a tower trained and exported by PyTorch,
#                 imported with `karma package import` and served by ImportedTowerTests
# Installs what is missing when it can (root with apt-get: a CI machine or a container); otherwise prints the one
# command that installs it and exits 1. Called by ./test.sh and .ci/run.
set -euo pipefail
need=()
/usr/bin/python3 -c "import onnx, numpy" 2>/dev/null || need+=(python3-onnx)
ldconfig -p 2>/dev/null | grep -q "libgomp.so.1 " || need+=(libgomp1)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
/usr/bin/python3 -c "import grpc" 2>/dev/null || need+=(python3-grpcio)
[ -x /usr/bin/grpc_python_plugin ] || need+=(protobuf-compiler-grpc)
/usr/bin/python3 -c "import torch" 2>/dev/null || need+=(python3-torch)
/usr/bin/python3 -c "import hnswlib" 2>/dev/null || need+=(python3-hnswlib)
/usr/bin/python3 -c "import faiss" 2>/dev/null || need+=(python3-faiss)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null; then
  echo "test prerequisites: installing ${need[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" > /dev/null
  exit 0
fi
echo "test prerequisites missing: ${need[*]}" >&2
echo "install them with:  sudo apt-get install -y ${need[*]}" >&2
exit 1
