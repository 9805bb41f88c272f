# A backup run killed (SIGKILL) against the real server, at two points. While it holds a running instance frozen: the
# instance stays frozen (nothing in the dead process can thaw it), and the next backup run thaws it, says so, removes
# the server-side backup the dead run left, and backs the instance up. In the middle of the download: the half-written
# archive is never listed, and the next run removes it and the server-side backup. Nothing of a killed run is listed
# in the repository. The freeze journal lives under a temporary XDG_STATE_HOME, so that the test sees only its own runs.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    $script:P = New-TestProject
    $script:T = New-TestDirectory
    $script:State = New-TestDirectory
    $script:SavedState = $env:XDG_STATE_HOME
    Invoke-Incus launch busybox-test big --project $script:P | Out-Null
    # Random bytes, so that gzip keeps the server busy (and the instance frozen) for seconds.
    Invoke-Incus exec big --project $script:P '--' sh -c 'head -c 209715200 /dev/urandom > /root/big; sync' | Out-Null
    $script:Sum = Invoke-Incus exec big --project $script:P '--' sha256sum /root/big

    # Starts Backup-IncusInstance of big in a pwsh of its own, as a timer does; the caller kills it (Stop-ScheduledScript).
    function Start-BackupRun([string] $Compression) {
        $script = Join-Path $script:State 'backup.ps1'
        Set-Content -LiteralPath $script -Value @"
`$env:XDG_STATE_HOME = '$($script:State)'
Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'
Backup-IncusInstance -Name big -Project $($script:P) -Target '$($script:T)' -Compression $Compression -ErrorAction Stop
"@
        Start-ScheduledScript $script
    }

    # Whether big's cgroup is frozen (v1 freezer.state, or v2 cgroup.events): a file read that answers at once, where a
    # question to Incus is a process start and a request that, with the server busy, can outlast the freeze and miss it.
    # Without a cgroup file to read, Incus is asked.
    function Test-BigFrozen {
        $cgroup = "lxc.payload.$($script:P)_big"
        foreach ($path in "/sys/fs/cgroup/freezer/$cgroup/freezer.state", "/sys/fs/cgroup/$cgroup/cgroup.events") {
            if (Test-Path -LiteralPath $path) { return (Get-Content -LiteralPath $path -Raw) -match '(?m)^(FROZEN|frozen 1)$' }
        }
        (Invoke-Incus query "/1.0/instances/big?project=$($script:P)" | ConvertFrom-Json).status -eq 'Frozen'
    }

    # Big's state as Incus reports it, once it is no longer between states (FREEZING may linger after the cgroup froze).
    function Get-BigSettledState {
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        do {
            $state = Invoke-Incus list big --project $script:P -c s -f csv
            if ($state -ne 'FREEZING') { return $state }
            Start-Sleep -Milliseconds 200
        } while ([DateTime]::UtcNow -lt $deadline)
        $state
    }

    # The next run, with the test's freeze journal.
    function Invoke-NextBackup {
        $env:XDG_STATE_HOME = $script:State
        try { Backup-IncusInstance -Name big -Project $script:P -Target $script:T -Compression none @args }
        finally { $env:XDG_STATE_HOME = $script:SavedState }
    }
}

AfterAll {
    $env:XDG_STATE_HOME = $script:SavedState
    if (-not $script:NoIncus) { & incus start big --project $script:P *> $null }
    Remove-TestProject $script:P
    Remove-Item -Recurse -Force $script:T, $script:State -ErrorAction SilentlyContinue
}

Describe 'A backup run killed during the freeze' {
    It 'leaves the instance frozen, and the next run thaws it, cleans up and backs it up' -Skip:$script:NoIncus {
        $run = Start-BackupRun gzip
        try {
            $started = [DateTime]::UtcNow
            $polls = 0
            while (-not (Test-BigFrozen)) {
                $polls++
                if ($run.Process.HasExited -or [DateTime]::UtcNow -gt $started.AddSeconds(90)) {
                    $seconds = [int]([DateTime]::UtcNow - $started).TotalSeconds
                    throw "The backup run never froze the instance ($polls polls in $seconds s).$(Get-ScheduledScriptEnding $run)"
                }
                Start-Sleep -Milliseconds 50
            }
        }
        finally { Stop-ScheduledScript $run }

        Get-BigSettledState | Should -Be 'FROZEN' -Because 'a killed process cannot thaw what it froze'
        @(Get-ChildItem -LiteralPath (Join-Path $script:State 'incus-backup/frozen') -Filter *.json).Count | Should -Be 1 -Because 'the freeze was written down before it happened'
        @(Get-IncusBackup -Target $script:T -WarningAction SilentlyContinue).Count | Should -Be 0

        $record = Invoke-NextBackup -WarningVariable script:warnings -WarningAction SilentlyContinue
        $warnings = $script:warnings

        # The repository says what the killed run left in it, the server side what it left on the server.
        @($warnings).Count | Should -Be 2
        "$(@($warnings)[0])" | Should -Be "dir:$($script:T): removed 1 unfinished backup(s) of runs that ended early from .incomplete/."
        "$(@($warnings)[1])" | Should -BeLike "Thawed $($script:P)/big: a backup run (pid *) froze it at * and was stopped before it could thaw it."
        (Invoke-Incus list big --project $script:P -c s -f csv) | Should -Be 'RUNNING'
        $record.Consistency | Should -Be 'Frozen'
        @(Get-IncusBackup -Target $script:T).Count | Should -Be 1
        @(Get-ChildItem -LiteralPath (Join-Path $script:T '.incomplete') -ErrorAction SilentlyContinue).Count | Should -Be 0
        @(Get-ChildItem -LiteralPath (Join-Path $script:State 'incus-backup/frozen') -Filter *.json).Count | Should -Be 0
        (Invoke-Incus query "/1.0/instances/big/backups?project=$($script:P)" | ConvertFrom-Json).Count | Should -Be 0 -Because 'the dead run''s server-side backup is removed'
        Invoke-Incus exec big --project $script:P '--' sha256sum /root/big | Should -Be $script:Sum
    }
}

Describe 'A backup run killed in the middle of the download' {
    It 'leaves nothing listed, and the next run removes the partial archive and the server-side backup' -Skip:$script:NoIncus {
        $before = @(Get-IncusBackup -Target $script:T).Count
        $run = Start-BackupRun none
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(90)
            # Killed once a good part of the 200 MiB has arrived, well before the end.
            while (-not (Get-ChildItem -Recurse -File -LiteralPath (Join-Path $script:T '.incomplete') -ErrorAction SilentlyContinue | Where-Object Length -gt 16MB)) {
                if ($run.Process.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw 'The backup run never got far into its download.' }
                Start-Sleep -Milliseconds 50
            }
        }
        finally { Stop-ScheduledScript $run }

        @(Get-ChildItem -Recurse -File -LiteralPath (Join-Path $script:T '.incomplete')).Count | Should -BeGreaterThan 0 -Because 'the dead run left its partial archive'
        @(Get-IncusBackup -Target $script:T).Count | Should -Be $before -Because 'a partial backup is never listed'
        (Invoke-Incus query "/1.0/instances/big/backups?project=$($script:P)" | ConvertFrom-Json).Count | Should -Be 1 -Because 'the server-side backup is still there'
        (Invoke-Incus list big --project $script:P -c s -f csv) | Should -Be 'RUNNING' -Because 'the freeze ended before the download'

        $record = Invoke-NextBackup
        @(Get-IncusBackup -Target $script:T).Count | Should -Be ($before + 1)
        @(Get-ChildItem -LiteralPath (Join-Path $script:T '.incomplete') -ErrorAction SilentlyContinue).Count | Should -Be 0
        (Invoke-Incus query "/1.0/instances/big/backups?project=$($script:P)" | ConvertFrom-Json).Count | Should -Be 0 -Because 'the dead run''s server-side backup is removed'
        (Test-IncusBackup -InputObject $record).Status | Should -Be 'Passed'
    }
}

Describe 'A freeze that would last longer than -FreezeTimeout' {
    It 'thaws the instance, stops the backup with FreezeTimeout, and leaves nothing behind' -Skip:$script:NoIncus {
        $before = @(Get-IncusBackup -Target $script:T).Count
        $env:XDG_STATE_HOME = $script:State
        try {
            # gzip of 200 MiB of random bytes keeps the server reading for several seconds.
            { Backup-IncusInstance -Name big -Project $script:P -Target $script:T -Compression gzip -Consistency Freeze -FreezeTimeout 1 -ErrorAction Stop } |
                Should -Throw -ErrorId 'FreezeTimeout*' -ExpectedMessage "*still reading*after 1 s with $($script:P)/big frozen; it was thawed and the backup stopped*"
        }
        finally { $env:XDG_STATE_HOME = $script:SavedState }

        (Invoke-Incus list big --project $script:P -c s -f csv) | Should -Be 'RUNNING'
        @(Get-IncusBackup -Target $script:T).Count | Should -Be $before
        @(Get-ChildItem -LiteralPath (Join-Path $script:T '.incomplete') -ErrorAction SilentlyContinue).Count | Should -Be 0
        @(Get-ChildItem -LiteralPath (Join-Path $script:State 'incus-backup/frozen') -Filter *.json -ErrorAction SilentlyContinue).Count | Should -Be 0
        (Invoke-Incus query "/1.0/instances/big/backups?project=$($script:P)" | ConvertFrom-Json).Count | Should -Be 0 -Because 'the half-written server-side backup is deleted'
    }
}
