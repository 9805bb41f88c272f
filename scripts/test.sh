#!/usr/bin/env bash
# Builds everything and runs every test: Core unit tests, cmdlet tests in a hosted PowerShell runspace, and
# integration tests against the local incusd. With CI=true an unreachable Incus fails the integration tests
# instead of skipping them. Extra arguments go to `dotnet test` (e.g. --filter Category=Unit).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build IncusBackup.PowerShell.sln -c Release -nologo -v quiet
dotnet test tests/IncusBackup.Tests/IncusBackup.Tests.csproj -c Release --no-build -nologo \
    --logger "console;verbosity=normal" "$@"
