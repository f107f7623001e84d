#!/usr/bin/env bash
# Profiles the service under load: starts it on a package under dotnet-trace's sampled-thread-time profile, drives it
# with `karma loadtest` (Search only, open loop), then prints where the server's busy time went by layer
# (tools/profile/layers.py). dotnet-trace is a NuGet tool: installed into runs/tools when missing.
#   tools/profile/profile-serve.sh [PACKAGE] [RPS] [SECONDS]      (defaults: models/default 150 20)
# Needs the Release build (dotnet build Karma.Serving.sln -c Release). Output: runs/profile/serve.speedscope.json
# (open it in speedscope.app) and the table on standard output.
set -euo pipefail
cd "$(dirname "$0")/../.."
package=$(realpath "${1:-models/default}"); rps=${2:-150}; seconds=${3:-20}
trace=runs/tools/dotnet-trace
[ -x "$trace" ] || dotnet tool install dotnet-trace --version 10.0.750501 --tool-path runs/tools > /dev/null
bin=src/Karma.Serving/bin/Release/net10.0/linux-x64/Karma.Serving.dll
cli=src/Karma.Cli/bin/Release/net10.0/linux-x64/karma.dll
[ -f "$bin" ] && [ -f "$cli" ] || { echo "build first: dotnet build Karma.Serving.sln -c Release" >&2; exit 1; }
mkdir -p runs/profile
# The cache is off so every call does the whole pipeline; the trace outlives the load by a few seconds.
Karma__ModelPath="$package" Karma__CacheTtlSeconds=0 Logging__LogLevel__Default=Warning \
  "$trace" collect --profile dotnet-sampled-thread-time --format Speedscope --duration "00:00:$((seconds + 20))" \
  -o runs/profile/serve.nettrace -- dotnet "$bin" > runs/profile/trace.log 2>&1 &
traced=$!
for _ in $(seq 1 120); do curl -sf localhost:8080/readyz > /dev/null && break; sleep 0.5; done
curl -sf localhost:8080/readyz > /dev/null || { echo "the service did not become ready; see runs/profile/trace.log" >&2; kill $traced; exit 1; }
dotnet "$cli" loadtest --rps "$rps" --mix search:100 --duration "$seconds" --warmup 2 --concurrency 8 --out runs/profile/loadtest >&2
wait $traced
calls=$(( rps * (seconds + 2) ))
echo "server busy time by layer over about $calls Search calls ($rps/s for $seconds s plus the warm-up):"
tools/profile/layers.py runs/profile/serve.speedscope.json --calls "$calls"
