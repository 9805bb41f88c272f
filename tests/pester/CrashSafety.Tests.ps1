# A backup run killed (SIGKILL) while it holds a running instance frozen, against the real server: the instance stays
# frozen (nothing in the dead process can thaw it), and the next backup run thaws it, says so, removes the server-side
# backup the dead run left, and backs the instance up. Nothing of the killed run is listed in the repository.
# The freeze journal lives under a temporary XDG_STATE_HOME, so that the test sees only its own runs.
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
}

AfterAll {
    $env:XDG_STATE_HOME = $script:SavedState
    if (-not $script:NoIncus) { & incus start big --project $script:P *> $null }
    Remove-TestProject $script:P
    Remove-Item -Recurse -Force $script:T, $script:State -ErrorAction SilentlyContinue
}

Describe 'A backup run killed during the freeze' {
    It 'leaves the instance frozen, and the next run thaws it, cleans up and backs it up' -Skip:$script:NoIncus {
        $script = Join-Path $script:State 'backup.ps1'
        Set-Content -LiteralPath $script -Value @"
`$env:XDG_STATE_HOME = '$($script:State)'
Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'
Backup-IncusInstance -Name big -Project $($script:P) -Target '$($script:T)' -Compression gzip
"@
        $pwsh = @(Get-PwshCommand)
        $start = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($argument in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $script)) { $start.ArgumentList.Add($argument) }
        $start.UseShellExecute = $false
        $start.RedirectStandardOutput = $true
        $process = [System.Diagnostics.Process]::Start($start)
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(90)
            while ((Invoke-Incus list big --project $script:P -c s -f csv) -ne 'FROZEN') {
                if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw 'The backup run never froze the instance.' }
                Start-Sleep -Milliseconds 100
            }
            & kill -9 $process.Id
            $process.WaitForExit()
        }
        finally { $process.Dispose() }

        (Invoke-Incus list big --project $script:P -c s -f csv) | Should -Be 'FROZEN' -Because 'a killed process cannot thaw what it froze'
        @(Get-ChildItem -LiteralPath (Join-Path $script:State 'incus-backup/frozen') -Filter *.json).Count | Should -Be 1 -Because 'the freeze was written down before it happened'
        @(Get-IncusBackup -Target $script:T -WarningAction SilentlyContinue).Count | Should -Be 0

        $env:XDG_STATE_HOME = $script:State
        try {
            $record = Backup-IncusInstance -Name big -Project $script:P -Target $script:T -Compression none -WarningVariable warnings -WarningAction SilentlyContinue
        }
        finally { $env:XDG_STATE_HOME = $script:SavedState }

        "$warnings" | Should -BeLike "Thawed $($script:P)/big: a backup run (pid *) froze it at * and was stopped before it could thaw it."
        (Invoke-Incus list big --project $script:P -c s -f csv) | Should -Be 'RUNNING'
        $record.Consistency | Should -Be 'Frozen'
        @(Get-IncusBackup -Target $script:T).Count | Should -Be 1
        @(Get-ChildItem -LiteralPath (Join-Path $script:T '.incomplete') -ErrorAction SilentlyContinue).Count | Should -Be 0
        @(Get-ChildItem -LiteralPath (Join-Path $script:State 'incus-backup/frozen') -Filter *.json).Count | Should -Be 0
        (Invoke-Incus query "/1.0/instances/big/backups?project=$($script:P)" | ConvertFrom-Json).Count | Should -Be 0 -Because 'the dead run''s server-side backup is removed'
        Invoke-Incus exec big --project $script:P '--' sha256sum /root/big | Should -Be $script:Sum
    }
}
