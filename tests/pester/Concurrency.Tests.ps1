# Runs that overlap against one repository, each in a pwsh of its own as cron jobs and timers start them: two
# backups of one instance, a backup of another, and a prune of a third resource, all started at once. Every backup
# lands (two at the same second get distinct versions), the prune waits for the backups it overlaps or they wait
# for it, and the repository stays sound: every backup passes Test-IncusBackup, nothing is left in .incomplete. A
# backup that starts while a prune holds the repository waits for it instead of failing.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    $script:T = New-TestDirectory
    $script:Scripts = New-TestDirectory
    if ($script:NoIncus) { return }
    $script:P = New-TestProject
    foreach ($name in 'c1', 'c2', 'c3') { Invoke-Incus init busybox-test $name --project $script:P | Out-Null }
    $script:OldC3 = @(1..3 | ForEach-Object { Backup-IncusInstance c3 -Project $script:P -Target $script:T -Compression none -ErrorAction Stop })

    # Starts a script in a pwsh of its own, as cron does, without waiting (Wait-ScheduledScript collects what it printed).
    function Start-Script([string] $Code) {
        $path = Join-Path $script:Scripts ([guid]::NewGuid().ToString('N') + '.ps1')
        Set-Content -LiteralPath $path -Value "`$ErrorActionPreference = 'Stop'`nImport-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup/IncusBackup.psd1')'`n$Code"
        Start-ScheduledScript $path
    }
}

AfterAll {
    Remove-TestProject $script:P
    Remove-Item -Recurse -Force $script:T, $script:Scripts -ErrorAction SilentlyContinue
}

Describe 'Overlapping runs on one repository' {
    It 'lands two backups of one instance, one of another and a prune, all started at once, and leaves a sound repository' -Skip:$script:NoIncus {
        $common = "-Project $($script:P) -Target '$($script:T)'"
        $runs = @(
            Start-Script "(Backup-IncusInstance c1 $common -Compression none).Version"
            Start-Script "(Backup-IncusInstance c1 $common -Compression none).Version"
            Start-Script "(Backup-IncusInstance c2 $common).Version"
            Start-Script "Remove-IncusBackup c3 $common -KeepLast 1 -LockTimeout 240 -PassThru -InformationAction Ignore | ForEach-Object Version"
        )
        $results = @($runs | ForEach-Object { Wait-ScheduledScript $_ })

        foreach ($r in $results) { $r.ExitCode | Should -Be 0 -Because "every run succeeds ($($r.Output + $r.Errors -join '; '))" }
        $c1 = @($results[0].Output + $results[1].Output)
        $c1 | Should -Match '^\d{8}T\d{6}Z(-\d+)?$'
        $c1[0] | Should -Not -Be $c1[1] -Because 'two backups of one instance never share a version'
        @(Get-IncusBackup c1 -Project $script:P -Target $script:T).Version | Sort-Object | Should -Be @($c1 | Sort-Object)
        (Get-IncusBackup c2 -Project $script:P -Target $script:T).Version | Should -Be $results[2].Output
        # The prune removed exactly the two older backups of c3 and nothing of the others.
        @($results[3].Output | Sort-Object) | Should -Be @($script:OldC3[0..1].Version | Sort-Object)
        (Get-IncusBackup c3 -Project $script:P -Target $script:T).Version | Should -Be $script:OldC3[2].Version

        $tests = @(Test-IncusBackup -Project $script:P -Target $script:T -ErrorAction Stop)
        $tests.Count | Should -Be 4
        $tests.Status | ForEach-Object { $_ | Should -Be 'Passed' }
        @(Get-ChildItem -Force (Join-Path $script:T '.incomplete') -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty -Because 'no run left anything half written'
    }

    It 'makes a backup that starts while a prune holds the repository wait for it, then land' -Skip:$script:NoIncus {
        # What a prune holds (see Remove-IncusBackup's LockTimeout test): the lock file, alone.
        $held = [System.IO.File]::Open((Join-Path $script:T '.lock'), 'OpenOrCreate', 'ReadWrite', 'None')
        try {
            $run = Start-Script "(Backup-IncusInstance c2 -Project $($script:P) -Target '$($script:T)' -Verbose 4>&1 | Out-String -Stream) -match 'held by a maintenance run|^Instance'"
            Start-Sleep -Seconds 6
            $run.Process.HasExited | Should -BeFalse -Because 'the backup waits for the prune'
        }
        finally { $held.Dispose() }
        $r = Wait-ScheduledScript $run

        $r.ExitCode | Should -Be 0 -Because ($r.Output + $r.Errors -join '; ')
        $r.Output[0] | Should -Match "is held by a maintenance run; waiting up to 10 minutes for it to finish\.$"
        @(Get-IncusBackup c2 -Project $script:P -Target $script:T).Count | Should -Be 2
    }
}
