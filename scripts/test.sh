#!/usr/bin/env bash
# Sets up the machine (idempotent) and runs every test: each .NET test project in turn (the
# functional tests stream audio in real time and should not compete for the 2 cores with the
# engine tests), then the official-SDK tests when present. Ends with "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
"$root/scripts/setup.sh" || exit 1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$root"
dotnet build Vaani.slnx -c Release --nologo -v q -clp:NoSummary || exit 1
./vaani --version >/dev/null || exit 1   # the CLI the tests drive (and the worker binary)

passed=0; failed=0; status=0
log="$(mktemp)"
for project in tests/*/*.Tests.csproj; do
  echo "== $(basename "$project" .csproj)"
  dotnet test "$project" -c Release --no-build --nologo "$@" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  line=$(grep -E "^(Passed|Failed)!" "$log" | tail -1)
  p=$(sed -nE 's/.*Passed: *([0-9]+).*/\1/p' <<<"$line"); f=$(sed -nE 's/.*Failed: *([0-9]+).*/\1/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  [ -n "$line" ] || { echo "no result line from $project"; status=1; }
done
if [ -f tests/sdk/package.json ]; then
  echo "== official SDK tests (tests/sdk)"
  npm --prefix tests/sdk ci --no-audit --no-fund --loglevel=error || status=1
  npm --prefix tests/sdk test 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  p=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$log" | tail -1); f=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$log" | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
fi
rm -f "$log"
echo "$passed passed, $failed failed"
exit $status
