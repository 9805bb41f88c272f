# Installing as the ecosystem does: a .nupkg that PSResourceGet installs, and build.ps1 -Task Install (both with
# -NoBuild: the suite runs after the build). Each runs in a child pwsh whose HOME is a temporary folder, so the
# user's own module path and repositories are never touched.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:Root = Get-RepositoryRoot
    $script:Pwsh = @(Get-PwshCommand)
    $script:Manifest = Import-PowerShellDataFile (Join-Path $script:Root 'module/IncusBackup/IncusBackup.psd1')

    # Runs a script in a child pwsh with HOME (and so the CurrentUser scope) in a fresh folder; returns its output.
    function Invoke-InFreshHome([string] $Script) {
        $fresh = New-TestDirectory
        $saved = $env:HOME, $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME, $env:PSModulePath, $env:NUGET_PACKAGES
        try {
            # NuGet's cache stays where it is, so a build in the child needs no download.
            if (-not $env:NUGET_PACKAGES) { $env:NUGET_PACKAGES = Join-Path $HOME '.nuget/packages' }
            $env:HOME = $fresh
            # .NET reports a special folder only when it exists (else "", and PSResourceGet writes into the current folder).
            $env:XDG_DATA_HOME = (New-Item -ItemType Directory -Path (Join-Path $fresh '.local/share')).FullName
            $env:XDG_CONFIG_HOME = (New-Item -ItemType Directory -Path (Join-Path $fresh '.config')).FullName
            $env:PSModulePath = $null
            $output = & $script:Pwsh[0] @($script:Pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $Script 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output | ForEach-Object ToString); Home = $fresh }
        }
        finally {
            $env:HOME, $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME, $env:PSModulePath, $env:NUGET_PACKAGES = $saved
        }
    }
}

Describe 'Packaging' {
    It 'build.ps1 -Task Package writes a .nupkg that Install-PSResource installs and Import-Module loads by name' {
        $out = New-TestDirectory
        & $script:Pwsh[0] @($script:Pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $script:Root 'build.ps1') -Task Package -NoBuild -OutputPath $out | Out-Null
        $LASTEXITCODE | Should -Be 0
        $package = Get-ChildItem -LiteralPath $out -Filter 'IncusBackup.*.nupkg'
        $package.Name | Should -Be "IncusBackup.$($script:Manifest.ModuleVersion).nupkg"

        $run = Invoke-InFreshHome @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name ibtest -Uri '$out' -Trusted
Install-PSResource -Name IncusBackup -Repository ibtest -Scope CurrentUser -TrustRepository -Quiet
Import-Module IncusBackup
(Get-Module IncusBackup).ModuleBase
(Get-Command -Module IncusBackup).Name -join ','
[IncusBackup.Bytes]::Format(2048)
(Get-Help Get-IncusBackup).Synopsis
"@
        $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
        $run.Output[0] | Should -BeLike "$($run.Home)*IncusBackup*$($script:Manifest.ModuleVersion)"
        $run.Output[1] | Should -Be (($script:Manifest.CmdletsToExport | Sort-Object) -join ',')
        $run.Output[2] | Should -Be '2.0 KiB'
        $run.Output[3] | Should -Not -BeNullOrEmpty
        Remove-Item -Recurse -Force $out, $run.Home
    }

    It 'build.ps1 -Task Install puts the module on the user''s module path' {
        $run = Invoke-InFreshHome @"
`$ErrorActionPreference = 'Stop'
& '$(Join-Path $script:Root 'build.ps1')' -Task Install -NoBuild | Out-Null
Import-Module IncusBackup
(Get-Module IncusBackup).ModuleBase
"@
        $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
        $run.Output[-1] | Should -Be (Join-Path $run.Home ".local/share/powershell/Modules/IncusBackup/$($script:Manifest.ModuleVersion)")
        Remove-Item -Recurse -Force $run.Home
    }

    It 'the manifest describes what ships and carries no placeholder links' {
        $script:Manifest.Description | Should -Match 'instances'
        $script:Manifest.Description | Should -Match 'custom storage volumes'
        $script:Manifest.Description | Should -Not -Match 'images|config'
        $script:Manifest.PrivateData.PSData.Keys | Should -Not -Contain 'ProjectUri'
    }
}
