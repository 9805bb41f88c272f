# The `scale` section's synthetic repository (backup-bench.sh): clones the one backup of a real directory repository
# (-Template, written by Backup-IncusInstance) into -Instances × -Versions backups under -Destination, so that
# Get-IncusBackup and Remove-IncusBackup read exactly what the module writes.
#
# Each clone is a version folder instances/<Project>/<name>/<version>/ with:
#   manifest.json  the template's bytes with the top-level project, name, version, created_at and completed_at (and
#                  the source object's name and project) replaced, so the record is that instance at that time;
#   checksums.txt  regenerated: the archive's line as it was, the new manifest's sha256 (sha256sum -c passes);
#   the archive    a hard link to a copy of the template's archive (one copy per 30,000 links, below ext4's limit of
#                  65,000), so 100,000 backups take about 1.2 GiB (folders, manifests, checksums) and a few MiB of archives.
# Instances are s0001, s0002…; version j of instance i is 2026-01-01 02:00:00 UTC + j days + i seconds (a nightly
# backup). The archive still holds the template container (its index.yaml names it): restoring a clone restores that
# container, which the benchmark never does. Writes into <Destination>.tmp-<pid> and renames it into place when done,
# so an interrupted run leaves no half repository under -Destination. Prints the time it took.
param(
    [Parameter(Mandatory)] [string] $Template,
    [Parameter(Mandatory)] [string] $Destination,
    [ValidateRange(1, 1000000)] [int] $Instances = 10,
    [ValidateRange(1, 100000)] [int] $Versions = 100,
    [string] $Project = 'bench-scale'
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Add-Type -Namespace IncusBench -Name Posix -MemberDefinition @'
[System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
public static extern int link(string oldpath, string newpath);
'@

$clock = [System.Diagnostics.Stopwatch]::StartNew()
$versionFolders = @(Get-ChildItem -Directory -Path (Join-Path $Template 'instances/*/*/*'))
if ($versionFolders.Count -ne 1) { throw "expected exactly one instance backup in '$Template', found $($versionFolders.Count)" }
$source = $versionFolders[0].FullName
$manifestText = [System.IO.File]::ReadAllText((Join-Path $source 'manifest.json'))
$checksumLines = @([System.IO.File]::ReadAllLines((Join-Path $source 'checksums.txt')))
$archiveLine = @($checksumLines | Where-Object { $_ -notmatch '  manifest\.json$' })
if ($archiveLine.Count -ne 1) { throw "expected one archive in '$source/checksums.txt', found $($archiveLine.Count)" }
$archiveName = $archiveLine[0].Substring(66)

# Placeholders for the fields that make a backup this instance's at this time. The manifest is indented by two
# spaces per level (System.Text.Json, WriteIndented), so a top-level field starts its line with exactly two spaces; the
# source object (the instance as the API returned it) comes after them, with its own name and project four spaces in
# (the server object before it has a four-space "name" too, hence the split at "source").
$split = $manifestText.IndexOf("`n  `"source`": {")
if ($split -lt 0) { throw "the template manifest has no top-level source object" }
$head = $manifestText.Substring(0, $split)
$tail = $manifestText.Substring($split)
$fields = [ordered]@{
    '(?m)^  "project": "[^"]*",$'      = '  "project": "@PROJECT@",'
    '(?m)^  "name": "[^"]*",$'         = '  "name": "@NAME@",'
    '(?m)^  "version": "[^"]*",$'      = '  "version": "@VERSION@",'
    '(?m)^  "created_at": "[^"]*",$'   = '  "created_at": "@CREATED@",'
    '(?m)^  "completed_at": "[^"]*",$' = '  "completed_at": "@COMPLETED@",'
}
foreach ($pattern in $fields.Keys) {
    $found = [regex]::Matches($head, $pattern).Count
    if ($found -ne 1) { throw "the template manifest has $found top-level lines matching $pattern, expected 1" }
    $head = [regex]::Replace($head, $pattern, $fields[$pattern])
}
$fields = [ordered]@{
    '(?m)^    "name": "[^"]*",$'    = '    "name": "@NAME@",'
    '(?m)^    "project": "[^"]*",$' = '    "project": "@PROJECT@",'
}
foreach ($pattern in $fields.Keys) {
    $found = [regex]::Matches($tail, $pattern).Count
    if ($found -ne 1) { throw "the template manifest's source has $found lines matching $pattern, expected 1" }
    $tail = [regex]::Replace($tail, $pattern, $fields[$pattern])
}
$manifestText = $head + $tail
$manifestText = $manifestText.Replace('@PROJECT@', $Project)

$work = "$Destination.tmp-$PID"
if (Test-Path $work) { Remove-Item -Recurse -Force $work }
$folderMode = [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute'
$fileMode = [System.IO.UnixFileMode]'UserRead, UserWrite'
$null = [System.IO.Directory]::CreateDirectory($work, $folderMode)
$metadata = Join-Path $Template 'metadata.json'
if (Test-Path $metadata) { Copy-Item $metadata (Join-Path $work 'metadata.json') }
$projectFolder = [System.IO.Directory]::CreateDirectory((Join-Path $work "instances/$Project"), $folderMode).FullName

$utf8 = [System.Text.UTF8Encoding]::new($false)
$start = [datetime]::new(2026, 1, 1, 2, 0, 0, [System.DateTimeKind]::Utc)
$linkSource = $null
$links = 0
for ($i = 1; $i -le $Instances; $i++) {
    $name = 's{0:d4}' -f $i
    $instanceFolder = [System.IO.Directory]::CreateDirectory((Join-Path $projectFolder $name), $folderMode).FullName
    $perName = $manifestText.Replace('@NAME@', $name)
    for ($j = 0; $j -lt $Versions; $j++) {
        $at = $start.AddDays($j).AddSeconds($i)
        $version = $at.ToString("yyyyMMdd'T'HHmmss'Z'", [cultureinfo]::InvariantCulture)
        $folder = [System.IO.Directory]::CreateDirectory((Join-Path $instanceFolder $version), $folderMode).FullName
        $manifest = $utf8.GetBytes($perName.Replace('@VERSION@', $version).
            Replace('@CREATED@', $at.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'+00:00'", [cultureinfo]::InvariantCulture)).
            Replace('@COMPLETED@', $at.AddSeconds(30).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'+00:00'", [cultureinfo]::InvariantCulture)))
        $manifestPath = Join-Path $folder 'manifest.json'
        [System.IO.File]::WriteAllBytes($manifestPath, $manifest)
        [System.IO.File]::SetUnixFileMode($manifestPath, $fileMode)
        $sha = [System.Convert]::ToHexStringLower([System.Security.Cryptography.SHA256]::HashData($manifest))
        $checksumsPath = Join-Path $folder 'checksums.txt'
        [System.IO.File]::WriteAllText($checksumsPath, "$($archiveLine[0])`n$sha  manifest.json`n", $utf8)
        [System.IO.File]::SetUnixFileMode($checksumsPath, $fileMode)
        $archive = Join-Path $folder $archiveName
        if ($null -eq $linkSource -or $links -ge 30000) {
            [System.IO.File]::Copy((Join-Path $source $archiveName), $archive)
            $linkSource = $archive
            $links = 0
        }
        elseif ([IncusBench.Posix]::link($linkSource, $archive) -ne 0) {
            throw "link('$linkSource', '$archive') failed: errno $([System.Runtime.InteropServices.Marshal]::GetLastPInvokeError())"
        }
        $links++
    }
}
if (Test-Path $Destination) { Remove-Item -Recurse -Force $Destination }
[System.IO.Directory]::Move($work, $Destination)
'generated {0} backups ({1} instances × {2} versions) in {3:0.0} s' -f ($Instances * $Versions), $Instances, $Versions, $clock.Elapsed.TotalSeconds
