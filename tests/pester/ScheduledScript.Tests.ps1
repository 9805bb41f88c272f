# Scripts as a systemd timer runs them (pwsh -NoProfile -NonInteractive -File, nothing on standard input): the exit
# code the timer sees, what its journal shows (pwsh formats for 80 columns there), and a restore that would need an
# answer nobody can give.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    $script:P = New-TestProject
    $script:T = New-TestDirectory
    $script:Scripts = New-TestDirectory
    Invoke-Incus launch busybox-test c1 --project $script:P | Out-Null
    $script:Backup = Backup-IncusInstance -Name c1 -Project $script:P -Target $script:T
    # Written after the backup: a restore that went ahead would lose it.
    Invoke-Incus exec c1 --project $script:P '--' sh -c 'echo kept > /root/after-backup' | Out-Null

    $import = "Import-Module '{0}'" -f (Join-Path (Get-RepositoryRoot) 'module/IncusBackup').Replace("'", "''")
    # As in about_IncusBackup: the nightly backup of one instance, and of every instance of a project.
    $script:Nightly = Join-Path $script:Scripts 'incus-nightly-backup.ps1'
    Set-Content -LiteralPath $script:Nightly -Value @"
param([string] `$name, [string] `$P, [string] `$T)
$import
Backup-IncusInstance -Name `$name -Project `$P -Target `$T -ErrorVariable failed
if (`$failed) { exit 1 }
"@
    $script:NightlyAll = Join-Path $script:Scripts 'incus-nightly-backup-all.ps1'
    Set-Content -LiteralPath $script:NightlyAll -Value @"
param([string] `$P, [string] `$T)
$import
Backup-IncusInstance -All -Project `$P -Target `$T -ErrorVariable failed
if (`$failed) { exit 1 }
"@
    # An unattended restore that prints the ErrorIds of its failures for the journal.
    $script:RestoreScript = Join-Path $script:Scripts 'incus-restore.ps1'
    Set-Content -LiteralPath $script:RestoreScript -Value @"
param([string] `$name, [string] `$P, [string] `$T, [switch] `$Replace, [switch] `$SkipExisting)
$import
Restore-IncusInstance -Name `$name -Project `$P -Target `$T -Replace:`$Replace -SkipExisting:`$SkipExisting -ErrorVariable failed
if (`$failed) { `$failed | ForEach-Object { 'error: ' + `$_.FullyQualifiedErrorId }; exit 1 }
"@

    function Get-Versions { @((Get-IncusBackup -Target $script:T -Project $script:P).Version) }
}

AfterAll {
    Remove-TestProject $script:P
    foreach ($folder in $script:T, $script:Scripts) {
        if ($folder) { Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue }
    }
}

Describe 'A nightly backup script' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'exits 0 for an existing instance, and its journal shows the backup' {
        $before = Get-Versions
        $run = Invoke-ScheduledScript $script:Nightly -ArgumentList '-name', 'c1', '-P', $script:P, '-T', $script:T
        $run.ExitCode | Should -Be 0
        $run.Errors | Should -BeNullOrEmpty
        $after = Get-Versions
        $after.Count | Should -Be ($before.Count + 1)
        $new = Get-IncusBackup -Target $script:T -Project $script:P -Latest
        $run.Output[0] | Should -Match '^Kind\s+Project\s+Pool\s+Name\s+Version\s+Size(\s|$)'
        $row = '^Instance\s+{0}\s+default\s+c1\s+{1}\s+{2}(\s|$)' -f [regex]::Escape($script:P), $new.Version, [regex]::Escape([IncusBackup.Bytes]::Format($new.Size))
        $run.Output -match $row | Should -HaveCount 1
        $run.Output | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
    }

    It 'exits 1 for a missing instance, names it, and writes nothing' {
        $before = Get-Versions
        $run = Invoke-ScheduledScript $script:Nightly -ArgumentList '-name', 'nope', '-P', $script:P, '-T', $script:T
        $run.ExitCode | Should -Be 1
        Join-ErrorView $run.Errors | Should -BeLike "*No instance named 'nope' was found in project '$($script:P)'.*"
        $run.Output | Should -BeNullOrEmpty
        Get-Versions | Should -Be $before
    }

    It 'exits 1 when the repository is a file' {
        $file = Join-Path $script:Scripts 'not-a-folder'
        Set-Content -LiteralPath $file -Value 'an ordinary file'
        $run = Invoke-ScheduledScript $script:Nightly -ArgumentList '-name', 'c1', '-P', $script:P, '-T', $file
        $run.ExitCode | Should -Be 1
        Join-ErrorView $run.Errors | Should -BeLike "*'$file' is not writable: '$file' is a file, not a folder.*"
        Get-Content -LiteralPath $file | Should -Be 'an ordinary file'
    }

    It 'exits 1 when -All names a project the server does not have' {
        $run = Invoke-ScheduledScript $script:NightlyAll -ArgumentList '-P', 'pt-missing', '-T', $script:T
        $run.ExitCode | Should -Be 1
        Join-ErrorView $run.Errors | Should -BeLike "*pt-missing*"
    }
}

Describe 'An unattended restore' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'onto the running instance without -Force (<Case>) exits 1 with ConfirmationRequired and changes nothing' -ForEach @(
        @{ Case = 'without -Replace'; Switches = @() }
        @{ Case = 'with -Replace'; Switches = @('-Replace') }
    ) {
        $before = Get-IncusListing $script:P
        $run = Invoke-ScheduledScript $script:RestoreScript -ArgumentList (@('-name', 'c1', '-P', $script:P, '-T', $script:T) + $Switches)
        $run.ExitCode | Should -Be 1
        $run.Output | Should -Be 'error: ConfirmationRequired,IncusBackup.PowerShell.Commands.RestoreIncusInstanceCommand'
        Join-ErrorView $run.Errors | Should -BeLike '*nothing was changed.*'
        Get-IncusListing $script:P | Should -Be $before
        Invoke-Incus exec c1 --project $script:P '--' cat /root/after-backup | Should -Be 'kept'
    }

    It 'with -SkipExisting exits 0, reports Skipped and changes nothing' {
        $before = Get-IncusListing $script:P
        $run = Invoke-ScheduledScript $script:RestoreScript -ArgumentList '-name', 'c1', '-P', $script:P, '-T', $script:T, '-SkipExisting'
        $run.ExitCode | Should -Be 0
        $run.Errors | Should -BeNullOrEmpty
        $row = '^Skipped\s+{0}/c1\s+{1}\s+{0}/c1(\s|$)' -f [regex]::Escape($script:P), (Get-IncusBackup -Target $script:T -Project $script:P -Latest).Version
        $run.Output -match $row | Should -HaveCount 1
        Get-IncusListing $script:P | Should -Be $before
        Invoke-Incus exec c1 --project $script:P '--' cat /root/after-backup | Should -Be 'kept'
    }
}
