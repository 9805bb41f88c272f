#!/usr/bin/env bash
# Builds everything and runs every test: xunit (engine unit tests, cmdlet tests in a hosted runspace, integration
# tests against the local incusd) with line and branch coverage of the engine (IncusBackup.Core, at least 80% of
# lines), then the Pester suite in real pwsh (tests/pester: what users see). With CI=true an unreachable Incus fails
# the integration tests instead of skipping them. Extra arguments go to `dotnet test` (e.g. --filter
# FullyQualifiedName~Restore; the coverage floor then only warns, and Pester is skipped).
# The last line is "N passed, N failed", over xunit and Pester together.
set -euo pipefail
cd "$(dirname "$0")/.."
min_line_coverage=80

PATH="$PATH:$(bash scripts/setup-pwsh.sh)"
export PATH
dotnet build IncusBackup.PowerShell.sln -c Release -nologo -v quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
dotnet test tests/IncusBackup.Tests/IncusBackup.Tests.csproj -c Release --no-build -nologo \
    --logger "console;verbosity=normal" \
    --collect:"XPlat Code Coverage" --settings tests/coverage.runsettings --results-directory "$work/results" \
    "$@" | tee "$work/log" || status=$?
passed=$(sed -n 's/^ *Passed: *\([0-9]*\)$/\1/p' "$work/log" | tail -n 1)
failed=$(sed -n 's/^ *Failed: *\([0-9]*\)$/\1/p' "$work/log" | tail -n 1)
skipped=$(sed -n 's/^ *Skipped: *\([0-9]*\)$/\1/p' "$work/log" | tail -n 1)

report=$(find "$work/results" -name coverage.cobertura.xml | head -n 1)
if [ -n "$report" ]; then
    attr() { sed -n "s/.*<coverage [^>]*\b$1=\"\([0-9]*\)\".*/\1/p" "$report" | head -n 1; }
    lines_valid=$(attr lines-valid); lines_covered=$(attr lines-covered)
    branches_valid=$(attr branches-valid); branches_covered=$(attr branches-covered)
    percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }'; }
    echo "IncusBackup.Core coverage: lines $(percent "$lines_covered" "$lines_valid")% ($lines_covered of $lines_valid)," \
        "branches $(percent "$branches_covered" "$branches_valid")% ($branches_covered of $branches_valid)"
    if [ $# -eq 0 ] && [ $((lines_covered * 100)) -lt $((lines_valid * min_line_coverage)) ]; then
        echo "IncusBackup.Core line coverage is below ${min_line_coverage}%." >&2
        status=1
    fi
else
    echo "No coverage report was written." >&2
    status=1
fi
echo "xunit: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"

pester_passed=0 pester_failed=0
if [ $# -eq 0 ]; then
    pwsh -NoProfile -NonInteractive -File tests/pester/Invoke-PesterSuite.ps1 | tee "$work/pester" || status=1
    summary=$(grep -a '^Pester: ' "$work/pester" | tail -n 1)
    pester_passed=$(sed -n 's/^Pester: \([0-9]*\) passed.*/\1/p' <<<"$summary")
    pester_failed=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$summary")
    if [ -z "$summary" ]; then echo "Pester did not report a summary." >&2; status=1; pester_failed=1; fi
    echo "$summary"
fi
echo "$(( ${passed:-0} + ${pester_passed:-0} )) passed, $(( ${failed:-0} + ${pester_failed:-0} )) failed"
exit "$status"
