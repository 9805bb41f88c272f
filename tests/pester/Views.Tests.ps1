# What users read of real records: the table views at 120 columns (a usual terminal) and at 80 (a small one, or the
# journal of a scheduled job, which pwsh formats for 80 columns), and the list view.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    $script:Project = New-TestProject
    $script:Repository = New-TestDirectory
    Invoke-Incus launch busybox-test c1 --project $script:Project | Out-Null
    $script:Record = Backup-IncusInstance -Name c1 -Project $script:Project -Target $script:Repository
    $script:Listing = Get-IncusBackup -Target $script:Repository -Project $script:Project
    $script:Result = $script:Record | Restore-IncusInstance -NewName c1-copy

    # The row of a record: Kind, Project, Pool, Name, Version and Size, each whole.
    function Get-RowPattern([IncusBackup.BackupRecord] $r) {
        '^Instance\s+{0}\s+default\s+{1}\s+{2}\s+{3}(?=\s|$)' -f [regex]::Escape($r.Project), [regex]::Escape($r.Name),
            [regex]::Escape($r.Version), [regex]::Escape([IncusBackup.Bytes]::Format($r.Size))
    }
}

AfterAll {
    Remove-TestProject $script:Project
    if ($script:Repository) { Remove-Item -Recurse -Force $script:Repository -ErrorAction SilentlyContinue }
}

Describe 'The BackupRecord table' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'shows a human size' {
        $shown = [IncusBackup.Bytes]::Format($script:Record.Size)
        $shown | Should -Match '^\d+\.\d (KiB|MiB|GiB)$'
        $lines = $script:Record | Format-Table | Out-String -Width 120 | ConvertTo-DisplayLine
        $lines[2] | Should -Match "\s$([regex]::Escape($shown))\s"
    }

    It 'shows every column, the name and the version whole, at 120 columns' {
        $lines = $script:Listing | Format-Table | Out-String -Width 120 | ConvertTo-DisplayLine
        $lines.Count | Should -Be 3
        $lines[0] | Should -Match '^Kind\s+Project\s+Pool\s+Name\s+Version\s+Size\s+Compression\s+Snapshots\s+Consistency$'
        $lines[2] | Should -Match ((Get-RowPattern $script:Record) + '\s+zstd\s+0\s+Frozen$')
        $lines | Should -Not -Match '…'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
    }

    It 'shows Kind, Project, Pool, Name, Version and Size whole at 80 columns, and leaves the rest out' {
        $lines = $script:Listing | Format-Table | Out-String -Width 80 | ConvertTo-DisplayLine
        $lines.Count | Should -Be 3
        # Ending at Size: the next columns are left out whole, not squeezed under a header wrapped over many lines.
        $lines[0] | Should -Match '^Kind\s+Project\s+Pool\s+Name\s+Version\s+Size$'
        $lines[2] | Should -Match ((Get-RowPattern $script:Record) + '$')
        $lines | Should -Not -Match '…'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
    }

    It 'shows a size of 10 GiB or more whole at 80 columns' {
        # The real record, as a big instance would give it.
        $properties = @{}
        foreach ($property in $script:Record.PSObject.Properties) { $properties[$property.Name] = $property.Value }
        $properties.Size = [long] (18.4 * 1GB)
        $big = [IncusBackup.BackupRecord] $properties
        $lines = $big | Format-Table | Out-String -Width 80 | ConvertTo-DisplayLine
        $lines[2] | Should -Match '\s18\.4 GiB$'
    }
}

Describe 'The BackupRecord list' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'shows where the backup is: Location and ArchiveName' {
        $script:Record.Location | Should -Be (Join-Path $script:Repository "instances/$($script:Project)/c1/$($script:Record.Version)")
        $lines = $script:Record | Format-List | Out-String -Width 200 | ConvertTo-DisplayLine
        $lines -match "^Location\s+: $([regex]::Escape($script:Record.Location))$" | Should -HaveCount 1
        $lines -match '^ArchiveName\s+: export\.tar\.zst$' | Should -HaveCount 1
        $lines -match "^Repository\s+: $([regex]::Escape("dir:$($script:Repository)"))$" | Should -HaveCount 1
    }
}

Describe 'The RestoreResult table' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    BeforeAll {
        if ($script:NoIncus) { return }
        # Action, Source (project/name), Version and Target (project/new name), each whole.
        $script:ResultRow = '^Restored\s+{0}/c1\s+{1}\s+{0}/c1-copy(?=\s|$)' -f [regex]::Escape($script:Project), [regex]::Escape($script:Record.Version)
    }

    It 'describes the restore' {
        $script:Result.Action | Should -Be 'Restored'
        $script:Result.TargetName | Should -Be 'c1-copy'
        $script:Result.TargetProject | Should -Be $script:Project
    }

    It 'shows every column whole at 120 columns' {
        $lines = $script:Result | Format-Table | Out-String -Width 120 | ConvertTo-DisplayLine
        $lines.Count | Should -Be 3
        $lines[0] | Should -Match '^Action\s+Source\s+Version\s+Target\s+Kind\s+Started\s+Duration$'
        $lines[2] | Should -Match ($script:ResultRow + '\s+Instance\s+False\s+\d[\d.,]* s$')
        $lines | Should -Not -Match '…'
    }

    It 'shows Action, Source, Version and a whole Target at 80 columns, and leaves the rest out' {
        $lines = $script:Result | Format-Table | Out-String -Width 80 | ConvertTo-DisplayLine
        $lines.Count | Should -Be 3
        $lines[0] | Should -Match '^Action\s+Source\s+Version\s+Target$'
        $lines[2] | Should -Match ($script:ResultRow + '$')
        $lines | Should -Not -Match '…'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
    }
}
