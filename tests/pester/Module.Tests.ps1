# The module as a user's pwsh loads it: exports, the types scripts name, private dependencies, help.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:Cmdlets = 'Backup-IncusConfig', 'Backup-IncusImage', 'Backup-IncusInstance', 'Backup-IncusServer', 'Backup-IncusVolume', 'Copy-IncusBackup', 'Get-IncusBackup', 'Initialize-IncusBackupRepository', 'Protect-IncusBackup', 'Remove-IncusBackup', 'Restore-IncusConfig', 'Restore-IncusImage', 'Restore-IncusInstance', 'Restore-IncusServer', 'Restore-IncusVolume', 'Test-IncusBackup', 'Unprotect-IncusBackup'
}

Describe 'The module' {
    It 'exports exactly the cmdlets of its manifest, at the manifest''s version' {
        $manifest = Import-PowerShellDataFile (Join-Path (Get-RepositoryRoot) 'module/IncusBackup/IncusBackup.psd1')
        (Get-Command -Module IncusBackup).Name | Sort-Object | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        (Get-Module IncusBackup).Version | Should -Be ([version]$manifest.ModuleVersion)
    }

    It 'lets scripts name its types' {
        [IncusBackup.BackupRecord].FullName | Should -Be 'IncusBackup.BackupRecord'
        [IncusBackup.RestoreResult].FullName | Should -Be 'IncusBackup.RestoreResult'
        [IncusBackup.BackupKind]::Volume | Should -Be 'Volume'
        [IncusBackup.Bytes]::Format(1536) | Should -Be '1.5 KiB'
        (Get-Command Restore-IncusInstance).Parameters['InputObject'].ParameterType.GetElementType() | Should -Be ([IncusBackup.BackupRecord])
    }

    It 'keeps the engine and its third-party libraries in its own load context, and the model types in the default one' {
        # Planning with -WhatIf reads an archive's index: the engine and YamlDotNet are loaded by now.
        $null = [IncusBackup.Bytes]::Format(1)
        $null = (Get-Command Get-IncusBackup).ImplementingType
        $contexts = [System.Runtime.Loader.AssemblyLoadContext]
        $contexts::GetLoadContext([IncusBackup.BackupRecord].Assembly).Name | Should -Be 'Default'
        $contexts::GetLoadContext((Get-Command Get-IncusBackup).ImplementingType.Assembly).Name | Should -Be 'Default'
        $private = $contexts::All | Where-Object Name -eq 'IncusBackup'
        $private | Should -Not -BeNullOrEmpty
        $default = $contexts::Default.Assemblies.GetName().Name
        $default | Should -Not -Contain 'IncusBackup.Core'
        $default | Should -Not -Contain 'YamlDotNet'
        $default | Should -Not -Contain 'ZstdSharp'
        $default | Should -Not -Contain 'Polly.Core'
    }

    It 'loads the engine into its own context when a cmdlet first needs it' {
        $repository = New-TestDirectory
        try {
            # Reading an empty repository runs engine code (TargetResolver, the directory backend).
            Get-IncusBackup -Target $repository -WarningAction SilentlyContinue | Should -BeNullOrEmpty
            $private = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'IncusBackup'
            $private.Assemblies.GetName().Name | Should -Contain 'IncusBackup.Core'
            [System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies.GetName().Name | Should -Not -Contain 'IncusBackup.Core'
        }
        finally { Remove-Item -Recurse -Force $repository }
    }
}

Describe 'Help' {
    It '<_> has written help: a synopsis, two or more examples, and every parameter described' -ForEach @(
        'Backup-IncusConfig', 'Backup-IncusImage', 'Backup-IncusInstance', 'Backup-IncusServer', 'Backup-IncusVolume', 'Copy-IncusBackup', 'Get-IncusBackup', 'Initialize-IncusBackupRepository', 'Protect-IncusBackup', 'Remove-IncusBackup', 'Restore-IncusConfig', 'Restore-IncusImage', 'Restore-IncusInstance', 'Restore-IncusServer', 'Restore-IncusVolume', 'Test-IncusBackup', 'Unprotect-IncusBackup'
    ) {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeLike "$_*"
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        $undocumented = @($help.parameters.parameter | Where-Object { -not $_.description } | ForEach-Object name)
        $undocumented | Should -BeNullOrEmpty
    }

    It '<_> documents every parameter it really has, and no other' -ForEach @(
        'Backup-IncusConfig', 'Backup-IncusImage', 'Backup-IncusInstance', 'Backup-IncusServer', 'Backup-IncusVolume', 'Copy-IncusBackup', 'Get-IncusBackup', 'Initialize-IncusBackupRepository', 'Protect-IncusBackup', 'Remove-IncusBackup', 'Restore-IncusConfig', 'Restore-IncusImage', 'Restore-IncusInstance', 'Restore-IncusServer', 'Restore-IncusVolume', 'Test-IncusBackup', 'Unprotect-IncusBackup'
    ) {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $actual = (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object
        $documented = (Get-Help $_ -Full).parameters.parameter.name | Where-Object { $_ -notin $common } | Sort-Object
        $documented | Should -Be $actual
    }

    It 'has an about topic' {
        Get-Help about_IncusBackup | Out-String | Should -Match 'about_IncusBackup'
    }
}
