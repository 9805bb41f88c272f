#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds IncusBackup, runs its tests, or runs the quick start.
.DESCRIPTION
    Build      dotnet build (Release); the importable module lands in ./module/IncusBackup.
    Test       scripts/test.sh: unit, cmdlet and integration tests (integration needs a local incusd).
    QuickStart scripts/setup-incus.sh (installs and starts Incus if needed; needs root), Build, then backs up a
               small demo container into ./quickstart-repo and lists the result.
    Only core PowerShell and .NET calls are used, so this also runs in minimal hosts of the PowerShell engine.
.EXAMPLE
    sudo pwsh ./build.ps1 -Task QuickStart
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'QuickStart')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot

function Invoke-Native([string] $File, [string[]] $Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
    Invoke-Native dotnet @('build', [System.IO.Path]::Combine($root, 'IncusBackup.PowerShell.sln'), '-c', $Configuration, '-nologo', '-v', 'quiet')
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Native bash @([System.IO.Path]::Combine($root, 'scripts', 'test.sh')) }
    'QuickStart' {
        Invoke-Native bash @([System.IO.Path]::Combine($root, 'scripts', 'setup-incus.sh'))
        Invoke-Build
        # A small running container with a file worth keeping.
        & incus info demo *> $null
        if ($LASTEXITCODE -ne 0) {
            Invoke-Native incus @('launch', 'busybox-test', 'demo')
            Invoke-Native incus @('exec', 'demo', '--', 'sh', '-c', 'echo "hello from demo" > /root/hello.txt')
        }
        Import-Module ([System.IO.Path]::Combine($root, 'module', 'IncusBackup')) -Force
        $repository = 'dir:' + [System.IO.Path]::Combine($root, 'quickstart-repo')
        Backup-IncusInstance -Name demo -Target $repository -Verbose
        Get-IncusBackup -Target $repository
    }
}
