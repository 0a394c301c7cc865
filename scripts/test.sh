#!/usr/bin/env bash
# Sets up the machine (idempotent) and runs every test.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
"$root/scripts/setup.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$root"
dotnet build Vaani.slnx -c Release --nologo -v q -clp:NoSummary
./vaani --version >/dev/null   # the CLI the tests drive builds once, up front
dotnet test Vaani.slnx -c Release --no-build --nologo "$@"
