#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds IncusBackup, runs its tests, or runs the quick start.
.DESCRIPTION
    Build      dotnet build (Release); the importable module lands in ./module/IncusBackup.
    Test       scripts/test.sh: unit, cmdlet and integration tests (integration needs a local incusd).
    Install    Build, then copies the module to the user's (-Scope CurrentUser, default) or the system's
               (-Scope AllUsers) module path, so 'Import-Module IncusBackup' works by name.
    Package    Build, then writes IncusBackup.<version>.nupkg to -OutputPath (default ./out), which PSResourceGet
               installs: Register-PSResourceRepository -Name local -Uri <folder> -Trusted; Install-PSResource IncusBackup.
    QuickStart Build, then backs up a small demo container into ./quickstart-repo, restores it beside the
               original as demo-restored, checks the file came back and lists the backups. Needs a running Incus
               (scripts/quickstart.sh installs Incus and pwsh first, then runs this).
.EXAMPLE
    pwsh ./build.ps1 -Task QuickStart
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Install', 'Package', 'QuickStart')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Install: where to.
    [ValidateSet('CurrentUser', 'AllUsers')]
    [string] $Scope = 'CurrentUser',

    # Package: the folder the .nupkg goes to.
    [string] $OutputPath = (Join-Path $PSScriptRoot 'out'),

    # Install, Package: use the module folder as the last build left it.
    [switch] $NoBuild
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot

function Invoke-Native([string] $File, [string[]] $Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
    Invoke-Native dotnet @('build', [System.IO.Path]::Combine($root, 'IncusBackup.PowerShell.sln'), '-c', $Configuration, '-nologo', '-v', 'quiet')
}

$moduleDir = [System.IO.Path]::Combine($root, 'module', 'IncusBackup')

switch ($Task) {
    'Build' { Invoke-Build }
    'Install' {
        if (-not $NoBuild) { Invoke-Build }
        $version = (Import-PowerShellDataFile (Join-Path $moduleDir 'IncusBackup.psd1')).ModuleVersion
        $modules = if ($Scope -eq 'AllUsers') { '/usr/local/share/powershell/Modules' }
                   else { Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'powershell/Modules' }
        $destination = Join-Path $modules "IncusBackup/$version"
        if (Test-Path -LiteralPath $destination) { Remove-Item -LiteralPath $destination -Recurse -Force }
        New-Item -ItemType Directory -Path $destination -Force | Out-Null
        Copy-Item -Path (Join-Path $moduleDir '*') -Destination $destination -Recurse
        "Installed IncusBackup $version to $destination"
    }
    'Package' {
        if (-not $NoBuild) { Invoke-Build }
        New-Item -ItemType Directory -Path $OutputPath -Force | Out-Null
        Compress-PSResource -Path $moduleDir -DestinationPath $OutputPath
        Get-ChildItem -LiteralPath $OutputPath -Filter 'IncusBackup.*.nupkg' | ForEach-Object FullName
    }
    'Test' { Invoke-Native bash @([System.IO.Path]::Combine($root, 'scripts', 'test.sh')) }
    'QuickStart' {
        Invoke-Build
        # A small running container with a file worth keeping.
        & incus info demo *> $null
        if ($LASTEXITCODE -ne 0) {
            Invoke-Native incus @('launch', 'busybox-test', 'demo', '--quiet')
        }
        $hello = "hello from demo, $([DateTime]::UtcNow.ToString('u'))"
        Invoke-Native incus @('exec', 'demo', '--', 'sh', '-c', "echo '$hello' > /root/hello.txt")

        Import-Module $moduleDir -Force
        $repository = 'dir:' + [System.IO.Path]::Combine($root, 'quickstart-repo')

        '== Back up the running container "demo"'
        $backup = Backup-IncusInstance -Name demo -Target $repository
        $backup | Format-List Name, Version, @{ Name = 'Size'; Expression = { [IncusBackup.Bytes]::Format($_.Size) } },
            Compression, Consistency, Location | Out-String | Write-Host

        '== Restore it beside the original as "demo-restored", started'
        Restore-IncusInstance -InputObject $backup -NewName demo-restored -Replace -Force -Start | Format-Table | Out-String | Write-Host

        '== The file, read back from the restored container'
        $restored = (& incus exec demo-restored -- cat /root/hello.txt) -join "`n"
        "demo-restored:/root/hello.txt = $restored"
        if ($restored -ne $hello) { throw "The restored file differs from the original: '$restored' instead of '$hello'." }

        '== Every backup in the repository'
        Get-IncusBackup -Target $repository | Format-Table | Out-String | Write-Host
        'Quick start done: demo was backed up and restored as demo-restored. Remove them with: incus delete -f demo demo-restored'
    }
}
