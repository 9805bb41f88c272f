# Tab completion as the prompt asks for it (TabExpansion2 with the cursor at the end of the line): names from the
# real server, and the fixed choices of -Compression.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule

    # What Tab offers for the line typed so far.
    function Get-Completion([string] $Line) {
        TabExpansion2 -inputScript $Line -cursorColumn $Line.Length
    }

    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    $script:P = New-TestProject
    # Created, not started: completion lists instances whatever their state.
    foreach ($name in 'web1', 'web2', 'db1') { Invoke-Incus init busybox-test $name --project $script:P | Out-Null }
    Invoke-Incus storage volume create default data1 --project $script:P | Out-Null
}

AfterAll {
    Remove-TestProject $script:P
}

Describe 'Tab completion' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It '-Name of Backup-IncusInstance offers the instances of -Project that start with the typed prefix' {
        $line = "Backup-IncusInstance -Project $($script:P) -Name we"
        $completion = Get-Completion $line
        $completion.CompletionMatches.CompletionText | Should -Be @('web1', 'web2')
        $completion.CompletionMatches.ResultType | Should -Be @('ParameterValue', 'ParameterValue')
        $completion.ReplacementIndex | Should -Be ($line.Length - 2)
        $completion.ReplacementLength | Should -Be 2
    }

    It '-Name of Backup-IncusInstance offers every instance of -Project when nothing is typed' {
        (Get-Completion "Backup-IncusInstance -Project $($script:P) -Name ").CompletionMatches.CompletionText |
            Should -Be @('db1', 'web1', 'web2')
    }

    It '-Name of Backup-IncusInstance reads -Project from a variable' {
        $P = $script:P
        (Get-Completion 'Backup-IncusInstance -Project $P -Name d').CompletionMatches.CompletionText | Should -Be 'db1'
    }

    It '-Name of Backup-IncusVolume offers pool/name, or the name alone when -Pool is given' {
        (Get-Completion "Backup-IncusVolume -Project $($script:P) -Name ").CompletionMatches.CompletionText | Should -Be 'default/data1'
        (Get-Completion "Backup-IncusVolume -Project $($script:P) -Pool default -Name d").CompletionMatches.CompletionText | Should -Be 'data1'
    }

    It '-Project of <_> completes project names' -ForEach @(
        'Backup-IncusInstance', 'Backup-IncusVolume', 'Get-IncusBackup', 'Restore-IncusInstance', 'Restore-IncusVolume'
    ) {
        # All of the project's name but its last character: no other project shares that prefix.
        $prefix = $script:P.Substring(0, $script:P.Length - 1)
        (Get-Completion "$_ -Project $prefix").CompletionMatches.CompletionText | Should -Be $script:P
        (Get-Completion "$_ -Project ").CompletionMatches.CompletionText | Should -Contain $script:P
        (Get-Completion "$_ -Project ").CompletionMatches.CompletionText | Should -Contain 'default'
    }

    It '-Pool of <_> offers the pool default' -ForEach @('Backup-IncusVolume', 'Get-IncusBackup', 'Restore-IncusVolume') {
        (Get-Completion "$_ -Pool ").CompletionMatches.CompletionText | Should -Contain 'default'
        $matching = (Get-Completion "$_ -Pool def").CompletionMatches.CompletionText
        $matching | Should -Contain 'default'
        $matching | Should -BeLike 'def*'
    }
}

Describe 'Tab completion without a server' {
    It '-Compression of <_> offers the values it accepts' -ForEach @('Backup-IncusInstance', 'Backup-IncusVolume') {
        $accepted = (Get-Command $_).Parameters['Compression'].Attributes.Where({ $_ -is [System.Management.Automation.ValidateSetAttribute] }).ValidValues
        $accepted | Sort-Object | Should -Be @('bzip2', 'gzip', 'lz4', 'lzma', 'none', 'xz', 'zstd')
        (Get-Completion "$_ -Compression ").CompletionMatches.CompletionText | Sort-Object | Should -Be ($accepted | Sort-Object)
        (Get-Completion "$_ -Compression l").CompletionMatches.CompletionText | Should -Be @('lz4', 'lzma')
    }
}
