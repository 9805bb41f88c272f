#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Runs the Pester tests of what users see (tests/pester/*.Tests.ps1) in this real pwsh, against the built module.
.DESCRIPTION
    Pester 6.2.0 comes from the NuGet package the test project downloads (PackageDownload), so a restore of the
    solution is all it needs. The last line is "Pester: N passed, N failed, N skipped"; the exit code is 0 only when
    nothing failed. With $env:CI = 'true' the tests that need Incus fail instead of skipping when it is unreachable.
#>
[CmdletBinding()]
param(
    # Run only the tests whose full name matches (Pester's -FullNameFilter).
    [string[]] $FullNameFilter
)
$ErrorActionPreference = 'Stop'
$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
$pester = Join-Path $packages 'pester/6.2.0/tools/Pester.psd1'
if (-not (Test-Path -LiteralPath $pester)) {
    throw "Pester 6.2.0 is not in $packages. Run: dotnet restore IncusBackup.PowerShell.sln"
}
Import-Module $pester -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($FullNameFilter) { $configuration.Filter.FullName = $FullNameFilter }
$result = Invoke-Pester -Configuration $configuration
# CI shows only the end of the output: name what failed there, with the first line of why.
foreach ($failed in $result.Failed) {
    $why = ($failed.ErrorRecord | Select-Object -First 1 | ForEach-Object { "$_" }) -split "`n" | Select-Object -First 1
    "FAILED: $($failed.ExpandedPath): $why"
}
foreach ($failed in @($result.FailedBlocks) + @($result.FailedContainers)) {
    if ($failed) { "FAILED (setup): $($failed.ExpandedPath ?? $failed.Item): $($failed.ErrorRecord | Select-Object -First 1)" }
}
"Pester: $($result.PassedCount) passed, $($result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount) failed, $($result.SkippedCount) skipped"
exit ([int]($result.Result -ne 'Passed'))
