# Copy-IncusBackup end to end against the real incusd and restic: a backup of a small instance in a dir: repository is
# copied into a restic repository and from there into a second dir: repository, byte for byte, and the last copy
# restores with its files. -WhatIf writes nothing; a second copy adds nothing; the source as destination stops the
# cmdlet; a damaged archive is refused and leaves nothing in the restic repository.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    $script:NoRestic = $null -eq (Get-Command restic -ErrorAction SilentlyContinue)
    if ($script:NoRestic -and $env:CI -eq 'true') { throw 'restic is not installed, and CI=true requires the restic tests to run.' }
    $script:Skip = $script:NoIncus -or $script:NoRestic
    $script:T = New-TestDirectory
    $script:Local = Join-Path $script:T 'local'
    $script:Restic = Join-Path $script:T 'restic'
    $script:Second = Join-Path $script:T 'second'
    $script:SavedPassword = $env:RESTIC_PASSWORD
    $env:RESTIC_PASSWORD = 'pt-copy-' + [guid]::NewGuid().ToString('N')
    if ($script:Skip) { return }
    $env:RESTIC_REPOSITORY = $script:Restic
    & restic init --quiet
    Remove-Item Env:RESTIC_REPOSITORY
    $script:P = New-TestProject
    Invoke-Incus init busybox-test c1 --project $script:P | Out-Null
    $script:Marker = Join-Path $script:T 'marker.txt'
    Set-Content -LiteralPath $script:Marker -Value "copied round trip $([guid]::NewGuid())"
    Invoke-Incus file push $script:Marker c1/root/marker.txt --project $script:P | Out-Null
    $script:First = Backup-IncusInstance -Name c1 -Project $script:P -Target "dir:$($script:Local)" -ErrorAction Stop

    # The snapshots of the restic repository, as restic itself lists them.
    function Get-ResticSnapshotCount {
        $env:RESTIC_REPOSITORY = $script:Restic
        try { @(& restic snapshots --json | ConvertFrom-Json).Count }
        finally { Remove-Item Env:RESTIC_REPOSITORY }
    }
    function Get-ArchiveHash($Record) { (Get-FileHash -Algorithm SHA256 -LiteralPath (Join-Path $Record.Location $Record.ArchiveName)).Hash.ToLowerInvariant() }
}

AfterAll {
    Remove-TestProject $script:P
    $env:RESTIC_PASSWORD = $script:SavedPassword
    Remove-Item -Recurse -Force $script:T -ErrorAction SilentlyContinue
}

Describe 'Copy-IncusBackup between repositories' {
    It 'copies dir -> restic -> dir byte for byte, and the last copy restores with its files' -Skip:$script:Skip {
        $sha = Get-ArchiveHash $script:First
        $sha | Should -Be $script:First.Sha256

        $inRestic = $script:First | Copy-IncusBackup -Destination "restic:$($script:Restic)" -ErrorAction Stop
        $inRestic.Repository | Should -Be "restic:$($script:Restic)"
        $listed = @(Get-IncusBackup -Target "restic:$($script:Restic)")
        $listed.Count | Should -Be 1
        foreach ($record in $inRestic, $listed[0]) {
            $record.Sha256 | Should -Be $sha
            $record.Version | Should -Be $script:First.Version
            $record.Timestamp | Should -Be $script:First.Timestamp
            $record.Size | Should -Be $script:First.Size
            "$($record.Kind) $($record.Project)/$($record.Name)" | Should -Be "Instance $($script:P)/c1"
        }
        # restic's bytes, read back through restic dump, match the checksums.
        ($inRestic | Test-IncusBackup).Status | Should -Be 'Passed'

        # A plain relative path, resolved from the current location as -Target is.
        Push-Location $script:T
        try { $final = $listed[0] | Copy-IncusBackup -Destination 'second' -ErrorAction Stop }
        finally { Pop-Location }
        $final.Repository | Should -Be "dir:$($script:Second)"
        $final.Location | Should -Be (Join-Path $script:Second "instances/$($script:P)/c1/$($script:First.Version)")
        Get-ArchiveHash $final | Should -Be $sha
        foreach ($file in 'manifest.json', 'checksums.txt') {
            (Get-FileHash -LiteralPath (Join-Path $final.Location $file)).Hash | Should -Be (Get-FileHash -LiteralPath (Join-Path $script:First.Location $file)).Hash -Because "$file is copied as it is"
        }

        $result = $final | Restore-IncusInstance -NewName c1-copied -Confirm:$false -ErrorAction Stop
        $result | Should -Not -BeNullOrEmpty
        $back = Join-Path $script:T 'back.txt'
        Invoke-Incus file pull c1-copied/root/marker.txt $back --project $script:P | Out-Null
        Get-Content -LiteralPath $back -Raw | Should -Be (Get-Content -LiteralPath $script:Marker -Raw)
    }

    It 'names each backup and the destination under -WhatIf, and writes nothing' -Skip:$script:Skip {
        $destination = Join-Path $script:T 'not-yet'
        $script = Join-Path $script:T 'whatif.ps1'
        Set-Content -LiteralPath $script -Value @"
Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'
Get-IncusBackup -Target '$($script:Local)' | Copy-IncusBackup -Destination 'dir:$destination' -WhatIf
"@
        $run = Invoke-ScheduledScript $script
        Remove-Item -LiteralPath $script
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Be @(
            "What if: Performing the operation `"Copy backup`" on target `"$($script:First) ($([IncusBackup.Bytes]::Format($script:First.Size))) -> dir:$destination`"."
        )
        Test-Path -LiteralPath $destination | Should -BeFalse -Because '-WhatIf creates no repository'
    }

    It 'copies a backup once: copied again, it writes the destination''s record and adds nothing' -Skip:$script:Skip {
        $snapshots = Get-ResticSnapshotCount
        $verbose = @(Copy-IncusBackup c1 -Project $script:P -Target $script:Local -Destination "restic:$($script:Restic)" -Verbose -ErrorAction Stop 4>&1)
        $again = @($verbose | Where-Object { $_ -is [IncusBackup.BackupRecord] })
        $again.Count | Should -Be 1
        $again[0].Repository | Should -Be "restic:$($script:Restic)"
        $again[0].Version | Should -Be $script:First.Version
        @($verbose | Where-Object { "$_" -like "*already in restic:$($script:Restic)*" }).Count | Should -Be 1
        @(Get-IncusBackup -Target "restic:$($script:Restic)").Count | Should -Be 1
        Get-ResticSnapshotCount | Should -Be $snapshots
        @(Get-IncusBackup -Target $script:Second | Copy-IncusBackup -Destination "restic:$($script:Restic)" -ErrorAction Stop).Count | Should -Be 1
        @(Get-IncusBackup -Target "restic:$($script:Restic)").Count | Should -Be 1
    }

    It 'stops with CopyToSameRepository when the source is the destination' -Skip:$script:Skip {
        { $script:First | Copy-IncusBackup -Destination "dir:$($script:Local)" -ErrorAction Stop } | Should -Throw -ErrorId 'CopyToSameRepository*'
        { Copy-IncusBackup -Target "restic:$($script:Restic)" -Destination "restic:$($script:Restic)" } | Should -Throw -ErrorId 'CopyToSameRepository*'
        @(Get-IncusBackup -Target $script:Local).Count | Should -Be 1
    }

    It 'refuses a damaged archive with ChecksumMismatch, copies the others, and leaves nothing of it in restic' -Skip:$script:Skip {
        $damaged = Backup-IncusInstance -Name c1 -Project $script:P -Target "dir:$($script:Local)" -ErrorAction Stop
        $path = Join-Path $damaged.Location $damaged.ArchiveName
        $bytes = [IO.File]::ReadAllBytes($path)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 1
        [IO.File]::WriteAllBytes($path, $bytes)
        $snapshots = Get-ResticSnapshotCount

        $copied = @(Get-IncusBackup -Target $script:Local | Copy-IncusBackup -Destination "restic:$($script:Restic)" -ErrorAction SilentlyContinue -ErrorVariable failed)

        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ChecksumMismatch,*'
        $failed[0].TargetObject | Should -Be "$damaged"
        $copied.Version | Should -Be @($script:First.Version) -Because 'the sound backup (there already) is still written'
        @(Get-IncusBackup -Target "restic:$($script:Restic)").Version | Should -Be @($script:First.Version)
        Get-ResticSnapshotCount | Should -Be $snapshots -Because 'the partial archive snapshot was forgotten'
    }

    It 'creates a restic destination only with -Initialize, opened with -DestinationCredential alone' -Skip:$script:Skip {
        $offsite = Join-Path $script:T 'offsite'
        $credential = [pscredential]::new('restic', (ConvertTo-SecureString ('pt-offsite-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force))
        $saved = $env:RESTIC_PASSWORD
        Remove-Item Env:RESTIC_PASSWORD
        try {
            { $script:First | Copy-IncusBackup -Destination "restic:$offsite" -DestinationCredential $credential -ErrorAction Stop } |
                Should -Throw -ErrorId 'ResticRepositoryNotInitialized*'
            Test-Path -LiteralPath $offsite | Should -BeFalse

            $copy = $script:First | Copy-IncusBackup -Destination "restic:$offsite" -DestinationCredential $credential -Initialize `
                -WarningVariable created -WarningAction SilentlyContinue -ErrorAction Stop
            "$created" | Should -BeLike "Created the restic repository restic:$offsite.*"
            $copy.Sha256 | Should -Be $script:First.Sha256
            (Get-IncusBackup -Target "restic:$offsite" -RepositoryCredential $credential | Test-IncusBackup -RepositoryCredential $credential).Status |
                Should -Be 'Passed'
        }
        finally { $env:RESTIC_PASSWORD = $saved }
    }
}
