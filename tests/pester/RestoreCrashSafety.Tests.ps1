# A replace-restore killed (SIGKILL) in the middle of its swap, against the real server: the moment r1-ibold appears
# (the original has just been renamed aside), the process running Restore-IncusInstance -Replace -Force dies. The
# next Restore-IncusInstance run finds the dead run's journal entry and either puts the original back (killed before
# the restored copy took the name r1) or finishes the swap (killed after), says which in a warning, and leaves r1
# RUNNING with no -ibnew/-ibold. /root/data inside tells which copy is in place: the original holds 'changed after
# the backup', the backup holds 'as backed up'. The journal lives under a temporary XDG_STATE_HOME, so that the
# test sees only its own runs.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    $script:P = New-TestProject
    $script:T = New-TestDirectory
    $script:State = New-TestDirectory
    $script:SavedState = $env:XDG_STATE_HOME
    Invoke-Incus launch busybox-test r1 --project $script:P | Out-Null
    Invoke-Incus exec r1 --project $script:P '--' sh -c 'echo "as backed up" > /root/data; sync' | Out-Null
    $script:BackupSum = (Invoke-Incus exec r1 --project $script:P '--' sha256sum /root/data) -split ' ' | Select-Object -First 1
    Backup-IncusInstance -Name r1 -Project $script:P -Target $script:T | Out-Null
    Invoke-Incus exec r1 --project $script:P '--' sh -c 'echo "changed after the backup" > /root/data; sync' | Out-Null
    $script:OriginalSum = (Invoke-Incus exec r1 --project $script:P '--' sha256sum /root/data) -split ' ' | Select-Object -First 1

    function Get-Names { @(Invoke-Incus list --project $script:P -c n -f csv) | Sort-Object }

    # Starts Restore-IncusInstance -Replace -Force in a separate pwsh and SIGKILLs it the moment $Name appears.
    function Stop-RestoreAt([string] $Name) {
        $script = Join-Path $script:State 'restore.ps1'
        Set-Content -LiteralPath $script -Value @"
`$env:XDG_STATE_HOME = '$($script:State)'
Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'
Restore-IncusInstance -Name r1 -Project $($script:P) -Target '$($script:T)' -Replace -Force
"@
        $run = Start-ScheduledScript $script
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while ((Get-Names) -notcontains $Name) {
                if ($run.Process.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "$Name never appeared: $(Get-Names)" }
                Start-Sleep -Milliseconds 20
            }
        }
        finally { Stop-ScheduledScript $run }
    }

    function Get-DataSum { (Invoke-Incus exec r1 --project $script:P '--' sha256sum /root/data) -split ' ' | Select-Object -First 1 }
}

AfterAll {
    $env:XDG_STATE_HOME = $script:SavedState
    Remove-TestProject $script:P
    Remove-Item -Recurse -Force $script:T, $script:State -ErrorAction SilentlyContinue
}

Describe 'A replace-restore killed between its steps' {
    It 'is rolled back or finished by the next restore run, with the instance running under its own name' -Skip:$script:NoIncus {
        Stop-RestoreAt 'r1-ibold'

        $left = Get-Names
        $left | Should -Contain 'r1-ibold' -Because 'a killed process cannot delete the original it set aside'
        @(Get-ChildItem -LiteralPath (Join-Path $script:State 'incus-backup/restores') -Filter *.json).Count | Should -Be 1 -Because 'the replace was written down before each step'

        # The next restore run recovers before it plans; -SkipExisting then leaves the recovered r1 as it is.
        $env:XDG_STATE_HOME = $script:State
        try {
            $result = Restore-IncusInstance -Name r1 -Project $script:P -Target $script:T -SkipExisting -WarningVariable warnings -WarningAction SilentlyContinue
        }
        finally { $env:XDG_STATE_HOME = $script:SavedState }

        $warning = "$warnings"
        Write-Host "Killed with: $($left -join ', '); recovery: $warning"
        Get-Names | Should -Be @('r1') -Because "no -ibnew/-ibold is left (killed with $($left -join ', '))"
        (Invoke-Incus list r1 --project $script:P -c s -f csv) | Should -Be 'RUNNING'
        @(Get-ChildItem -LiteralPath (Join-Path $script:State 'incus-backup/restores') -Filter *.json).Count | Should -Be 0
        $result.Action | Should -Be 'Skipped'
        if ($left -contains 'r1') {
            # Killed after the restored copy took the name: it is complete (the import had finished), so the swap is finished.
            $warning | Should -BeLike "Finished replacing $($script:P)/r1 with $($script:P)/r1@*: a restore of $($script:P)/r1 * (pid *) was stopped at step '*' after the restored copy was in place; deleted the original $($script:P)/r1-ibold*"
            Get-DataSum | Should -Be $script:BackupSum -Because 'the backup''s copy is in place'
        }
        else {
            # Killed between setting the original aside and the swap: the original comes back under its own name.
            $warning | Should -BeLike "Put the original instance $($script:P)/r1 back: a restore of $($script:P)/r1 * was stopped at step '*' before the restored copy was in place; deleted the temporary copy $($script:P)/r1-ibnew; started again: $($script:P)/r1. Run the restore again to replace it."
            Get-DataSum | Should -Be $script:OriginalSum -Because 'the original, with its change after the backup, is in place'
        }

        # And a rerun of the replace now goes through as usual.
        $env:XDG_STATE_HOME = $script:State
        try {
            $again = Restore-IncusInstance -Name r1 -Project $script:P -Target $script:T -Replace -Force -WarningVariable rerunWarnings
        }
        finally { $env:XDG_STATE_HOME = $script:SavedState }
        $again.Action | Should -Be 'Replaced'
        @($rerunWarnings).Count | Should -Be 0
        Get-Names | Should -Be @('r1')
        (Invoke-Incus list r1 --project $script:P -c s -f csv) | Should -Be 'RUNNING'
        Get-DataSum | Should -Be $script:BackupSum
    }
}

Describe 'A replace-restore killed while the server imports the upload' {
    It 'is rolled back by the next restore run: the original stays, running, untouched' -Skip:$script:NoIncus {
        Invoke-Incus exec r1 --project $script:P '--' sh -c 'echo "changed after the backup" > /root/data; sync' | Out-Null

        Stop-RestoreAt 'r1-ibnew'
        (Get-Names) | Should -Contain 'r1'

        $env:XDG_STATE_HOME = $script:State
        try {
            $result = Restore-IncusInstance -Name r1 -Project $script:P -Target $script:T -SkipExisting -WarningVariable warnings -WarningAction SilentlyContinue
        }
        finally { $env:XDG_STATE_HOME = $script:SavedState }

        Write-Host "Recovery: $warnings"
        "$warnings" | Should -BeLike "Put the original instance $($script:P)/r1 back: a restore of $($script:P)/r1 * was stopped at step '*' before the restored copy was in place; deleted the temporary copy $($script:P)/r1-ibnew*"
        $result.Action | Should -Be 'Skipped'
        Get-Names | Should -Be @('r1')
        (Invoke-Incus list r1 --project $script:P -c s -f csv) | Should -Be 'RUNNING'
        Get-DataSum | Should -Be $script:OriginalSum -Because 'the import may not have been complete: the original is kept'
        @(Get-ChildItem -LiteralPath (Join-Path $script:State 'incus-backup/restores') -Filter *.json).Count | Should -Be 0
    }
}
