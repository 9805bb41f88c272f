# Every example in the help of every exported cmdlet (help/<Cmdlet>.md, the source of Get-Help) runs as written, in
# a pwsh of its own (as a user pastes it or a timer runs it), against the real server, and prints what the help shows.
#
# The world: the examples name the project shop (the instances web01, web02 and db01, the volumes tank/pgdata,
# tank/shared-media and media-cache, the image busybox, the profile web on the bridge shop-br), the project staging
# (the profile web-staging on staging-br) that the maps point at, and the pool tank. BeforeAll makes exactly these
# (and refuses to run if any of them exists: the test never touches what it did not make), then takes the backups an
# operator would have from last night: one Backup-IncusServer run of shop, and a later backup of db01. AfterAll
# deletes all of it, with whatever the examples restored into it.
#
# The repository: the examples name dir:/srv/incus-backups. The test does not write to /srv: it runs every example
# with that path replaced by a temporary folder (also as $env:INCUS_BACKUP_TARGET, which the examples without -Target
# use), and shows the folder as /srv/incus-backups again in what the example printed. Other volatile parts are
# replaced the same way: the fingerprint of busybox-test in the code (it differs between machines), the versions an
# example names (the help shows the ones of the run its output was copied from; the test uses the same backups of its
# own run), and the time of the incident in Get-IncusBackup's -Before example. In the output, versions, fingerprints,
# sizes and durations may differ from the help; everything else (headers, Action and Kind values, names, what-if
# lines, prompts, the number of lines) must be as shown.
#
# The examples run in the order an operator's day has them (list, back up, restore, the lost project, then test,
# protect and prune the repository, and ship it off-site), one It each, so that each finds what the ones before left:
# the order of $CmdletOrder below. The copies go to folders inside the temporary repository folder (where no listing
# of it looks), and the off-site restic repository of the nightly script is one there too.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'HelpExampleSupport.psm1') -Force
    $root = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $CmdletOrder = 'Get-IncusBackup', 'Initialize-IncusBackupRepository', 'Backup-IncusInstance', 'Backup-IncusVolume', 'Backup-IncusImage', 'Backup-IncusConfig',
        'Backup-IncusServer', 'Restore-IncusConfig', 'Restore-IncusImage', 'Restore-IncusVolume', 'Restore-IncusInstance', 'Restore-IncusServer',
        'Test-IncusBackup', 'Protect-IncusBackup', 'Unprotect-IncusBackup', 'Remove-IncusBackup', 'Copy-IncusBackup'
    # The rebuild of the lost project comes after its preview.
    $NumberOrder = @{ 'Restore-IncusServer' = 2, 1, 3 }
    $Examples = foreach ($cmdlet in $CmdletOrder) {
        $all = @(Get-HelpExample (Join-Path $root "help/$cmdlet.md"))
        $numbers = if ($NumberOrder[$cmdlet]) { $NumberOrder[$cmdlet] } else { $all.Number }
        foreach ($number in $numbers) {
            $e = $all | Where-Object Number -eq $number
            @{ Cmdlet = $e.Cmdlet; Number = $e.Number; Title = $e.Title; Code = $e.Code; Expected = $e.Expected }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'HelpExampleSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    Assert-WorldAbsent
    $script:WorldMade = $true
    $script:T = New-TestDirectory
    New-ExampleWorld
    $script:Fingerprint = (Invoke-Incus image list busybox-test --format csv -c F | Select-Object -First 1).Trim()
    $script:Seed = @(Backup-IncusServer -Project shop -Target $script:T -InformationAction Ignore)
    # The incident of Get-IncusBackup's -Before example: after last night's run, before the later backup of db01.
    $incident = [datetime]::Now.AddSeconds(1)
    $script:Incident = $incident.ToString('yyyy-MM-dd HH:mm:ss')
    Start-Sleep -Milliseconds ([int](($incident.AddSeconds(1) - [datetime]::Now).TotalMilliseconds + 100))
    $null = Backup-IncusInstance -Name db01 -Project shop -Target $script:T

    function Get-SeedVersion([string] $Kind, [string] $Name) { ($script:Seed | Where-Object { "$($_.Kind)" -eq $Kind -and $_.Name -eq $Name }).Version }
    # The restic repository the examples name (/srv/restic-repo, its password in /root/.restic-pass) is a temporary
    # folder too, shown under its help name again in what the examples print.
    # A short root: the examples' tables are laid out for 80 columns, and a long path would truncate their columns.
    do { $script:ResticRoot = '/tmp/ibr-' + [guid]::NewGuid().ToString('N').Substring(0, 4) } while (Test-Path -LiteralPath $script:ResticRoot)
    New-Item -ItemType Directory -Path $script:ResticRoot | Out-Null
    $script:ResticRepo = Join-Path $script:ResticRoot 'restic-repo'
    $script:ResticPassFile = Join-Path $script:ResticRoot 'restic-pass'
    Set-Content -LiteralPath $script:ResticPassFile -Value ('pt-help-' + [guid]::NewGuid().ToString('N'))
    $script:ResticNames = { @{ '/srv/restic-repo' = $script:ResticRepo; '/root/.restic-pass' = $script:ResticPassFile } }
    # A backup of one project's config holds every storage pool of the server (a bug: see the report of the branch
    # help-examples), and a rebuild creates those that are gone. On a server that other tests share, their pools come
    # and go: the lines about pools other than the world's are left out of the comparison, with the counts of the
    # summary, and a pool that an example created is deleted after it, as everything the test made.
    $script:ForeignPool = '\bStoragePool (?!(default|tank)\b)'
    function Remove-CreatedPool($r) {
        foreach ($line in @($r.Output)) {
            if ($line -match '^Created\s+StoragePool\s+(\S+)' -and $Matches[1] -notin 'default', 'tank') { & incus storage delete $Matches[1] *> $null }
        }
    }
    function Get-ProfileConfig([string] $Name) { (& incus query "/1.0/profiles/$($Name)?project=shop" | ConvertFrom-Json).config }
    function Get-Backup { Get-IncusBackup -Target $script:T @args }
    # Flips one byte in the middle of a backup's archive; flipping it again undoes it.
    function Switch-ArchiveByte($Record) {
        $path = Join-Path $Record.Location $Record.ArchiveName
        $bytes = [IO.File]::ReadAllBytes($path)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 1
        [IO.File]::WriteAllBytes($path, $bytes)
    }
    function Get-IbtestProject { @(& incus project list --format csv -c n | Where-Object { $_ -like 'ibtest-*' }) }

    # What each example needs beyond the world, keyed "<Cmdlet> <Number>": Setup and Cleanup (run here, before and
    # after it), Replace (the volatile literals of its code and what they are in this run), Input (the answers to
    # its prompts), Unordered (its lines come in the order parallel work finishes), Check (more assertions on the
    # run: what it printed and the state of the server).
    $script:Stage = @{
        'Initialize-IncusBackupRepository 1' = @{
            Replace = $script:ResticNames
            Shown   = { @{ $script:ResticRepo = '/srv/restic-repo' } }
            Check   = { Test-Path -LiteralPath (Join-Path $script:ResticRepo 'config') | Should -BeTrue -Because 'restic init wrote the repository' }
        }
        'Initialize-IncusBackupRepository 2' = @{
            Replace = $script:ResticNames
            Shown   = { @{ $script:ResticRepo = '/srv/restic-repo' } }
        }
        'Initialize-IncusBackupRepository 3' = @{
            Replace = { @{ '/srv/restic-repo' = Join-Path $script:ResticRoot 'not-created' } }
            Shown   = { @{ (Join-Path $script:ResticRoot 'not-created') = '/srv/restic-repo' } }
            Check   = { Test-Path -LiteralPath (Join-Path $script:ResticRoot 'not-created') | Should -BeFalse -Because '-WhatIf creates nothing' }
        }
        'Get-IncusBackup 4'      = @{ Check = { param($r) $r.Output | Should -Be 'OK: every resource has a backup from the last 26 hours' } }
        'Get-IncusBackup 5'      = @{ Check = { param($r) $r.Output | Should -BeNullOrEmpty -Because 'no checksum mismatch is reported' } }
        'Get-IncusBackup 6'      = @{ Replace = { @{ '20261202T132605Z' = Get-SeedVersion Instance db01 } } }
        'Get-IncusBackup 7'      = @{ Replace = { @{ '2026-12-02 13:26:07' = $script:Incident } } }
        'Backup-IncusInstance 2' = @{ Unordered = $true }
        'Backup-IncusInstance 4' = @{
            Setup   = { Invoke-Incus config set db01 user.backup=false --project shop | Out-Null }
            Cleanup = { Invoke-Incus config unset db01 user.backup --project shop | Out-Null }
        }
        'Backup-IncusInstance 5' = @{
            Setup   = { Invoke-Incus init busybox web03 --project shop --profile default --profile web | Out-Null }
            Cleanup = { Invoke-Incus delete web03 --project shop | Out-Null }
        }
        'Backup-IncusInstance 6' = @{
            Check = { param($r)
                @($r.Output | Sort-Object) -replace '\d{8}T\d{6}Z \d+ bytes', '<version> <n> bytes' |
                    Should -Be 'shop/db01 <version> <n> bytes', 'shop/web01 <version> <n> bytes', 'shop/web02 <version> <n> bytes'
            }
        }
        'Backup-IncusInstance 7' = @{
            Check = { param($r)
                $r.Output[0].Replace($script:T, '/srv/incus-backups') | Should -Match '^Backed up to /srv/incus-backups/instances/shop/db01/\d{8}T\d{6}Z$'
                $r.Output[1] | Should -Be '0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.'
            }
        }
        'Backup-IncusVolume 2'   = @{ Unordered = $true }
        'Backup-IncusVolume 5'   = @{ Check = { param($r) $r.Output | Should -Be '6 backups written' } }
        'Backup-IncusImage 3'    = @{ Replace = { @{ '1b42ed11ffb6' = $script:Fingerprint.Substring(0, 12) } } }
        'Backup-IncusConfig 1'   = @{ Setup = { Invoke-Incus profile set web limits.cpu=2 --project shop | Out-Null } }
        'Backup-IncusServer 1'   = @{ Check = { param($r) $r.Output | Should -Match '^Run \d{8}T\d{6}Z: backed up 3 instance\(s\), 3 volume\(s\), 0 image\(s\) and the config' } }
        'Backup-IncusServer 2'   = @{ Unordered = $true }
        'Restore-IncusConfig 1'  = @{
            Setup = {
                Invoke-Incus profile set web limits.cpu=4 user.extra=x --project shop | Out-Null
                Invoke-Incus profile create extra --project shop | Out-Null
            }
        }
        'Restore-IncusConfig 2'  = @{ Check = { (Get-ProfileConfig web).'limits.cpu' | Should -Be '4' -Because '-WhatIf changes nothing' } }
        'Restore-IncusConfig 3'  = @{
            Check = {
                $config = Get-ProfileConfig web
                $config.'limits.cpu' | Should -Be '2'
                $config.'user.extra' | Should -BeNullOrEmpty
                & incus profile show extra --project shop *> $null
                $LASTEXITCODE | Should -Be 0 -Because 'a profile that is not in the backup is left alone'
            }
        }
        'Restore-IncusImage 1'   = @{
            Setup = { Invoke-Incus image delete busybox --project shop | Out-Null }
            Check = { (Invoke-Incus image list busybox --project shop --format csv -c lF) | Should -Be "busybox,$($script:Fingerprint)" }
        }
        'Restore-IncusImage 3'   = @{
            Replace = { @{ '1b42ed11ffb6' = $script:Fingerprint.Substring(0, 12) } }
            Check   = { (Invoke-Incus image list --project staging --format csv -c F) | Should -Be $script:Fingerprint }
        }
        'Restore-IncusVolume 1'  = @{ Setup = { Invoke-Incus storage volume delete tank shared-media --project shop | Out-Null } }
        'Restore-IncusVolume 2'  = @{
            Replace = { @{ '20261202T132606Z' = Get-SeedVersion Volume pgdata } }
            Check   = { param($r) $r.Output | Should -Be 'Replaced shop/tank/pgdata; stopped and started again: shop/db01' }
        }
        'Restore-IncusVolume 4'  = @{ Check = { Get-IncusListing staging | Should -Be 'db01,RUNNING,CONTAINER,0' } }
        'Restore-IncusVolume 6'  = @{ Setup = { Invoke-Incus storage volume delete tank shared-media --project shop | Out-Null } }
        'Restore-IncusInstance 1' = @{
            Setup = { Invoke-Incus delete -f web02 --project shop | Out-Null }
            Check = { Get-IncusListing shop | Where-Object { $_ -like 'web02,*' } | Should -Be 'web02,RUNNING,CONTAINER,0' }
        }
        'Restore-IncusInstance 2' = @{
            Check = {
                # The copy has MAC addresses of its own, so it starts beside the original on their bridge.
                Invoke-Incus start web01-test --project shop | Out-Null
                Invoke-Incus stop -f web01-test --project shop | Out-Null
            }
        }
        'Restore-IncusInstance 3' = @{
            Check = {
                $copy = & incus query '/1.0/instances/web02?project=staging' | ConvertFrom-Json
                $copy.profiles | Should -Be 'default', 'web-staging'
                $copy.expanded_devices.root.pool | Should -Be 'tank'
                $copy.expanded_devices.eth0.network | Should -Be 'staging-br'
            }
        }
        'Restore-IncusInstance 5' = @{ Replace = { @{ '20261202T132605Z' = Get-SeedVersion Instance db01 } }; Input = "y`n" }
        'Restore-IncusInstance 6' = @{ Setup = { Invoke-Incus delete -f web02 --project shop | Out-Null }; Unordered = $true }
        'Restore-IncusInstance 7' = @{ Check = { param($r) $r.Output | Should -Match '^Replaced shop/db01 with \d{8}T\d{6}Z in \d\d:\d\d$' } }
        # The project is lost: everything in it, the project, and the bridge its profile plugs into.
        'Restore-IncusServer 2'  = @{
            Setup = {
                Remove-ExampleWorld -Project shop -Network shop-br -KeepPool
                & incus project show shop *> $null
                $LASTEXITCODE | Should -Not -Be 0
            }
            Check = { & incus project show shop *> $null; $LASTEXITCODE | Should -Not -Be 0 -Because '-WhatIf changes nothing' }
        }
        'Restore-IncusServer 1'  = @{
            Unordered = $true
            Check     = { Get-IncusListing shop | Should -Be 'db01,STOPPED,CONTAINER,0', 'web01,STOPPED,CONTAINER,1', 'web02,STOPPED,CONTAINER,0' }
            Cleanup   = { param($r) Remove-CreatedPool $r }
        }
        'Restore-IncusServer 3'  = @{
            Replace   = { @{ '20261202T140136Z' = $script:Seed[0].RunId } }
            Unordered = $true
            Cleanup = { param($r) Remove-CreatedPool $r }
        }
        'Test-IncusBackup 3'     = @{
            Setup   = { $script:Damaged = Get-Backup web02 -Project shop -Latest; Switch-ArchiveByte $script:Damaged }
            Cleanup = { Switch-ArchiveByte $script:Damaged }
        }
        'Test-IncusBackup 4'     = @{ Check = { param($r) $r.Output | Should -Be 'OK: the latest backup of every resource passed' } }
        'Test-IncusBackup 1'     = @{ Unordered = $true }
        'Test-IncusBackup 5'     = @{ Check = { Get-IbtestProject | Should -BeNullOrEmpty -Because 'the test restore leaves nothing behind' } }
        'Test-IncusBackup 6'     = @{ Check = { Get-IbtestProject | Should -BeNullOrEmpty -Because 'a failed test restore leaves nothing behind either' } }
        'Protect-IncusBackup 1'  = @{
            Check = {
                $script:Protected = Get-Backup db01 -Project shop -Latest
                $script:Protected.Protected | Should -BeTrue
                Test-Path (Join-Path $script:Protected.Location 'protected') | Should -BeTrue
            }
        }
        'Unprotect-IncusBackup 1' = @{
            Check = {
                $listing = Get-Backup db01 -Project shop | Format-Table Version, Protected | Out-String
                (Get-Backup db01 -Project shop -Version $script:Protected.Version).Protected | Should -BeTrue -Because "it was protected today ($($script:Protected.Version); $listing)"
            }
        }
        'Unprotect-IncusBackup 2' = @{
            Setup   = { Get-Backup db01 -Project shop -Version (Get-SeedVersion Instance db01) | Protect-IncusBackup }
            Replace = { @{ '20261202T132605Z' = Get-SeedVersion Instance db01 } }
            Check   = { Get-Backup db01 -Project shop -Version (Get-SeedVersion Instance db01) -ErrorAction SilentlyContinue | Should -BeNullOrEmpty }
        }
        'Remove-IncusBackup 1'   = @{ Check = { @(Get-Backup web01 -Project shop).Count | Should -Be 1 } }
        'Remove-IncusBackup 2'   = @{
            Setup = { $script:BeforePrune = @(Get-Backup) }
            Check = {
                # Every backup is from today: each resource keeps its newest and, as restic does while a rule has
                # counts left, its oldest; db01's newest is also protected.
                $kept = @(Get-Backup)
                $key = { "$($_.Kind) $($_.Project)/$($_.Pool)/$($_.Name)" }
                foreach ($resource in $script:BeforePrune | Group-Object $key) {
                    $versions = @($resource.Group | Sort-Object Timestamp)
                    $expected = @($versions[0].Version, $versions[-1].Version | Select-Object -Unique)
                    @($kept | Where-Object { (& $key) -eq $resource.Name } | Sort-Object Timestamp).Version |
                        Should -Be $expected -Because "$($resource.Name) keeps its oldest and newest backups"
                }
                @($kept | Where-Object Protected).Version | Should -Be $script:Protected.Version
            }
        }
        'Remove-IncusBackup 3'   = @{ Check = { Get-Backup web03 -Project shop -ErrorAction SilentlyContinue | Should -BeNullOrEmpty } }
        'Copy-IncusBackup 1'     = @{
            Replace   = { @{ '/mnt/usb/incus-backups' = (Join-Path $script:T 'usb') } }
            Unordered = $true
            Check     = {
                $copies = @(Get-IncusBackup -Target (Join-Path $script:T 'usb'))
                @($copies.Name | Sort-Object) | Should -Be 'db01', 'web01', 'web02'
                foreach ($copy in $copies) {
                    $original = Get-Backup $copy.Name -Project shop -Version $copy.Version
                    (Get-FileHash -LiteralPath (Join-Path $copy.Location $copy.ArchiveName)).Hash |
                        Should -Be (Get-FileHash -LiteralPath (Join-Path $original.Location $original.ArchiveName)).Hash -Because "$copy is a copy"
                    $copy.Protected | Should -Be $original.Protected -Because 'a protected backup gives a protected copy'
                }
                ($copies | Where-Object Name -eq db01).Protected | Should -BeTrue
            }
        }
        'Copy-IncusBackup 2'     = @{
            Setup = { $script:UsbExisted = Test-Path -LiteralPath /mnt/usb/incus-backups }
            Check = { Test-Path -LiteralPath /mnt/usb/incus-backups | Should -Be $script:UsbExisted -Because '-WhatIf creates nothing' }
        }
        'Copy-IncusBackup 3'     = @{
            Setup   = {
                $script:Offsite = Join-Path $script:T 'offsite'
                $script:OffsitePassword = Join-Path $script:T 'offsite.pass'
                Set-Content -LiteralPath $script:OffsitePassword -Value ('help-' + [guid]::NewGuid().ToString('N'))
                $script:SavedResticPassword = $env:RESTIC_PASSWORD, $env:RESTIC_PASSWORD_FILE
                Remove-Item Env:RESTIC_PASSWORD -ErrorAction SilentlyContinue
                $env:RESTIC_PASSWORD_FILE = $script:OffsitePassword
                $env:RESTIC_REPOSITORY = $script:Offsite
                try { & restic init --quiet } finally { Remove-Item Env:RESTIC_REPOSITORY }
            }
            # Evaluated before Setup: the same paths as Setup's.
            Replace = { @{ 'sftp:backup@vault.example.org:/srv/incus' = (Join-Path $script:T 'offsite'); '/root/.config/incus-backup/offsite.pass' = (Join-Path $script:T 'offsite.pass') } }
            Check   = { param($r)
                @($r.Output)[-1] | Should -Match '^\d+ backups off-site, 0 errors$'
                $latest = @(Get-Backup -Latest)
                [int](@($r.Output)[-1] -split ' ')[0] | Should -Be $latest.Count
                $offsite = @(Get-IncusBackup -Target "restic:$($script:Offsite)")
                @($offsite | ForEach-Object { "$_ $($_.Sha256)" } | Sort-Object) | Should -Be @($latest | ForEach-Object { "$_ $($_.Sha256)" } | Sort-Object)
            }
            Cleanup = { $env:RESTIC_PASSWORD, $env:RESTIC_PASSWORD_FILE = $script:SavedResticPassword }
        }
    }
}

AfterAll {
    if ($script:ResticRoot) { Remove-Item -Recurse -Force -LiteralPath $script:ResticRoot -ErrorAction SilentlyContinue }
    if ($script:WorldMade) { Remove-ExampleWorld }
    if ($script:T) { Remove-Item -Recurse -Force -LiteralPath $script:T -ErrorAction SilentlyContinue }
}

Describe 'The examples in the help' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'cover every exported cmdlet, with two examples or more each' -ForEach @{ Covered = @($Examples.Cmdlet | Sort-Object -Unique) } {
        $manifest = Import-PowerShellDataFile (Join-Path (Get-RepositoryRoot) 'module/IncusBackup/IncusBackup.psd1')
        foreach ($cmdlet in $manifest.CmdletsToExport) {
            @(Get-HelpExample (Join-Path (Get-RepositoryRoot) "help/$cmdlet.md")).Count | Should -BeGreaterOrEqual 2 -Because "$cmdlet needs examples"
        }
        @($Covered | Sort-Object) | Should -Be @($manifest.CmdletsToExport | Sort-Object) -Because 'every cmdlet''s examples run here'
    }

    It '<Cmdlet> example <Number>: <Title>' -ForEach $Examples {
        $stage = $script:Stage["$Cmdlet $Number"]
        if (-not $stage) { $stage = @{} }
        $code = $Code.Replace('/srv/incus-backups', $script:T)
        if ($stage.Replace) {
            $replace = & $stage.Replace
            foreach ($literal in $replace.Keys) {
                $code.Contains($literal) | Should -BeTrue -Because "the example names $literal"
                $code = $code.Replace($literal, $replace[$literal])
            }
        }
        if ($stage.Setup) { & $stage.Setup }
        try {
            $r = Invoke-HelpExample -Code $code -Repository $script:T -InputText ([string]$stage.Input)
            $shown = ($r.Output + $r.Errors) -join "`n"
            $r.Errors | Should -BeNullOrEmpty -Because "the example writes no error (it printed:`n$shown)"
            $r.ExitCode | Should -Be 0 -Because "it printed:`n$shown"

            $output = @($r.Output)
            if ($stage.Shown) {
                $names = & $stage.Shown
                foreach ($literal in $names.Keys) { $output = @($output | ForEach-Object { "$_".Replace($literal, $names[$literal]) }) }
            }
            $expected = @($Expected)
            if ($Cmdlet -eq 'Restore-IncusServer') {
                $output = @($output -notmatch $script:ForeignPool) -replace '\(\d+ to create, \d+ to update, \d+ unchanged', '(<n> to create, <n> to update, <n> unchanged'
                $expected = @($expected) -replace '\(\d+ to create, \d+ to update, \d+ unchanged', '(<n> to create, <n> to update, <n> unchanged'
            }
            $actual = @($output | Join-WrappedLine | ConvertTo-ComparableLine -Repository $script:T)
            $expected = @($expected | Join-WrappedLine | ConvertTo-ComparableLine)
            if ($stage.Unordered) {
                $actual = @($actual | Select-Object -First 2) + @($actual | Select-Object -Skip 2 | Sort-Object)
                $expected = @($expected | Select-Object -First 2) + @($expected | Select-Object -Skip 2 | Sort-Object)
            }
            if ($Expected) {
                ($actual -join "`n") | Should -Be ($expected -join "`n") -Because "the help shows what the example prints (it printed:`n$shown)"
            }
            else {
                @($r.Output -match '^WARNING:') | Should -BeNullOrEmpty -Because 'the example warns of nothing'
            }
            if ($stage.Check) { & $stage.Check $r }
        }
        finally {
            if ($stage.Cleanup) { & $stage.Cleanup $r }
        }
    }
}
