# Backup-IncusServer: one run, everything of a project, each record with the run's id.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    $script:T = New-TestDirectory
    if (-not $script:NoIncus) {
        $script:P = New-TestProject
        Invoke-Incus launch busybox-test s1 --project $script:P | Out-Null
        Invoke-Incus storage volume create default sv1 --project $script:P | Out-Null
        Invoke-Incus storage volume attach default sv1 s1 /data --project $script:P | Out-Null
    }
}

AfterAll {
    Remove-TestProject $script:P
    Remove-Item -Recurse -Force $script:T -ErrorAction SilentlyContinue
}

Describe 'Backup-IncusServer' {
    It 'backs up the config, the instance, its volume and its image in one run, and says so at the end' -Skip:$script:NoIncus {
        $records = Backup-IncusServer -Project $script:P -Target $script:T -InformationVariable summary -InformationAction Ignore
        ($records.Kind | ForEach-Object ToString | Sort-Object) | Should -Be @('Config', 'Image', 'Instance', 'Volume')
        @($records.RunId | Sort-Object -Unique).Count | Should -Be 1
        $records[0].RunId | Should -Match '^\d{8}T\d{6}Z$'
        ($records | Where-Object Kind -eq 'Instance').Consistency | Should -Be 'Frozen'
        ($records | Where-Object Kind -eq 'Volume').Consistency | Should -Be 'Frozen' -Because 'the volume''s writer is held still, even while the instance backup holds it too'
        "$summary" | Should -BeLike "Run $($records[0].RunId): backed up 1 instance(s), 1 volume(s), 1 image(s) and the config (*) to dir:$($script:T) in * s."
        (Invoke-Incus list --project $script:P -c ns -f csv) | Should -Be 's1,RUNNING' -Because 'every freeze was thawed'
    }

    It 'finds the run again by its id' -Skip:$script:NoIncus {
        $run = (Get-IncusBackup -Target $script:T -Kind Instance -Latest).RunId
        @(Get-IncusBackup -Target $script:T | Where-Object RunId -eq $run).Count | Should -Be 4
    }

    It 'names every backup under -WhatIf and takes none' -Skip:$script:NoIncus {
        $before = @(Get-IncusBackup -Target $script:T).Count
        $script = Join-Path ([System.IO.Path]::GetTempPath()) "srv-whatif-$PID.ps1"
        Set-Content -LiteralPath $script -Value "Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'; Backup-IncusServer -Project $($script:P) -Images None -Target '$($script:T)' -WhatIf"
        $run = Invoke-ScheduledScript $script
        Remove-Item -LiteralPath $script
        $run.Output | Should -Be @(
            "What if: Performing the operation `"Back up config`" on target `"config of project $($script:P) -> dir:$($script:T)`"."
            "What if: Performing the operation `"Back up instance`" on target `"$($script:P)/s1 -> dir:$($script:T)`"."
            "What if: Performing the operation `"Back up volume`" on target `"$($script:P)/default/sv1 -> dir:$($script:T)`"."
        )
        @(Get-IncusBackup -Target $script:T).Count | Should -Be $before
    }
}
