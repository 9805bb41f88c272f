#!/usr/bin/env bash
# Builds everything and runs every test: Core unit tests, cmdlet tests in a hosted PowerShell runspace, and
# integration tests against the local incusd. With CI=true an unreachable Incus fails the integration tests
# instead of skipping them. Extra arguments go to `dotnet test` (e.g. --filter FullyQualifiedName~Restore).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build IncusBackup.PowerShell.sln -c Release -nologo -v quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test tests/IncusBackup.Tests/IncusBackup.Tests.csproj -c Release --no-build -nologo \
    --logger "console;verbosity=normal" "$@" | tee "$log" || status=$?
passed=$(sed -n 's/^ *Passed: *\([0-9]*\)$/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/^ *Failed: *\([0-9]*\)$/\1/p' "$log" | tail -n 1)
skipped=$(sed -n 's/^ *Skipped: *\([0-9]*\)$/\1/p' "$log" | tail -n 1)
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
