#!/usr/bin/env bash
# Generates the Python modules for the karma.v1 API from protos/ into examples/python/gen/ with Debian's protoc and
# gRPC plugin (apt-get install protobuf-compiler-grpc python3-grpcio). Both come from the same protobuf release as
# Debian's python3-protobuf runtime, so the generated code matches it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
protos="$here/../../protos"
rm -rf "$here/gen" && mkdir -p "$here/gen"
protoc -I "$protos" --python_out="$here/gen" --grpc_out="$here/gen" --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
  "$protos"/karma/v1/retrieval.proto "$protos"/karma/v1/admin.proto
echo "generated $(cd "$here/gen" && find . -name '*.py' | sort | tr '\n' ' ')"
