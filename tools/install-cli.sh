#!/usr/bin/env bash
# Installs `karma` as a .NET tool from this checkout: packs src/Karma.Cli (Release) into artifacts/packages and
# installs or reinstalls it from there. Default: a global tool (~/.dotnet/tools/karma). Extra arguments go to
# `dotnet tool update`, e.g. `--tool-path DIR` for a private copy (CI installs it that way and runs it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/artifacts/packages"
echo "karma: packing the CLI into $out (about a minute; the package carries ONNX Runtime, libtorch and USearch for linux-x64)" >&2
dotnet pack "$root/src/Karma.Cli" -c Release -o "$out" -v quiet -nologo > /dev/null
[ $# -eq 0 ] && set -- --global
# Uninstall first: the package version moves with releases, not with every local change, and `dotnet tool update`
# keeps an installed copy of the same version.
dotnet tool uninstall Karma.Cli "$@" > /dev/null 2>&1 || true
dotnet tool install Karma.Cli --add-source "$out" --ignore-failed-sources "$@"
if [ "$1" = "--global" ] && ! command -v karma > /dev/null; then
  echo "karma is installed in $HOME/.dotnet/tools, which is not on PATH: export PATH=\"\$PATH:\$HOME/.dotnet/tools\"" >&2
fi
