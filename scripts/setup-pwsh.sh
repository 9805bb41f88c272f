#!/usr/bin/env bash
# Installs the real PowerShell (pwsh 7.6.9) as a global .NET tool when no pwsh 7.6 is on PATH, and prints the
# folder that holds it. Source-free use:  PATH="$PATH:$(bash scripts/setup-pwsh.sh)"
set -euo pipefail

log() { printf '[setup-pwsh] %s\n' "$*" >&2; }
version=7.6.9
tools="${DOTNET_TOOLS_DIR:-$HOME/.dotnet/tools}"

if command -v pwsh >/dev/null 2>&1 && pwsh -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' | grep -q '^7\.6\.'; then
    dirname "$(command -v pwsh)"
    exit 0
fi
if [ ! -x "$tools/pwsh" ]; then
    log "installing PowerShell $version as a .NET tool into $tools"
    dotnet tool install --global PowerShell --version "$version" >/dev/null
fi
"$tools/pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' >/dev/null
echo "$tools"
