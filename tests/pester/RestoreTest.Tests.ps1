# Test-IncusBackup -Restore against the real server: a good instance backup is imported into a throwaway ibtest-*
# project, found with its snapshot and config, started, and probed with a -Script that checks a file's sha256 inside;
# a custom volume backup is imported and found; an archive replaced by an older backup of the same instance (checksums
# fixed up, so every file check passes) fails the -Script check, and so does a script that exits 1; a given
# -TestProject is kept; -WhatIf changes nothing; config backups get a Skipped Restore check. Every run leaves no
# ibtest-* project and nothing of its own behind.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    $script:P = New-TestProject
    $script:T = New-TestDirectory
    Invoke-Incus launch busybox-test web --project $script:P | Out-Null
    Invoke-Incus config set web user.marker=restore-test --project $script:P | Out-Null
    Invoke-Incus exec web --project $script:P '--' sh -c 'echo old > /root/data.txt' | Out-Null
    Invoke-Incus snapshot create web before --project $script:P | Out-Null
    $script:Old = Backup-IncusInstance web -Project $script:P -Target $script:T -ErrorAction Stop
    Invoke-Incus exec web --project $script:P '--' sh -c 'head -c 65536 /dev/urandom > /root/data.txt' | Out-Null
    $script:Sum = ((Invoke-Incus exec web --project $script:P '--' sha256sum /root/data.txt) -split ' ')[0]
    $script:Web = Backup-IncusInstance web -Project $script:P -Target $script:T -ErrorAction Stop
    Invoke-Incus storage volume create default data --project $script:P size=16MiB | Out-Null
    Invoke-Incus storage volume snapshot create default data snap0 --project $script:P | Out-Null
    $script:Data = Backup-IncusVolume default/data -Project $script:P -Target $script:T -ErrorAction Stop

    # busybox sha256sum -c wants two spaces between the sum and the name.
    $script:CheckSum = "echo '$($script:Sum)  /root/data.txt' | sha256sum -c"

    function Get-ArchivePath($Record) { Join-Path $Record.Location $Record.ArchiveName }

    # Rewrites manifest.json and checksums.txt of a backup so that sha256sum -c passes, as a forger would.
    function Reseal($Record) {
        $manifestPath = Join-Path $Record.Location 'manifest.json'
        $manifest = Get-Content -Raw $manifestPath | ConvertFrom-Json
        $archive = Get-ArchivePath $Record
        $manifest.files[0].sha256 = (Get-FileHash -Algorithm SHA256 $archive).Hash.ToLowerInvariant()
        $manifest.files[0].size = (Get-Item $archive).Length
        $manifest | ConvertTo-Json -Depth 32 | Set-Content -NoNewline $manifestPath
        Push-Location $Record.Location
        try { & sha256sum $Record.ArchiveName manifest.json | Set-Content checksums.txt } finally { Pop-Location }
    }

    function Get-IbtestProjects { @(& incus project list --format csv -c n | ForEach-Object { ($_ -split ',')[0] -replace ' \(current\)$', '' } | Where-Object { $_ -like 'ibtest-*' }) }

    # Runs Test-IncusBackup and returns the result, the ErrorIds written, and the ibtest-* projects that appeared and stayed.
    function Invoke-RestoreTest([object[]] $Records, [hashtable] $Parameters) {
        $before = Get-IbtestProjects
        $errs = $null
        $result = @($Records | Test-IncusBackup -Restore @Parameters -ErrorVariable errs -ErrorAction SilentlyContinue)
        [pscustomobject]@{
            Result   = $result
            ErrorIds = @($errs | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] })
            Left     = @(Get-IbtestProjects | Where-Object { $_ -notin $before })
        }
    }

    function Get-Check($Result, [string] $Name) { $Result.Checks | Where-Object Name -eq $Name }

    # The project a test restore went to, from its Restore check ("Imported as ibtest-…/web in 1.2 s.").
    function Get-UsedProject($Result) { if ((Get-Check $Result Restore).Message -match 'Imported as ([^/]+)/') { $Matches[1] } }
}

AfterAll {
    if ($script:P) { Remove-TestProject $script:P }
    if ($script:Lab) { Remove-TestProject $script:Lab }
    if ($script:T -and (Test-Path $script:T)) { Remove-Item -Recurse -Force $script:T }
}

Describe 'Test-IncusBackup -Restore' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'passes a good instance backup: imported, found with its snapshot and config, started, the sha256 inside checked, all removed' {
        $t = Invoke-RestoreTest $script:Web @{ Start = $true; Script = $script:CheckSum }

        $t.ErrorIds | Should -BeNullOrEmpty
        $t.Result.Count | Should -Be 1
        $r = $t.Result[0]
        $r.Status | Should -Be 'Passed'
        $r.Checks.Name | Should -Be 'Checksums', 'Manifest', 'Archive', 'Content', 'Restore', 'Restored', 'Start', 'Script', 'Cleanup'
        $r.Checks.Outcome | ForEach-Object { $_ | Should -Be 'Passed' }
        $project = Get-UsedProject $r
        $project | Should -BeLike 'ibtest-*'
        (Get-Check $r Restored).Message | Should -BeLike "*$project/web exists with 1 snapshot*"
        (Get-Check $r Script).Message | Should -BeLike '*data.txt: OK*'
        $t.Left | Should -BeNullOrEmpty
        Get-IbtestProjects | Should -Not -Contain $project
    }

    It 'passes an instance with its project''s profile (a NIC on a managed bridge) and an attached volume, started beside the running original' {
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $project = "pt-own-$suffix"
        $bridge = "ptbr$suffix"
        try {
            Invoke-Incus network create $bridge ipv4.address=none ipv6.address=none | Out-Null
            Invoke-Incus project create $project -c features.images=false -c features.profiles=true -c features.storage.volumes=true | Out-Null
            Invoke-Incus profile device add default root disk path=/ pool=default --project $project | Out-Null
            Invoke-Incus profile create app --project $project | Out-Null
            Invoke-Incus profile device add app eth0 nic network=$bridge name=eth0 --project $project | Out-Null
            Invoke-Incus storage volume create default appdata --project $project | Out-Null
            Invoke-Incus launch busybox-test app1 --project $project --profile default --profile app | Out-Null
            Invoke-Incus storage volume attach default appdata app1 /srv/data --project $project | Out-Null
            $mac = (& incus query "/1.0/instances/app1?project=$project" | ConvertFrom-Json).config.'volatile.eth0.hwaddr'
            $record = Backup-IncusInstance app1 -Project $project -Target $script:T -ErrorAction Stop

            $t = Invoke-RestoreTest $record @{ Start = $true; Script = 'ip link show eth0 && test -d /srv/data' }

            $t.ErrorIds | Should -BeNullOrEmpty
            $r = $t.Result[0]
            $r.Checks.Outcome | ForEach-Object { $_ | Should -Be 'Passed' -Because ($r.Checks | Out-String) }
            (Get-Check $r Restore).Message | Should -Match ', with its profiles default and app from the backup and an empty stand-in for the volume default/appdata\.$'
            (Get-Check $r Cleanup).Message | Should -Match '^Deleted ibtest-\w+/app1, ibtest-\w+/default/appdata, profile app and project ibtest-\w+\.$'
            $t.Left | Should -BeNullOrEmpty
            # The original kept running with its MAC address; the copy started on the same bridge with one of its own (Incus refuses one MAC twice there).
            Get-IncusListing $project | Should -Be 'app1,RUNNING,CONTAINER,0'
            (& incus query "/1.0/instances/app1?project=$project" | ConvertFrom-Json).config.'volatile.eth0.hwaddr' | Should -Be $mac
        }
        finally {
            & incus delete -f app1 --project $project *> $null
            & incus storage volume delete default appdata --project $project *> $null
            & incus profile delete app --project $project *> $null
            & incus project delete $project *> $null
            & incus network delete $bridge *> $null
        }
    }

    It 'passes a good volume backup: imported with its snapshot and removed; -Start and -Script are Skipped for volumes' {
        $t = Invoke-RestoreTest $script:Data @{ Start = $true; Script = 'true' }

        $r = $t.Result[0]
        $r.Status | Should -Be 'Passed'
        (Get-Check $r Restore).Outcome | Should -Be 'Passed'
        (Get-Check $r Restored).Message | Should -BeLike '*/default/data exists with 1 snapshot*'
        (Get-Check $r Start).Outcome | Should -Be 'Skipped'
        (Get-Check $r Script).Outcome | Should -Be 'Skipped'
        (Get-Check $r Cleanup).Outcome | Should -Be 'Passed'
        $t.Left | Should -BeNullOrEmpty
    }

    It 'fails a backup whose archive was replaced by an older one of the same instance (checksums fixed up): the file checks pass, the script does not' {
        $record = Backup-IncusInstance web -Project $script:P -Target $script:T -ErrorAction Stop
        Copy-Item (Get-ArchivePath $script:Old) (Get-ArchivePath $record) -Force
        Reseal $record
        ($record | Test-IncusBackup).Status | Should -Be 'Passed'

        $t = Invoke-RestoreTest $record @{ Script = $script:CheckSum }

        $r = $t.Result[0]
        $r.Status | Should -Be 'Failed'
        $t.ErrorIds | Should -Be @('ScriptFailed')
        (Get-Check $r Restore).Outcome | Should -Be 'Passed'
        (Get-Check $r Start).Outcome | Should -Be 'Passed'
        (Get-Check $r Script).Message | Should -BeLike '*exited with 1*FAILED*'
        (Get-Check $r Cleanup).Outcome | Should -Be 'Passed'
        $t.Left | Should -BeNullOrEmpty
    }

    It 'fails when the -Script exits 1, with its error output as the reason, and removes everything' {
        $t = Invoke-RestoreTest $script:Web @{ Script = 'echo boom >&2; exit 1' }

        $r = $t.Result[0]
        $t.ErrorIds | Should -Be @('ScriptFailed')
        (Get-Check $r Script).Message | Should -Be 'The script exited with 1. Error output: boom'
        (Get-Check $r Cleanup).Outcome | Should -Be 'Passed'
        $t.Left | Should -BeNullOrEmpty
    }

    It 'keeps a given -TestProject and leaves nothing in it (a scriptblock -Script runs as shell text)' {
        $script:Lab = New-TestProject

        $t = Invoke-RestoreTest $script:Web @{ TestProject = $script:Lab; Script = { test -s /root/data.txt } }

        $t.Result[0].Status | Should -Be 'Passed'
        (Get-Check $t.Result[0] Script).Outcome | Should -Be 'Passed'
        Get-UsedProject $t.Result[0] | Should -Be $script:Lab
        (& incus project list --format csv -c n) -join ';' | Should -Match ([regex]::Escape($script:Lab))
        & incus list --project $script:Lab --format csv -c n | Should -BeNullOrEmpty
    }

    It '-WhatIf changes nothing and writes nothing' {
        $before = (& incus project list --format csv -c n) -join ';'

        $out = @($script:Web | Test-IncusBackup -Restore -Start -WhatIf)

        $out | Should -BeNullOrEmpty
        (& incus project list --format csv -c n) -join ';' | Should -Be $before
    }

    It 'reports a config backup''s Restore check as Skipped: not supported with -Restore' {
        $config = Backup-IncusConfig -Project $script:P -Target $script:T -ErrorAction Stop

        $t = Invoke-RestoreTest $config @{}

        (Get-Check $t.Result[0] Restore).Outcome | Should -Be 'Skipped'
        (Get-Check $t.Result[0] Restore).Message | Should -BeLike '*does not support config backups*'
        $t.Left | Should -BeNullOrEmpty
    }

    It 'refuses -Start, -Script and -TestProject without -Restore' {
        { $script:Web | Test-IncusBackup -Start -ErrorAction Stop } | Should -Throw -ErrorId 'ConflictingParameters*'
    }
}
