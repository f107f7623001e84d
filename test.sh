#!/usr/bin/env bash
# The test command from the README: checks (and, as root, installs) the Debian packages the tests need, builds
# everything (Release) and runs every test project. Ends with one summary line "N passed, N failed" summed over the
# projects.
set -euo pipefail
cd "$(dirname "$0")"
tools/test-prerequisites.sh
dotnet build Karma.Serving.sln -c Release
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test Karma.Serving.sln -c Release --no-build --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?
passed=$(awk '/^ +Passed: +[0-9]+$/ {s += $2} END {print s + 0}' "$log")
failed=$(awk '/^ +Failed: +[0-9]+$/ {s += $2} END {print s + 0}' "$log")
echo "${passed} passed, ${failed} failed"
exit "$status"
