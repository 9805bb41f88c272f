# Shared by the Pester suites: the built module, a private Incus project per test file, a temporary repository.
$script:RepositoryRoot = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))

function Get-RepositoryRoot { $script:RepositoryRoot }

# The pwsh executable to start child sessions with. Under the .NET tool, this process is 'dotnet pwsh.dll', so its
# own path is dotnet: use the pwsh on PATH (the tool's shim), else the apphost beside $PSHOME.
function Get-PwshPath {
    $onPath = Get-Command pwsh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($onPath) { return $onPath.Source }
    Join-Path $PSHOME 'pwsh'
}

function Import-BuiltModule {
    Import-Module (Join-Path $script:RepositoryRoot 'module/IncusBackup') -Force -Global
}

function Test-IncusReachable {
    & incus info *> $null
    $LASTEXITCODE -eq 0
}

# Skip (locally) or fail (CI) when the tests need Incus and it is not there.
function Assert-IncusOrSkip {
    if (Test-IncusReachable) { return $false }
    if ($env:CI -eq 'true') { throw 'Incus is not reachable, and CI=true requires the integration tests to run.' }
    $true
}

function Invoke-Incus {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    $output = & incus @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "incus $($Arguments -join ' ') failed: $output" }
    $output
}

# A fresh Incus project sharing the default profile's root disk and the image, as the xunit fixtures make them.
function New-TestProject {
    $name = 'pt-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    Invoke-Incus project create $name -c features.images=false -c features.profiles=false | Out-Null
    $name
}

function Remove-TestProject([string] $Name) {
    if (-not $Name) { return }
    foreach ($instance in @(& incus list --project $Name --format csv -c n 2>$null)) {
        if ($instance) { & incus delete -f --project $Name $instance *> $null }
    }
    foreach ($volume in @(& incus storage volume list default --project $Name --format csv -c n type=custom 2>$null)) {
        if ($volume) { & incus storage volume delete default --project $Name $volume *> $null }
    }
    & incus project delete $Name *> $null
}

function New-TestDirectory {
    $path = Join-Path ([System.IO.Path]::GetTempPath()) ('ib-pester-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $path | Out-Null
    $path
}

Export-ModuleMember -Function *
