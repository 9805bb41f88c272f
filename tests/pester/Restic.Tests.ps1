# The restic backend end to end against the real restic and incusd: a backup of a small instance into a fresh restic
# repository is listed, verifies, restores under a new name with its files, and a retention rule forgets the older
# backup. Bad input: no password, an uninitialised repository.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    $script:NoRestic = $null -eq (Get-Command restic -ErrorAction SilentlyContinue)
    if ($script:NoRestic -and $env:CI -eq 'true') { throw 'restic is not installed, and CI=true requires the restic tests to run.' }
    $script:T = New-TestDirectory
    $script:Repo = Join-Path $script:T 'repo'
    $script:SavedPassword = $env:RESTIC_PASSWORD
    $env:RESTIC_PASSWORD = 'pt-restic-' + [guid]::NewGuid().ToString('N')
    if ($script:NoIncus -or $script:NoRestic) { return }
    $env:RESTIC_REPOSITORY = $script:Repo
    & restic init --quiet
    Remove-Item Env:RESTIC_REPOSITORY
    $script:P = 'pt-restic-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    Invoke-Incus project create $script:P -c features.images=false -c features.profiles=false | Out-Null
    Invoke-Incus init busybox-test c1 --project $script:P | Out-Null
    $script:Marker = Join-Path $script:T 'marker.txt'
    Set-Content -LiteralPath $script:Marker -Value "restic round trip $([guid]::NewGuid())"
    Invoke-Incus file push $script:Marker c1/root/marker.txt --project $script:P | Out-Null
}

AfterAll {
    Remove-TestProject $script:P
    $env:RESTIC_PASSWORD = $script:SavedPassword
    Remove-Item -Recurse -Force $script:T -ErrorAction SilentlyContinue
}

Describe 'restic: target' {
    It 'backs up, lists, verifies and restores an instance, file for file' -Skip:($script:NoIncus -or $script:NoRestic) {
        $record = Backup-IncusInstance -Name c1 -Project $script:P -Target "restic:$($script:Repo)" -ErrorAction Stop
        $record.Repository | Should -Be "restic:$($script:Repo)"

        $listed = @(Get-IncusBackup -Project $script:P -Target "restic:$($script:Repo)")
        $listed.Count | Should -Be 1
        $listed[0].Version | Should -Be $record.Version
        $listed[0].Sha256 | Should -Be $record.Sha256

        ($listed[0] | Test-IncusBackup).Status | Should -Be 'Passed'

        $result = $listed[0] | Restore-IncusInstance -NewName c1-restored -Confirm:$false -ErrorAction Stop
        $result | Should -Not -BeNullOrEmpty
        $back = Join-Path $script:T 'back.txt'
        Invoke-Incus file pull c1-restored/root/marker.txt $back --project $script:P | Out-Null
        Get-Content -LiteralPath $back -Raw | Should -Be (Get-Content -LiteralPath $script:Marker -Raw)
    }

    It 'forgets the older backup with -KeepLast 1' -Skip:($script:NoIncus -or $script:NoRestic) {
        $second = Backup-IncusInstance -Name c1 -Project $script:P -Target "restic:$($script:Repo)" -ErrorAction Stop
        @(Get-IncusBackup -Name c1 -Project $script:P -Target "restic:$($script:Repo)").Count | Should -Be 2

        Remove-IncusBackup -Project $script:P -KeepLast 1 -Target "restic:$($script:Repo)" -Confirm:$false -ErrorAction Stop

        $left = @(Get-IncusBackup -Name c1 -Project $script:P -Target "restic:$($script:Repo)")
        $left.Version | Should -Be @($second.Version)
        # The archive snapshots went with the seal: only the remaining backup's two snapshots are left.
        $env:RESTIC_REPOSITORY = $script:Repo
        try { @(& restic snapshots --json --tag incusbackup | ConvertFrom-Json).Count | Should -Be 2 }
        finally { Remove-Item Env:RESTIC_REPOSITORY }
    }

    It 'stops with ResticPasswordMissing when no password is set' -Skip:$script:NoRestic {
        $saved = $env:RESTIC_PASSWORD
        Remove-Item Env:RESTIC_PASSWORD
        try { { Get-IncusBackup -Target "restic:$($script:Repo)" -ErrorAction Stop } | Should -Throw -ErrorId 'ResticPasswordMissing*' }
        finally { $env:RESTIC_PASSWORD = $saved }
    }

    It 'stops with ResticRepositoryNotInitialized, telling to run restic init' -Skip:$script:NoRestic {
        $err = $null
        try { Get-IncusBackup -Target "restic:$(Join-Path $script:T 'nothing-here')" -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'ResticRepositoryNotInitialized*'
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*restic init*'
    }
}
