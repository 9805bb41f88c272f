# Clusters, as far as a standalone server can show them (a real cluster cannot run on one machine; the cluster
# behaviour itself is tested against a fake cluster in FakeClusterTests): a record of a standalone server has no
# Member, -TargetMember stops the restore with ServerNotClustered before anything changes, -TargetMember completes
# nothing, and the help describes it.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    $script:T = New-TestDirectory
    if ($script:NoIncus) { return }
    $script:P = New-TestProject
    Invoke-Incus init busybox-test c1 --project $script:P | Out-Null
    $script:Record = Backup-IncusInstance -Name c1 -Project $script:P -Target $script:T -ErrorAction Stop
    Invoke-Incus delete c1 --project $script:P | Out-Null
}

AfterAll {
    Remove-TestProject $script:P
    Remove-Item -Recurse -Force $script:T -ErrorAction SilentlyContinue
}

Describe 'A standalone server and -TargetMember' {
    It 'records no Member for a backup of a standalone server' -Skip:$script:NoIncus {
        $script:Record.Member | Should -BeNullOrEmpty
        (Get-IncusBackup -Target $script:T -Name c1).Member | Should -BeNullOrEmpty
    }

    It 'stops Restore-IncusInstance -TargetMember with ServerNotClustered, and creates nothing' -Skip:$script:NoIncus {
        $err = $null
        $result = $script:Record | Restore-IncusInstance -TargetMember m1 -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $err.Count | Should -BeGreaterThan 0
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ServerNotClustered,*'
        "$($err[0])" | Should -BeLike "*-TargetMember 'm1'*not clustered*Nothing was changed.*"
        Invoke-Incus list --project $script:P -c n -f csv | Should -BeNullOrEmpty
    }

    It 'restores where the cluster would put it without -TargetMember' -Skip:$script:NoIncus {
        $result = $script:Record | Restore-IncusInstance -Force -ErrorAction Stop
        $result.Action | Should -Be 'Restored'
        Invoke-Incus list --project $script:P -c n -f csv | Should -Be 'c1'
    }

    It 'completes no member names for -TargetMember on a standalone server' -Skip:$script:NoIncus {
        # From an empty folder: where a completer offers nothing, PowerShell falls back to the folder's file names.
        $empty = New-TestDirectory
        Push-Location -LiteralPath $empty
        try {
            $line = 'Restore-IncusVolume -Name x -TargetMember '
            @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches).Count | Should -Be 0
        }
        finally { Pop-Location; Remove-Item -Recurse -Force $empty }
    }

    It 'documents -TargetMember and the cluster ErrorIds' {
        foreach ($cmdlet in 'Restore-IncusInstance', 'Restore-IncusVolume') {
            (Get-Help $cmdlet -Parameter TargetMember).description.Text | Should -BeLike '*member it was backed up from*'
        }
        (Get-Help about_IncusBackup) | Out-String | Should -BeLike '*ClusterMemberNotFound*'
    }
}
