# Test-IncusBackup against the real server: an instance (with a snapshot) and a custom volume (with a snapshot) are
# backed up in a project of their own; every check passes by name; each way of damaging a backup fails the check
# that should catch it, with its ErrorId; -Quiet answers with one bool; and an archive of another instance swapped
# in with its manifest and checksums fixed up is refused by Restore-IncusInstance (ArchiveMismatch) with the
# server unchanged.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    $script:P = New-TestProject
    $script:T = New-TestDirectory
    Invoke-Incus launch busybox-test web --project $script:P | Out-Null
    Invoke-Incus exec web --project $script:P '--' sh -c 'echo hello > /root/data.txt' | Out-Null
    Invoke-Incus snapshot create web before --project $script:P | Out-Null
    Invoke-Incus launch busybox-test other --project $script:P | Out-Null
    Invoke-Incus storage volume create default data --project $script:P size=16MiB | Out-Null
    Invoke-Incus storage volume snapshot create default data snap0 --project $script:P | Out-Null

    $script:Web = Backup-IncusInstance web -Project $script:P -Target $script:T -ErrorAction Stop
    $script:Other = Backup-IncusInstance other -Project $script:P -Target $script:T -InstanceOnly -ErrorAction Stop
    $script:Data = Backup-IncusVolume default/data -Project $script:P -Target $script:T -ErrorAction Stop

    $script:Checks = 'Checksums', 'Manifest', 'Archive', 'Content'

    # A fresh backup of web to damage, so each case starts from an intact one.
    function New-WebBackup {
        Backup-IncusInstance web -Project $script:P -Target $script:T -ErrorAction Stop
    }

    function Get-ArchivePath($Record) { Join-Path $Record.Location $Record.ArchiveName }

    # Test-IncusBackup on one record: the result, and the ErrorIds of the errors it wrote.
    function Invoke-Test($Record) {
        $errs = $null
        $result = $Record | Test-IncusBackup -ErrorVariable errs -ErrorAction SilentlyContinue
        [pscustomobject]@{ Result = $result; ErrorIds = @($errs | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] }) }
    }

    function Get-Outcome($Result, [string] $Name) { ($Result.Checks | Where-Object Name -eq $Name).Outcome.ToString() }

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

    function Get-InstanceState {
        (& incus list --project $script:P --format csv -c ns) -join ';'
    }
}

AfterAll {
    if ($script:P) { Remove-TestProject $script:P }
    if ($script:T -and (Test-Path $script:T)) { Remove-Item -Recurse -Force $script:T }
}

Describe 'Test-IncusBackup' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'passes an instance and a volume backup, naming every check' {
        $results = @($script:Web, $script:Data | Test-IncusBackup -ErrorAction Stop)

        $results.Count | Should -Be 2
        foreach ($result in $results) {
            $result | Should -BeOfType ([IncusBackup.TestResult])
            $result.Status | Should -Be 'Passed'
            $result.Checks.Name | Should -Be $script:Checks
            $result.Checks.Outcome | ForEach-Object { $_ | Should -Be 'Passed' }
        }
        # Workers finish in any order.
        (($results | Where-Object Name -eq web).Checks | Where-Object Name -eq Content).Message | Should -BeLike "*container 'web' with snapshots before*"
        (($results | Where-Object Name -eq data).Checks | Where-Object Name -eq Content).Message | Should -BeLike "*custom 'data' with snapshots snap0*"
    }

    It 'selects with the filters of Get-IncusBackup, runs in parallel, and shows a table' {
        $results = @(Test-IncusBackup -Target $script:T -Project $script:P -Kind Instance -Name web, other -Latest -ThrottleLimit 4 -ErrorAction Stop)

        @($results.Name | Sort-Object) | Should -Be @('other', 'web')
        # The checks are counted, so that the row fits 80 columns (the Checks property names them).
        foreach ($width in 80, 120) {
            $lines = $results | Format-Table | Out-String -Width $width | ConvertTo-DisplayLine
            $lines[0] | Should -Match '^Status\s+Kind\s+Backup\s+Version\s+Duration\s+Checks$'
            @($lines | Where-Object { $_ -match "^Passed Instance $($script:P)/web\s+\d{8}T\d{6}Z\s+\d+\.\d s 4 ok$" }).Count | Should -Be 1 -Because ($lines -join "`n")
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual $width }
        }
    }

    It 'writes BackupNotFound for a name with no backup' {
        $errs = $null
        Test-IncusBackup -Target $script:T -Name nosuch -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
    }

    It 'fails a backup with one flipped byte: Checksums (ChecksumMismatch) and Archive' {
        $record = New-WebBackup
        $path = Get-ArchivePath $record
        $bytes = [IO.File]::ReadAllBytes($path)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 1
        [IO.File]::WriteAllBytes($path, $bytes)

        $t = Invoke-Test $record

        $t.Result.Status | Should -Be 'Failed'
        $t.ErrorIds | Should -Be @('ChecksumMismatch')
        Get-Outcome $t.Result Checksums | Should -Be 'Failed'
        Get-Outcome $t.Result Archive | Should -Be 'Failed'
        ($t.Result.Checks | Where-Object Name -eq Archive).ErrorId | Should -Be 'ArchiveCorrupt'
        Get-Outcome $t.Result Manifest | Should -Be 'Passed'
    }

    It 'fails a truncated archive: Checksums and Archive' {
        $record = New-WebBackup
        $path = Get-ArchivePath $record
        $bytes = [IO.File]::ReadAllBytes($path)
        [IO.File]::WriteAllBytes($path, $bytes[0..([int]($bytes.Length / 2))])

        $t = Invoke-Test $record

        $t.ErrorIds | Should -Be @('ChecksumMismatch')
        ($t.Result.Checks | Where-Object Name -eq Archive).Message | Should -BeLike '*does not read to the end*'
    }

    It 'fails a backup whose archive was deleted: BackupFileMissing, Content skipped' {
        $record = New-WebBackup
        Remove-Item (Get-ArchivePath $record)

        $t = Invoke-Test $record

        $t.ErrorIds | Should -Be @('BackupFileMissing')
        Get-Outcome $t.Result Archive | Should -Be 'Failed'
        Get-Outcome $t.Result Content | Should -Be 'Skipped'
    }

    It 'fails a backup whose manifest.json was deleted: Manifest fails, the archive is still walked' {
        $record = New-WebBackup
        Remove-Item (Join-Path $record.Location 'manifest.json')

        $t = Invoke-Test $record

        Get-Outcome $t.Result Manifest | Should -Be 'Failed'
        ($t.Result.Checks | Where-Object Name -eq Manifest).ErrorId | Should -Be 'ManifestInvalid'
        Get-Outcome $t.Result Archive | Should -Be 'Passed'
        $t.Result.Status | Should -Be 'Failed'
    }

    It 'fails a backup whose manifest.json was edited: Checksums, Manifest and Content' {
        $record = New-WebBackup
        $manifestPath = Join-Path $record.Location 'manifest.json'
        (Get-Content -Raw $manifestPath) -replace '"name": "web"', '"name": "web2"' | Set-Content -NoNewline $manifestPath

        $t = Invoke-Test $record

        $t.ErrorIds | Should -Be @('ChecksumMismatch')
        Get-Outcome $t.Result Manifest | Should -Be 'Failed'
        ($t.Result.Checks | Where-Object Name -eq Content).ErrorId | Should -Be 'ArchiveMismatch'
    }

    It 'fails a backup whose checksums.txt was edited: only Checksums' {
        $record = New-WebBackup
        $checksums = Join-Path $record.Location 'checksums.txt'
        $lines = Get-Content $checksums
        $lines = $lines | ForEach-Object { if ($_ -like "*  $($record.ArchiveName)") { ('0' * 64) + $_.Substring(64) } else { $_ } }
        Set-Content $checksums $lines

        $t = Invoke-Test $record

        $t.ErrorIds | Should -Be @('ChecksumMismatch')
        ($t.Result.Checks | Where-Object Outcome -eq Failed).Name | Should -Be @('Checksums')
    }

    It 'fails an archive of another instance swapped in with the checksums fixed up: only Content, ArchiveMismatch' {
        $record = New-WebBackup
        Copy-Item (Get-ArchivePath $script:Other) (Get-ArchivePath $record) -Force
        Reseal $record
        Push-Location $record.Location
        try { & sha256sum --quiet -c checksums.txt; $LASTEXITCODE | Should -Be 0 } finally { Pop-Location }

        $t = Invoke-Test $record

        $t.ErrorIds | Should -Be @('ArchiveMismatch')
        ($t.Result.Checks | Where-Object Outcome -eq Failed).Name | Should -Be @('Content')
        ($t.Result.Checks | Where-Object Name -eq Content).Message | Should -BeLike "*the archive holds 'other', the manifest names 'web'*"
    }

    It '-Quiet returns one bool: true for sound backups, false when one fails, and writes no error' {
        Test-IncusBackup -Target $script:T -Project $script:P -Name other -Quiet -WarningAction SilentlyContinue | Should -BeExactly $true
        $errs = $null
        $answer = @(Test-IncusBackup -Target $script:T -Project $script:P -Kind Instance -Quiet -ErrorVariable errs -WarningAction SilentlyContinue)
        $answer.Count | Should -Be 1
        $answer[0] | Should -BeExactly $false
        $errs | Should -BeNullOrEmpty
    }

    It 'Restore-IncusInstance refuses the swapped archive with ArchiveMismatch and leaves the server unchanged' {
        $record = New-WebBackup
        Copy-Item (Get-ArchivePath $script:Other) (Get-ArchivePath $record) -Force
        Reseal $record
        $before = Get-InstanceState
        $errs = $null

        $record | Restore-IncusInstance -NewName web-restored -Force -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ArchiveMismatch,*'
        Get-InstanceState | Should -Be $before
        & incus list --project $script:P --format csv -c n | Should -Not -Contain 'web-restored'
    }
}
