# -Consistency as the user sees it: -Verbose names the mode and why, the table's Consistency column says Snapshot,
# and no temporary copy is ever left in the project. Needs btrfs-progs (scripts/setup-incus.sh installs it).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    $script:T = New-TestDirectory
    if (-not $script:NoIncus) {
        $script:P = New-TestProject
        # A pool of its own on a loop file; never a pool, project or bridge another test uses.
        $script:Pool = 'pt-cow-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Invoke-Incus storage create $script:Pool btrfs size=2GiB | Out-Null
        Invoke-Incus launch busybox-test web --storage $script:Pool --project $script:P | Out-Null
        Invoke-Incus launch busybox-test db --project $script:P | Out-Null
        # Random bytes, so that gzip keeps the server busy with the copy's export for seconds.
        Invoke-Incus launch busybox-test big --storage $script:Pool --project $script:P | Out-Null
        Invoke-Incus exec big --project $script:P '--' sh -c 'head -c 209715200 /dev/urandom > /root/big; sync' | Out-Null
    }
}

AfterAll {
    Remove-TestProject $script:P
    # The project's deletion can leave the pool "in use" for a moment while its last volumes go: try for a while.
    if ($script:Pool) {
        foreach ($attempt in 1..20) {
            & incus storage delete $script:Pool *> $null
            if ($LASTEXITCODE -eq 0) { break }
            Start-Sleep -Milliseconds 500
        }
    }
    Remove-Item -Recurse -Force $script:T -ErrorAction SilentlyContinue
}

Describe '-Consistency' {
    It 'takes the values Auto, Snapshot, Freeze and None on the three backup cmdlets, Auto by default' {
        foreach ($name in 'Backup-IncusInstance', 'Backup-IncusVolume', 'Backup-IncusServer') {
            $parameter = (Get-Command $name).Parameters['Consistency']
            [enum]::GetNames($parameter.ParameterType) | Should -Be @('Auto', 'Snapshot', 'Freeze', 'None')
            (Get-Command $name).Parameters.ContainsKey('NoSnapshot') | Should -BeTrue -Because '-NoSnapshot stays as the spec''s --no-snapshot'
        }
    }

    It 'says in -Verbose which mode Auto picked and why, and shows Snapshot and Frozen in the table' -Skip:$script:NoIncus {
        $records = Backup-IncusInstance -Name web, db -Project $script:P -Target $script:T -Verbose 4>&1 |
            Tee-Object -Variable all | Where-Object { $_ -is [IncusBackup.BackupRecord] }
        $verbose = $all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message

        $verbose | Should -Contain "Consistency of $($script:P)/web: Snapshot (pool $($script:Pool) (btrfs) copies are copy-on-write)."
        $verbose | Should -Contain "Consistency of $($script:P)/db: Freeze (pool default (dir) copies every byte, so a copy is no point in time)."
        $verbose | Where-Object { $_ -like "Copied $($script:P)/web to temporary instance incusbackup-* in * s (copy-on-write; $($script:P)/web kept running)." } | Should -HaveCount 1
        $verbose | Where-Object { $_ -like "Thawed $($script:P)/db after * s frozen." } | Should -HaveCount 1
        $lines = $records | Sort-Object Name | Format-Table | Out-String -Width 160 | ConvertTo-DisplayLine
        $lines[0] | Should -Match 'Consistency$'
        $lines[2] | Should -Match '\sdb\s.*\sFrozen$'
        $lines[3] | Should -Match '\sweb\s.*\sSnapshot$'
        (Invoke-Incus list --project $script:P -c n -f csv) | Should -Be @('big', 'db', 'web') -Because 'the temporary copy is gone'
    }

    It 'refuses Snapshot on a dir pool with an error that names the way out, and -NoSnapshot reads live' -Skip:$script:NoIncus {
        Backup-IncusInstance -Name db -Project $script:P -Target $script:T -Consistency Snapshot -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SnapshotConsistencyUnavailable*'
        $failed[0].ErrorDetails.RecommendedAction | Should -BeLike '*-Consistency Auto*'
        (Backup-IncusInstance -Name web -Project $script:P -Target $script:T -NoSnapshot -Consistency Snapshot).Consistency | Should -Be 'None'
    }
}

Describe 'A Snapshot-mode backup run killed while it exports the copy' {
    It 'leaves the copy behind, and the next run removes it, says so, and backs the instance up' -Skip:$script:NoIncus {
        $script = Join-Path $script:T 'backup.ps1'
        Set-Content -LiteralPath $script -Value @"
Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'
Backup-IncusInstance -Name big -Project $($script:P) -Target '$($script:T)' -Consistency Snapshot -Compression gzip -ErrorAction Stop
"@
        $run = Start-ScheduledScript $script
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(90)
            # The server's own containers folder, not the API: a listing that starts while the copy is being made can
            # wait until the run has removed it again, and miss it.
            while (-not (Test-Path -Path "/var/lib/incus/containers/$($script:P)_incusbackup-*")) {
                if ($run.Process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
                    throw "The backup run never made its copy.$(Get-ScheduledScriptEnding $run)"
                }
                Start-Sleep -Milliseconds 100
            }
            Start-Sleep -Milliseconds 500 # into the copy's export
        }
        finally { Stop-ScheduledScript $run }

        $left = @(Invoke-Incus list --project $script:P -c n -f csv) -like 'incusbackup-*'
        $left | Should -HaveCount 1 -Because 'a killed process cannot delete its copy'
        (Invoke-Incus list big --project $script:P -c s -f csv) | Should -Be 'RUNNING' -Because 'the original was never frozen'

        $record = Backup-IncusInstance -Name big -Project $script:P -Target $script:T -Consistency Snapshot -WarningVariable warnings -WarningAction SilentlyContinue

        # The repository says what the killed run left in it, the server side what it left on the server.
        @($warnings).Count | Should -Be 2
        "$(@($warnings)[0])" | Should -Be "dir:$($script:T): removed 1 unfinished backup(s) of runs that ended early from .incomplete/."
        "$(@($warnings)[1])" | Should -BeLike "Removed instance $($left[0]), a temporary copy of big that a stopped backup run (*@*) left behind."
        $record.Consistency | Should -Be 'Snapshot'
        @(Invoke-Incus list --project $script:P -c n -f csv) -like 'incusbackup-*' | Should -BeNullOrEmpty
    }
}
