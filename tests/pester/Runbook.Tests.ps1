# A runbook as an operator writes it, against the real server in a fresh project: back up, list, pick the newest,
# restore through the pipeline, preview with -WhatIf, hand records to other tools as JSON, and handle errors by
# their ErrorIds. The first backup is taken before the tests; the tests run in order, as the steps of a runbook do.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    $script:P = New-TestProject
    $script:T = New-TestDirectory
    $script:Scratch = New-TestDirectory
    Invoke-Incus launch busybox-test c1 --project $script:P | Out-Null
    # Random bytes, so that a restore can only reproduce them by carrying them.
    Invoke-Incus exec c1 --project $script:P '--' sh -c 'head -c 300000 /dev/urandom > /root/data.bin' | Out-Null
    $script:First = Backup-IncusInstance -Name c1 -Project $script:P -Target $script:T

    # The state of an instance as `incus list` shows it (RUNNING, STOPPED, FROZEN).
    function Get-InstanceState([string] $Name) {
        foreach ($line in Invoke-Incus list --project $script:P --format csv -c ns) {
            $instance, $state = $line -split ','
            if ($instance -eq $Name) { $state }
        }
    }
}

AfterAll {
    Remove-TestProject $script:P
    foreach ($folder in $script:T, $script:Scratch) {
        if ($folder) { Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue }
    }
}

Describe 'A runbook' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'backs up a running container, frozen for a consistent copy, and lists it' {
        $r = $script:First
        $r | Should -BeOfType IncusBackup.BackupRecord
        $r.Kind | Should -Be 'Instance'
        $r.Consistency | Should -Be 'Frozen'
        $r.Project | Should -Be $script:P
        $r.Name | Should -Be 'c1'
        $r.Type | Should -Be 'container'
        $r.InstanceType | Should -Be 'container' -Because 'the name before 0.2 stays as an alias'
        $r.WithoutSnapshots | Should -BeFalse
        $r.Repository | Should -Be "dir:$($script:T)"
        (Get-IncusBackup -Target $script:T -Project $script:P).Count | Should -Be 1
        (Get-IncusBackup -Target $script:T -Project $script:P).Version | Should -Be $r.Version
        Get-InstanceState c1 | Should -Be 'RUNNING'
    }

    It 'leaves an archive that matches the record and that sha256sum -c verifies' {
        $archive = Join-Path $script:First.Location $script:First.ArchiveName
        (Get-Item $archive).Length | Should -Be $script:First.Size
        (Get-FileHash -Algorithm SHA256 $archive).Hash | Should -Be $script:First.Sha256
        Push-Location $script:First.Location
        try { $check = & sha256sum -c checksums.txt 2>&1 } finally { Pop-Location }
        $LASTEXITCODE | Should -Be 0
        $check | Should -Contain "$($script:First.ArchiveName): OK"
        $check | Should -Contain 'manifest.json: OK'
        (Get-Item $script:First.Location).UnixFileMode | Should -Be ([System.IO.UnixFileMode] 'UserRead, UserWrite, UserExecute')
        (Get-Item $archive).UnixFileMode | Should -Be ([System.IO.UnixFileMode] 'UserRead, UserWrite')
    }

    It 'records the server a backup came from, and selects by it with -ServerName' {
        $server = (& incus query /1.0 | ConvertFrom-Json).environment
        $script:First.ServerName | Should -Be $server.server_name
        $manifest = Get-Content -Raw (Join-Path $script:First.Location 'manifest.json') | ConvertFrom-Json
        $manifest.server.certificate_fingerprint | Should -Be $server.certificate_fingerprint
        $manifest.server.endpoint | Should -BeLike 'unix://*'
        (Get-IncusBackup -Target $script:T -Project $script:P -ServerName $server.server_name).Version | Should -Contain $script:First.Version
        Get-IncusBackup -Target $script:T -Project $script:P -ServerName 'no-such-host*' | Should -BeNullOrEmpty
    }

    It 'picks the newer of two backups with Get-IncusBackup -Latest' {
        $second = Backup-IncusInstance -Name c1 -Project $script:P -Target $script:T
        $second.Version | Should -Not -Be $script:First.Version
        $all = @(Get-IncusBackup -Target $script:T -Project $script:P -Name c1)
        $all.Count | Should -BeGreaterOrEqual 2
        $all[0].Version | Should -Be $script:First.Version   # oldest first
        $all[-1].Version | Should -Be $second.Version
        $latest = Get-IncusBackup -Target $script:T -Project $script:P -Name c1 -Latest
        @($latest).Count | Should -Be 1
        $latest.Version | Should -Be $second.Version
        # Timestamp has whole seconds: two backups taken in one second share it; the later one's version ends in -2.
        $latest.Timestamp | Should -BeGreaterOrEqual $script:First.Timestamp
    }

    It 'restores the newest backup through the pipeline, byte for byte, and starts it' {
        $result = Get-IncusBackup -Target $script:T -Project $script:P -Name c1 -Latest | Restore-IncusInstance -NewName c1-copy -Start
        $result | Should -BeOfType IncusBackup.RestoreResult
        $result.Action | Should -Be 'Restored'
        $result.TargetProject | Should -Be $script:P
        $result.TargetName | Should -Be 'c1-copy'
        $result.NewName | Should -Be 'c1-copy' -Because 'the name before 0.2 stays as an alias'
        $result.Started | Should -BeTrue
        Get-InstanceState c1-copy | Should -Be 'RUNNING'

        $original = Join-Path $script:Scratch original.bin
        $copy = Join-Path $script:Scratch copy.bin
        Invoke-Incus file pull --project $script:P c1/root/data.bin $original | Out-Null
        Invoke-Incus file pull --project $script:P c1-copy/root/data.bin $copy | Out-Null
        (Get-Item $original).Length | Should -Be 300000
        $same = [System.Linq.Enumerable]::SequenceEqual([System.IO.File]::ReadAllBytes($original), [System.IO.File]::ReadAllBytes($copy))
        $same | Should -BeTrue -Because 'the restored file must hold the same bytes'

    }

    It 'changes nothing on the server and returns nothing under -WhatIf: <Case>' -ForEach @(
        @{ Case = 'a new instance beside the original'; Parameters = @{ NewName = 'c1-preview' } }
        @{ Case = 'the running original, without -Replace'; Parameters = @{} }
        @{ Case = 'a replace of the running original'; Parameters = @{ Replace = $true; Force = $true } }
    ) {
        $before = Get-IncusListing $script:P
        $output = Restore-IncusInstance -Name c1 -Project $script:P -Target $script:T @Parameters -WhatIf
        $output | Should -BeNullOrEmpty
        Get-IncusListing $script:P | Should -Be $before
    }

    It 'writes nothing to the repository under -WhatIf of a backup' {
        $before = (Get-IncusBackup -Target $script:T -Project $script:P).Version
        Backup-IncusInstance -Name c1 -Project $script:P -Target $script:T -WhatIf | Should -BeNullOrEmpty
        (Get-IncusBackup -Target $script:T -Project $script:P).Version | Should -Be $before
        Get-InstanceState c1 | Should -Be 'RUNNING'
    }

    It 'hands a record to other tools as JSON: Kind a number, or a name with -EnumsAsStrings; the time round-trips' {
        $json = $script:First | ConvertTo-Json
        $json | Should -Match '"Kind": 0,'
        $script:First | ConvertTo-Json -EnumsAsStrings | Should -Match '"Kind": "Instance",'

        $back = $json | ConvertFrom-Json
        $back.Version | Should -Be $script:First.Version
        [datetimeoffset] $back.Timestamp | Should -Be $script:First.Timestamp
        ($json | ConvertFrom-Json -DateKind Offset).Timestamp | Should -Be $script:First.Timestamp
    }
}

Describe 'Errors in a runbook' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'throws an ErrorRecord with InstanceNotFound for an unknown instance under -ErrorAction Stop' {
        $before = (Get-IncusBackup -Target $script:T -Project $script:P).Version
        $caught = $null
        try { Backup-IncusInstance -Name nope -Project $script:P -Target $script:T -ErrorAction Stop }
        catch { $caught = $_ }
        $caught | Should -BeOfType System.Management.Automation.ErrorRecord
        $caught.FullyQualifiedErrorId | Should -BeLike 'InstanceNotFound,*'
        $caught.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $caught.Exception.Message | Should -Be "No instance named 'nope' was found in project '$($script:P)'."
        (Get-IncusBackup -Target $script:T -Project $script:P).Version | Should -Be $before
    }

    It 'reports an unknown instance without stopping the others' {
        $records = Backup-IncusInstance -Name nope, c1 -Project $script:P -Target $script:T -ErrorVariable failed -ErrorAction SilentlyContinue
        @($records).Count | Should -Be 1
        $records.Name | Should -Be 'c1'
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'InstanceNotFound,*'
    }

    It 'stops with <ErrorId> when -Target is a file, whatever -ErrorAction says (<Command>)' -ForEach @(
        @{ Command = 'Backup-IncusInstance'; ErrorId = 'TargetNotWritable'; Call = { param($P, $T) Backup-IncusInstance -Name c1 -Project $P -Target $T -ErrorAction SilentlyContinue } }
        @{ Command = 'Get-IncusBackup'; ErrorId = 'TargetNotFound'; Call = { param($P, $T) Get-IncusBackup -Project $P -Target $T -ErrorAction SilentlyContinue } }
        @{ Command = 'Restore-IncusInstance'; ErrorId = 'TargetNotFound'; Call = { param($P, $T) Restore-IncusInstance -Name c1 -Project $P -Target $T -NewName c1-never -ErrorAction SilentlyContinue } }
    ) {
        $file = Join-Path $script:Scratch 'not-a-folder'
        Set-Content -LiteralPath $file -Value 'an ordinary file'
        $before = Get-IncusListing $script:P
        $caught = $null
        try { & $Call $script:P $file } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty -Because 'a repository that cannot be used is a terminating error'
        $caught.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        Get-Content -LiteralPath $file | Should -Be 'an ordinary file'
        Get-IncusListing $script:P | Should -Be $before
    }

    It 'stops with ProjectNotFound for a project the server does not have (<Case>)' -ForEach @(
        @{ Case = 'Backup-IncusVolume -All'; Bug = $null; Call = { param($T) Backup-IncusVolume -All -Project pt-missing -Target $T -ErrorAction SilentlyContinue } }
        @{ Case = 'Backup-IncusInstance -Name c1'; Bug = $null; Call = { param($T) Backup-IncusInstance -Name c1 -Project pt-missing -Target $T -ErrorAction SilentlyContinue } }
        @{ Case = 'Backup-IncusInstance -All'; Bug = $null; Call = { param($T) Backup-IncusInstance -All -Project pt-missing -Target $T -ErrorAction SilentlyContinue } }
    ) {
        if ($Bug) { Set-ItResult -Skipped -Because $Bug }
        $caught = $null
        try { & $Call $script:T } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty -Because 'a project that does not exist concerns the whole call'
        $caught.FullyQualifiedErrorId | Should -BeLike 'ProjectNotFound,*'
    }
}
