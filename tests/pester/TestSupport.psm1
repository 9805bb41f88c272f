# Shared by the Pester suites: the built module, a private Incus project per test file, a temporary repository.
$script:RepositoryRoot = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))

function Get-RepositoryRoot { $script:RepositoryRoot }

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

# The lines a user reads of formatted text (Out-String, a script's output): without colour sequences, trailing blanks
# or empty lines.
function ConvertTo-DisplayLine {
    param([Parameter(Mandatory, ValueFromPipeline)] [AllowEmptyString()] [string[]] $Text)
    process {
        foreach ($block in $Text) {
            foreach ($line in ($block -replace '\e\[[0-9;?]*[A-Za-z]', '') -split '\r?\n') {
                $line = $line.TrimEnd()
                if ($line) { $line }
            }
        }
    }
}

# The command line start of the pwsh running the tests, to start scripts with as a scheduler would: its binary, or,
# for pwsh installed as a .NET tool (whose process is the dotnet host), dotnet and pwsh.dll.
function Get-PwshCommand {
    $binary = (Get-Process -Id $PID).Path
    if ([System.IO.Path]::GetFileNameWithoutExtension($binary) -eq 'dotnet') {
        return @($binary, [Environment]::GetCommandLineArgs()[0])
    }
    @($binary)
}

# Starts a script the way a systemd service does (pwsh -NoProfile -NonInteractive -File, nothing on standard input),
# without waiting: the caller waits for it with Wait-ScheduledScript, or kills it with Stop-ScheduledScript.
function Start-ScheduledScript {
    param([Parameter(Mandatory)] [string] $Path, [string[]] $ArgumentList = @())
    $pwsh = @(Get-PwshCommand)
    $start = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
    foreach ($argument in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $Path) + $ArgumentList) {
        $start.ArgumentList.Add($argument)
    }
    $start.UseShellExecute = $false
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    $process.StandardInput.Close()
    [pscustomobject]@{
        Process = $process
        Path    = $Path
        Stdout  = $process.StandardOutput.ReadToEndAsync()
        Stderr  = $process.StandardError.ReadToEndAsync()
    }
}

# Waits for a script Start-ScheduledScript started; returns the exit code and the lines of standard output and
# standard error (without colour sequences).
function Wait-ScheduledScript {
    param([Parameter(Mandatory)] $Run)
    try {
        # A guard against a script that waits for an answer, not a timing expectation.
        if (-not $Run.Process.WaitForExit(300000)) {
            $Run.Process.Kill($true)
            throw "$($Run.Path) did not finish within 5 minutes."
        }
        $Run.Process.WaitForExit()
        [pscustomobject]@{
            ExitCode = $Run.Process.ExitCode
            Output   = @($Run.Stdout.GetAwaiter().GetResult() | ConvertTo-DisplayLine)
            Errors   = @($Run.Stderr.GetAwaiter().GetResult() | ConvertTo-DisplayLine)
        }
    }
    finally { $Run.Process.Dispose() }
}

# For a failure message about a script Start-ScheduledScript started: how it ended, or nothing while it runs.
function Get-ScheduledScriptEnding {
    param([Parameter(Mandatory)] $Run)
    if (-not $Run.Process.HasExited) { return '' }
    # The process has ended, but the reads of its output may still be draining the pipes.
    $null = [System.Threading.Tasks.Task]::WaitAll(@($Run.Stdout, $Run.Stderr), 10000)
    $output = (@($Run.Stdout, $Run.Stderr | Where-Object IsCompleted | ForEach-Object Result) | ConvertTo-DisplayLine) -join ' '
    " It ended (exit code $($Run.Process.ExitCode)): $output"
}

# Kills a script Start-ScheduledScript started with SIGKILL, as a crash or the OOM killer would, and waits for it.
function Stop-ScheduledScript {
    param([Parameter(Mandatory)] $Run)
    try {
        & kill -9 $Run.Process.Id
        $Run.Process.WaitForExit()
    }
    finally { $Run.Process.Dispose() }
}

# Runs a script the way a systemd service does, and waits for it (see Wait-ScheduledScript).
function Invoke-ScheduledScript {
    param([Parameter(Mandatory)] [string] $Path, [string[]] $ArgumentList = @())
    Wait-ScheduledScript (Start-ScheduledScript -Path $Path -ArgumentList $ArgumentList)
}

# pwsh's error view (ConciseView, as a script's standard error shows it) as one line: the "|" gutter removed and the
# lines it wrapped joined, so a message can be matched whatever the width it was wrapped at.
function Join-ErrorView([string[]] $Lines) {
    ((@($Lines) -replace '^\s*\|\s?', '') -join ' ') -replace '\s+', ' '
}

# The instances of a project as `incus list` shows them, one CSV line each: name, state, type and number of snapshots
# (not the addresses, which DHCP may hand out at any moment).
function Get-IncusListing([string] $Project) {
    @(Invoke-Incus list --project $Project --format csv -c nstS) | Sort-Object
}

Export-ModuleMember -Function *
