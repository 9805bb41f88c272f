# Load the cmdlets and their dependencies into the module's own AssemblyLoadContext (see ModuleLoadContext.cs),
# then import the cmdlet assembly as this module's nested binary module. Only .NET calls and core cmdlets are
# used here, so the module also imports in hosts that carry no Management/Utility modules.
$loader = [System.IO.Path]::Combine($PSScriptRoot, 'IncusBackup.Loader.dll')
if (-not [System.IO.File]::Exists($loader)) {
    throw "IncusBackup is not built: '$loader' is missing. Run 'dotnet build' in the repository (or ./build.ps1) first."
}
$null = [System.Reflection.Assembly]::LoadFrom($loader)
$cmdletAssembly = [IncusBackup.Loader.ModuleLoadContext]::Initialize()
Import-Module -Assembly $cmdletAssembly -Force
Export-ModuleMember -Cmdlet * -Function @() -Variable @() -Alias @()
