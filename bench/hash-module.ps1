# The module's side of the `hash` section of backup-bench.sh: sha256 of one file through the engine's own
# HashingStream (src/IncusBackup.Core/IO/HashingStream.cs), the class every backup archive is written through.
# Prints "<sha256>  <path>" like sha256sum, then "bench-in-process-seconds: S", the time from opening the file to
# the finished hash (pwsh start-up, Import-Module and loading the engine are outside it).
param(
    [Parameter(Mandatory)] [string] $Module,
    [Parameter(Mandatory)] [string] $Path
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module $Module
# The engine lives in the module's private AssemblyLoadContext (src/IncusBackup.Loader), so a type literal such as
# [IncusBackup.IO.HashingStream] does not resolve from a script; ask that context for the engine assembly instead.
$context = [System.Runtime.Loader.AssemblyLoadContext]::All.Where({ $_.Name -eq 'IncusBackup' }, 'First')
if (-not $context) { throw "the IncusBackup load context is missing: is '$Module' the built module?" }
$engine = $context[0].LoadFromAssemblyName([System.Reflection.AssemblyName]::new('IncusBackup.Core'))
$hashingStream = $engine.GetType('IncusBackup.IO.HashingStream', $true)

$clock = [System.Diagnostics.Stopwatch]::StartNew()
# bufferSize 0: no FileStream buffer in the way of 1 MiB reads; SequentialScan: readahead hint, as sha256sum gives.
$file = [System.IO.FileStream]::new($Path, 'Open', 'Read', 'Read', 0, 'SequentialScan')
# Stream.Null as the inner stream: the backup writes the archive file at the same time, which sha256sum does not do.
$hashing = $hashingStream::new([System.IO.Stream]::Null, 512)
try {
    # 1 MiB chunks through WriteAsync, as ServerExport.CopyBodyAsync feeds a download into the HashingStream.
    # ($null =: PowerShell binds the awaiter of the runtime Task<VoidTaskResult> and would print its result.)
    $null = $file.CopyToAsync($hashing, 1MB).GetAwaiter().GetResult()
    $sha256 = $hashing.CompleteAsync([System.Threading.CancellationToken]::None).GetAwaiter().GetResult()
}
finally {
    $file.Dispose()
    $hashing.Dispose()
}
$clock.Stop()

"$sha256  $Path"
'bench-in-process-seconds: ' + $clock.Elapsed.TotalSeconds.ToString('0.000000', [cultureinfo]::InvariantCulture)
