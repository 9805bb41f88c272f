#!/usr/bin/env bash
# The quick start, on a Debian 12 machine with the .NET SDK, as root: installs what is missing (Incus, PowerShell),
# builds the module, launches a small "demo" container, backs it up into ./quickstart-repo, restores it beside the
# original as "demo-restored", shows the file coming back and the table of backups. Exits 0 only if all of it worked.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ "$(id -u)" -ne 0 ]; then
    echo "Run the quick start as root: it installs and starts Incus." >&2
    exit 1
fi
bash scripts/setup-incus.sh
PATH="$PATH:$(bash scripts/setup-pwsh.sh)"
export PATH
pwsh -NoProfile -NonInteractive -File ./build.ps1 -Task QuickStart
