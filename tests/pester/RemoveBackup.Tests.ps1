# Remove-IncusBackup against real backups of a real instance: a retention rule removes exactly what -WhatIf listed
# and keeps the newest; -Verbose says why each kept backup stays; -PassThru writes the removed records; a piped newest
# backup needs -Force; a repository held by a backup run makes the prune wait, then fail with RepositoryLocked.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    $script:T = New-TestDirectory
    if ($script:NoIncus) { return }
    $script:P = New-TestProject
    Invoke-Incus init busybox-test c1 --project $script:P | Out-Null
    Invoke-Incus init busybox-test c2 --project $script:P | Out-Null
    $script:C1 = @(1..4 | ForEach-Object { Backup-IncusInstance -Name c1 -Project $script:P -Target $script:T -Compression none })
    $script:C2 = @(1..2 | ForEach-Object { Backup-IncusInstance -Name c2 -Project $script:P -Target $script:T -Compression none })
}

AfterAll {
    Remove-TestProject $script:P
    Remove-Item -Recurse -Force $script:T -ErrorAction SilentlyContinue
}

Describe 'Remove-IncusBackup' {
    It 'lists under -WhatIf exactly the backups a rule would remove, and removes none' -Skip:$script:NoIncus {
        $script = Join-Path $script:T 'whatif.ps1'
        Set-Content -LiteralPath $script -Value "Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'; Remove-IncusBackup -Project $($script:P) -KeepLast 2 -Target '$($script:T)' -WhatIf"
        $run = Invoke-ScheduledScript $script
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Be @(
            foreach ($r in $script:C1[0..1]) { "What if: Performing the operation `"Remove backup`" on target `"$r ($([IncusBackup.Bytes]::Format($r.Size))) in dir:$($script:T)`"." }
        )
        @(Get-IncusBackup -Target $script:T).Count | Should -Be 6
    }

    It 'leaves a dead run''s leftover alone under -WhatIf, and removes it (saying so) when it runs' -Skip:$script:NoIncus {
        # As a killed backup run leaves its staging folder: named after a process that no longer exists.
        $leftover = Join-Path $script:T '.incomplete/999999999-pt-leftover'
        New-Item -ItemType Directory -Path $leftover | Out-Null
        Remove-IncusBackup -Project $script:P -KeepLast 2 -Target $script:T -WhatIf -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
        Test-Path -LiteralPath $leftover | Should -BeTrue -Because '-WhatIf changes nothing in the repository'
        @($warned).Count | Should -Be 0

        # A piped newest backup is refused (NewestBackupKept) and stays, but the repository was opened to remove.
        Get-IncusBackup -Name c2 -Project $script:P -Target $script:T -Latest |
            Remove-IncusBackup -WarningVariable cleaned -WarningAction SilentlyContinue -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'NewestBackupKept*'
        @(Get-IncusBackup -Target $script:T).Count | Should -Be 6
        Test-Path -LiteralPath $leftover | Should -BeFalse
        "$cleaned" | Should -Be "dir:$($script:T): removed 1 unfinished backup(s) of runs that ended early from .incomplete/."
    }

    It 'applies the rule to the backups of the server -ServerName names only' -Skip:$script:NoIncus {
        $name = (& incus query /1.0 | ConvertFrom-Json).environment.server_name
        function Get-Decision([string] $Server) {
            @(Remove-IncusBackup -Project $script:P -KeepLast 2 -ServerName $Server -Target $script:T -WhatIf -Verbose -InformationAction Ignore 4>&1 |
                ForEach-Object { "$_" } | Where-Object { $_ -like 'Keeping *' -or $_ -like 'What if:*' -or $_ -like 'Performing the operation*' })
        }
        Get-Decision 'no-such-host' | Should -BeNullOrEmpty
        @(Get-Decision $name | Where-Object { $_ -like 'Keeping *' }).Count | Should -Be 4 -Because 'c1 keeps two and c2 its two'
        @(Get-IncusBackup -Target $script:T).Count | Should -Be 6
    }

    It 'removes them with the rule, says why each kept one stays, and writes the removed records with -PassThru' -Skip:$script:NoIncus {
        $removed = Remove-IncusBackup -Project $script:P -KeepLast 2 -Target $script:T -PassThru -Verbose -InformationVariable info 4>&1 | Tee-Object -Variable all |
            Where-Object { $_ -is [IncusBackup.BackupRecord] }
        $verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)

        @($removed.Version) | Should -Be @($script:C1[0..1].Version)
        $verbose | Should -Contain "Keeping $($script:C1[3]): last."
        $verbose | Should -Contain "Keeping $($script:C2[0]): last."
        "$info" | Should -Be "Removed 2 backup(s) ($([IncusBackup.Bytes]::Format(($script:C1[0..1] | Measure-Object Size -Sum).Sum))) from dir:$($script:T), kept 4 of 2 resource(s) by last=2."
        @(Get-IncusBackup -Target $script:T | ForEach-Object Version) | Should -Be @($script:C1[2..3].Version + $script:C2.Version)
        @(Get-ChildItem -LiteralPath (Join-Path $script:T '.incomplete') -Force).Count | Should -Be 0 -Because 'a removal leaves nothing behind'
    }

    It 'keeps a piped newest backup without -Force (NewestBackupKept), and removes an older one' -Skip:$script:NoIncus {
        Get-IncusBackup -Name c2 -Project $script:P -Target $script:T | Remove-IncusBackup -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.FullyQualifiedErrorId | Should -BeLike 'NewestBackupKept,*'
        @(Get-IncusBackup -Name c2 -Project $script:P -Target $script:T).Version | Should -Be $script:C2[1].Version
        Get-IncusBackup -Name c2 -Project $script:P -Target $script:T | Remove-IncusBackup -Force
        @(Get-IncusBackup -Name c2 -Project $script:P -Target $script:T -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'waits for a repository held by a backup run, then stops with RepositoryLocked' -Skip:$script:NoIncus {
        # A backup run shares the lock; a prune needs it alone.
        $held = [System.IO.File]::Open((Join-Path $script:T '.lock'), 'OpenOrCreate', 'ReadWrite', 'ReadWrite')
        try {
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            { Remove-IncusBackup -Project $script:P -KeepLast 1 -LockTimeout 1 -Target $script:T -ErrorAction Stop } | Should -Throw -ErrorId 'RepositoryLocked*'
            $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1
        }
        finally { $held.Dispose() }
        @(Get-IncusBackup -Name c1 -Project $script:P -Target $script:T).Count | Should -Be 2
    }

    It 'never removes a protected backup: a rule keeps it (and says why), a piped one is BackupProtected; unprotected, it goes' -Skip:$script:NoIncus {
        $old, $new = @(Get-IncusBackup -Name c1 -Project $script:P -Target $script:T)
        $marked = $old | Protect-IncusBackup -PassThru
        $marked.Protected | Should -BeTrue
        (Get-IncusBackup -Name c1 -Project $script:P -Target $script:T -Version $old.Version).Protected | Should -BeTrue
        Test-Path (Join-Path $old.Location 'protected') | Should -BeTrue

        $verbose = Remove-IncusBackup -Name c1 -Project $script:P -KeepLast 1 -Target $script:T -Verbose 4>&1 6>$null | ForEach-Object Message
        $verbose | Should -Contain "Keeping $($old): protected."
        $old | Remove-IncusBackup -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.FullyQualifiedErrorId | Should -BeLike 'BackupProtected,*'
        @(Get-IncusBackup -Name c1 -Project $script:P -Target $script:T).Count | Should -Be 2
        Test-IncusBackup -Name c1 -Project $script:P -Target $script:T -Quiet | Should -BeTrue -Because 'the mark is outside the seal'

        $old | Unprotect-IncusBackup -PassThru | Remove-IncusBackup
        @(Get-IncusBackup -Name c1 -Project $script:P -Target $script:T).Version | Should -Be $new.Version
    }

    It 'refuses to run without a rule' {
        { Remove-IncusBackup -Target $script:T -ErrorAction Stop } | Should -Throw -ErrorId 'RetentionPolicyInvalid*'
        { Remove-IncusBackup -Policy 'daily=x' -Target $script:T -ErrorAction Stop } | Should -Throw -ErrorId 'RetentionPolicyInvalid*'
    }
}
