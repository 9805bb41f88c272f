# The engine and its third-party dependencies load into the module's own AssemblyLoadContext (see
# src/IncusBackup.Loader/ModuleLoadContext.cs); the cmdlets and the types scripts name load as usual. Only .NET calls
# and core cmdlets are used here, so the module also imports in hosts that carry no Management/Utility modules.
$loader = [System.IO.Path]::Combine($PSScriptRoot, 'IncusBackup.Loader.dll')
if (-not [System.IO.File]::Exists($loader)) {
    throw "IncusBackup is not built: '$loader' is missing. Run 'dotnet build' in the repository (or ./build.ps1) first."
}
$null = [System.Reflection.Assembly]::LoadFrom($loader)
$bin = [IncusBackup.Loader.ModuleLoadContext]::Initialize()
Import-Module ([System.IO.Path]::Combine($bin, 'IncusBackup.PowerShell.dll')) -Force
Export-ModuleMember -Cmdlet * -Function @() -Variable @() -Alias @()
