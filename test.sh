#!/usr/bin/env bash
# The test command from the README: builds everything (Release) and runs every test project.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build Karma.Serving.sln -c Release
dotnet test Karma.Serving.sln -c Release --no-build --logger "console;verbosity=normal"
