# The module's side of the `scale` section of backup-bench.sh: one read of a big directory repository, timed inside
# pwsh (Import-Module and pwsh start-up are outside the time). Prints "bench-records: N" (records returned; for
# Retention, which writes its "What if:" lines to the host, the caller counts those instead) and
# "bench-in-process-seconds: S".
#   List       Get-IncusBackup -Target dir:R            every backup, as a script keeps them ($records = …)
#   Latest     Get-IncusBackup -Target dir:R -Latest    the newest backup of each resource
#   Retention  Remove-IncusBackup -Target dir:R -KeepLast K -WhatIf   the retention plan, nothing removed
param(
    [Parameter(Mandatory)] [string] $Module,
    [Parameter(Mandatory)] [string] $Repository,
    [Parameter(Mandatory)] [ValidateSet('List', 'Latest', 'Retention')] [string] $Operation,
    [int] $KeepLast = 3
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module $Module
$target = "dir:$Repository"
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$records = switch ($Operation) {
    'List' { Get-IncusBackup -Target $target }
    'Latest' { Get-IncusBackup -Target $target -Latest }
    'Retention' { Remove-IncusBackup -Target $target -KeepLast $KeepLast -WhatIf }
}
$clock.Stop()

'bench-records: ' + @($records).Count
'bench-in-process-seconds: ' + $clock.Elapsed.TotalSeconds.ToString('0.000000', [cultureinfo]::InvariantCulture)
