# Backup-IncusInstance -Images: the images the instances came from, once per repository.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    $script:T = New-TestDirectory
    if (-not $script:NoIncus) {
        $script:P = New-TestProject
        Invoke-Incus init busybox-test i1 --project $script:P | Out-Null
        $script:Fingerprint = (Invoke-Incus config get i1 volatile.base_image --project $script:P) -join ''
    }
}

AfterAll {
    Remove-TestProject $script:P
    Remove-Item -Recurse -Force $script:T -ErrorAction SilentlyContinue
}

Describe 'Backup-IncusInstance -Images' {
    It 'backs up nothing but the instance by default' -Skip:$script:NoIncus {
        $records = Backup-IncusInstance -Name i1 -Project $script:P -Target $script:T
        $records.Kind | Should -Be @('Instance')
    }

    It 'names the referenced image under -WhatIf, and writes nothing' -Skip:$script:NoIncus {
        $before = @(Get-ChildItem -Recurse -LiteralPath $script:T).Count
        $script = Join-Path $script:T 'whatif.ps1'
        Set-Content -LiteralPath $script -Value @"
Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'
Backup-IncusInstance -Name i1 -Project $($script:P) -Target '$($script:T)' -Images Referenced -WhatIf
"@
        $run = Invoke-ScheduledScript $script
        Remove-Item -LiteralPath $script
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Be @(
            "What if: Performing the operation `"Back up instance`" on target `"$($script:P)/i1 -> dir:$($script:T)`"."
            "What if: Performing the operation `"Back up image`" on target `"default/$($script:Fingerprint.Substring(0, 12)) (busybox-test) -> dir:$($script:T)`"."
        )
        @(Get-ChildItem -Recurse -LiteralPath $script:T).Count | Should -Be $before
    }

    It 'adds the image the instance was created from, as an Image record with its fingerprint and aliases' -Skip:$script:NoIncus {
        $records = Backup-IncusInstance -Name i1 -Project $script:P -Target $script:T -Images Referenced
        $records.Kind | Should -Be @('Instance', 'Image')
        $records[1].Name | Should -Be $script:Fingerprint
        $records[1].Aliases | Should -Contain 'busybox-test'
        (Get-IncusBackup -Target $script:T -Kind Image).Name | Should -Be @($script:Fingerprint)
    }

    It 'does not back up an image the repository already holds' -Skip:$script:NoIncus {
        $records = Backup-IncusInstance -Name i1 -Project $script:P -Target $script:T -Images Referenced
        $records.Kind | Should -Be @('Instance')
        @(Get-IncusBackup -Target $script:T -Kind Image).Count | Should -Be 1
    }
}
