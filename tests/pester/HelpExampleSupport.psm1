# What HelpExamples.Tests.ps1 needs: the examples of help/<Cmdlet>.md, a pwsh of their own to run each one in, the
# comparison of what a run printed with what the help shows, and the world the examples name.
Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1')

# The repository folder the examples name. The tests never write there: every run points it at a temporary folder.
$script:HelpRepository = '/srv/incus-backups'

# The examples of one help file, in order: Number, Title, Code (what a user types: the lines after "PS> " and ">> ",
# or the whole block when it has no prompt), and Expected (the other lines of a block with prompts: the output shown).
function Get-HelpExample {
    param([Parameter(Mandatory)] [string] $Path)
    $cmdlet = [System.IO.Path]::GetFileNameWithoutExtension($Path)
    $lines = Get-Content -LiteralPath $Path
    $inExamples = $false
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -match '^## ') { $inExamples = $lines[$i] -eq '## EXAMPLES'; continue }
        if (-not $inExamples -or $lines[$i] -notmatch '^### Example (\d+): (.+)$') { continue }
        $number, $title = [int]$Matches[1], $Matches[2]
        while ($lines[$i] -notmatch '^```') { $i++ }
        $block = [System.Collections.Generic.List[string]]::new()
        for ($i++; $lines[$i] -notmatch '^```'; $i++) { $block.Add($lines[$i]) }
        $prompted = @($block -match '^PS> ').Count -gt 0
        $code = if ($prompted) { @($block -match '^(PS|>)> ?' -replace '^(PS|>)> ?', '') } else { @($block) }
        $expected = if ($prompted) { @($block -notmatch '^(PS|>)> ?' | Where-Object { $_.Trim() }) } else { @() }
        [pscustomobject]@{
            Cmdlet   = $cmdlet
            Number   = $number
            Title    = $title
            Code     = $code -join "`n"
            Expected = $expected
        }
    }
}

# Runs code as a script of its own in a new pwsh (not -NonInteractive: a prompt reads its answer from $InputText),
# with the module findable by name and $env:INCUS_BACKUP_TARGET set. The pwsh has no terminal, so tables are laid out
# for 80 columns, as the module's views are. Returns ExitCode, Output (standard output: objects as formatted, what-if
# lines, prompts) and Errors (standard error: error records, native commands' messages), as display lines.
function Invoke-HelpExample {
    param(
        [Parameter(Mandatory)] [string] $Code,
        [Parameter(Mandatory)] [string] $Repository,
        [string] $InputText = '',
        [int] $TimeoutSeconds = 300
    )
    $script = Join-Path ([System.IO.Path]::GetTempPath()) ('ib-example-' + [guid]::NewGuid().ToString('N') + '.ps1')
    Set-Content -LiteralPath $script -Value $Code
    $pwsh = @(Get-PwshCommand)
    $start = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
    foreach ($argument in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-File', $script)) {
        $start.ArgumentList.Add($argument)
    }
    $start.UseShellExecute = $false
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.Environment['PSModulePath'] = (Join-Path (Get-RepositoryRoot) 'module') + [System.IO.Path]::PathSeparator + $env:PSModulePath
    $start.Environment['INCUS_BACKUP_TARGET'] = "dir:$Repository"
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $process.StandardInput.Write($InputText)
        $process.StandardInput.Close()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "The example did not finish within $TimeoutSeconds s."
        }
        $process.WaitForExit()
        [pscustomobject]@{
            ExitCode = $process.ExitCode
            Output   = @($stdout.GetAwaiter().GetResult() | ConvertTo-DisplayLine)
            Errors   = @($stderr.GetAwaiter().GetResult() | ConvertTo-DisplayLine)
        }
    }
    finally {
        $process.Dispose()
        Remove-Item -LiteralPath $script -ErrorAction SilentlyContinue
    }
}

# The lines of output with the continuation lines of wrapped table cells (those that start with 20 blanks or more)
# joined to the line they continue, without the break: a cell wraps anywhere, also inside a number or a version, so
# only the joined text can be made comparable.
function Join-WrappedLine {
    param([Parameter(ValueFromPipeline)] [AllowEmptyString()] [string] $Line)
    begin { $lines = [System.Collections.Generic.List[string]]::new() }
    process {
        if ($lines.Count -gt 0 -and $Line -match '^\s{20,}\S') { $lines[$lines.Count - 1] += $Line.TrimStart() }
        else { $lines.Add($Line) }
    }
    end { $lines }
}

# A line of output with what changes from run to run made the same: the temporary repository shown as the folder the
# help names, versions (timestamps), fingerprints, sizes, durations, byte counts, the names of Test-IncusBackup's
# throwaway projects, and runs of blanks (the widths of columns that hold them).
function ConvertTo-ComparableLine {
    param(
        [Parameter(ValueFromPipeline)] [AllowEmptyString()] [string] $Line,
        [string] $Repository
    )
    process {
        if ($Repository) { $Line = $Line.Replace($Repository, $script:HelpRepository) }
        $Line = $Line -replace '\d{8}T\d{6}Z', '<version>'
        $Line = $Line -replace '\b[0-9a-f]{12,64}(…|\.\.\.)?', '<fingerprint>'
        $Line = $Line -replace '\b\d+(\.\d+)? ?(B|KiB|MiB|GiB|TiB)\b', '<size>'
        $Line = $Line -replace '\b\d+([.,]\d+)? ?s\b', '<seconds>'
        $Line = $Line -replace '\b\d+ bytes\b', '<n> bytes'
        $Line = $Line -replace '\b\d\d:\d\d\b', '<mm:ss>'
        $Line = $Line -replace '\bibtest-[0-9a-f]{8}\b', 'ibtest-<id>'
        ($Line -replace '\s+', ' ').Trim()
    }
}

# The world the examples name: the pool tank, the bridges shop-br and staging-br, the project shop (its own images,
# profiles and volumes: the image busybox, the profile web that plugs into shop-br, the running instances web01 with a
# snapshot and db01 with the volume tank/pgdata, the stopped web02, the volumes tank/shared-media and media-cache) and
# the project staging that the maps of the examples point at. None of them may exist before: the test never touches
# what it did not make.
$script:WorldProjects = 'shop', 'staging'
$script:WorldNetworks = 'shop-br', 'staging-br'
$script:WorldPool = 'tank'

function Assert-WorldAbsent {
    $taken = @(
        $script:WorldProjects | Where-Object { & incus project show $_ *> $null; $LASTEXITCODE -eq 0 } | ForEach-Object { "project $_" }
        $script:WorldNetworks | Where-Object { & incus network show $_ *> $null; $LASTEXITCODE -eq 0 } | ForEach-Object { "network $_" }
        $script:WorldPool | Where-Object { & incus storage show $_ *> $null; $LASTEXITCODE -eq 0 } | ForEach-Object { "storage pool $_" }
    )
    if ($taken) { throw "The help examples need names that exist on this server already: $($taken -join ', '). Remove them, or run the test elsewhere." }
}

function New-ProjectOfExamples([string] $Name, [string] $Profile, [string] $Network) {
    Invoke-Incus project create $Name -c features.images=true -c features.profiles=true -c features.storage.volumes=true | Out-Null
    Invoke-Incus profile device add default root disk path=/ pool=default --project $Name | Out-Null
    Invoke-Incus profile create $Profile --project $Name | Out-Null
    Invoke-Incus profile set $Profile limits.cpu=1 --project $Name | Out-Null
    Invoke-Incus profile device add $Profile eth0 nic network=$Network name=eth0 --project $Name | Out-Null
}

# Call Assert-WorldAbsent first: what this makes is removed by Remove-ExampleWorld, whoever made it.
function New-ExampleWorld {
    Invoke-Incus storage create $script:WorldPool dir | Out-Null
    foreach ($network in $script:WorldNetworks) {
        # incusd sometimes fails to create a bridge while other instances' veth devices come and go
        # ("Failed to delete bridge children interfaces"): a race of the server's, so try again.
        for ($attempt = 1; ; $attempt++) {
            $output = & incus network create $network ipv4.address=none ipv6.address=none 2>&1
            if ($LASTEXITCODE -eq 0) { break }
            & incus network delete $network *> $null
            if ($attempt -eq 3) { throw "incus network create $network failed: $output" }
            Start-Sleep -Seconds 1
        }
    }
    New-ProjectOfExamples shop web shop-br
    New-ProjectOfExamples staging web-staging staging-br
    $export = New-TestDirectory
    try {
        Invoke-Incus image export busybox-test (Join-Path $export 'busybox') | Out-Null
        Invoke-Incus image import (Join-Path $export 'busybox') (Join-Path $export 'busybox.root') --project shop --alias busybox | Out-Null
    }
    finally { Remove-Item -Recurse -Force -LiteralPath $export }
    Invoke-Incus storage volume create tank pgdata --project shop | Out-Null
    Invoke-Incus storage volume create tank shared-media --project shop | Out-Null
    Invoke-Incus storage volume create default media-cache --project shop | Out-Null
    Invoke-Incus launch busybox web01 --project shop --profile default --profile web | Out-Null
    Invoke-Incus init busybox web02 --project shop --profile default --profile web | Out-Null
    Invoke-Incus launch busybox db01 --project shop --profile default | Out-Null
    Invoke-Incus storage volume attach tank pgdata db01 /var/lib/postgresql --project shop | Out-Null
    Invoke-Incus storage volume attach default media-cache web01 /var/cache/media --project shop | Out-Null
    Invoke-Incus exec web01 --project shop '--' sh -c 'echo "<h1>shop</h1>" > /root/index.html' | Out-Null
    Invoke-Incus snapshot create web01 before-upgrade --project shop | Out-Null
    # busybox has no package manager; the maintenance example upgrades db01 with apt-get.
    Invoke-Incus exec db01 --project shop '--' sh -c 'printf "#!/bin/sh\necho \"0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\"\n" > /bin/apt-get; chmod +x /bin/apt-get' | Out-Null
}

# Removes everything of the world, also what the examples made in it (restored copies, leftovers of a replace), or
# only the projects and networks named.
function Remove-ExampleWorld {
    param([string[]] $Project = $script:WorldProjects, [string[]] $Network = $script:WorldNetworks, [switch] $KeepPool)
    foreach ($project in $Project) {
        & incus project show $project *> $null
        if ($LASTEXITCODE -ne 0) { continue }
        foreach ($instance in @(& incus list --project $project --format csv -c n 2>$null)) {
            if ($instance) { & incus delete -f --project $project $instance *> $null }
        }
        foreach ($image in @(& incus image list --project $project --format csv -c F 2>$null)) {
            if ($image) { & incus image delete --project $project $image *> $null }
        }
        foreach ($pool in 'default', $script:WorldPool) {
            foreach ($volume in @(& incus storage volume list $pool --project $project --format csv -c n type=custom 2>$null)) {
                if ($volume) { & incus storage volume delete $pool --project $project $volume *> $null }
            }
        }
        foreach ($profile in @(& incus profile list --project $project --format csv -c n 2>$null)) {
            if ($profile -and $profile -ne 'default') { & incus profile delete --project $project $profile *> $null }
        }
        & incus project delete $project *> $null
    }
    foreach ($name in $Network) { & incus network delete $name *> $null }
    if (-not $KeepPool) { & incus storage delete $script:WorldPool *> $null }
}

Export-ModuleMember -Function Get-HelpExample, Invoke-HelpExample, Join-WrappedLine, ConvertTo-ComparableLine, Assert-WorldAbsent, New-ExampleWorld, Remove-ExampleWorld
