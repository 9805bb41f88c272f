# Backup-IncusConfig and Restore-IncusConfig against the real server, in a project, storage pool, bridge and profiles
# of its own: back up, drift (a profile's config and device, the network's, the project's and the pool's config, a
# profile deleted, one added), then preview, -WhatIf, refusals that change nothing, a non-interactive -Apply, -Apply
# -Force, and a deleted project brought back. The tests run in order, as the steps of a runbook do. The backup is of
# the whole server (the bridge is in the default project), so every restore is narrowed with -Name to what this file
# created: other tests may be using the server at the same time.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    # Short names, so that the ConfigChange table shows them whole (its Name column is 22 wide).
    $script:P = 'cf' + [guid]::NewGuid().ToString('N').Substring(0, 5)
    $script:Pool = "$($script:P)-pool"
    $script:Net = "$($script:P)-net"
    $script:Web = "$($script:P)-web"
    $script:Gone = "$($script:P)-gone"
    $script:Extra = "$($script:P)-extra"
    $script:Ours = "$($script:P)*"
    $script:T = New-TestDirectory
    $script:Scratch = New-TestDirectory

    Invoke-Incus project create $script:P -c features.profiles=true -c user.note=before | Out-Null
    Invoke-Incus storage create $script:Pool dir user.note=before | Out-Null
    Invoke-Incus network create $script:Net ipv4.address=none ipv6.address=none user.note=before | Out-Null
    Invoke-Incus profile create $script:Web --project $script:P | Out-Null
    Invoke-Incus profile set $script:Web limits.cpu=2 user.a=1 --project $script:P | Out-Null
    Invoke-Incus profile device add $script:Web eth0 nic network=$($script:Net) name=eth0 --project $script:P | Out-Null
    Invoke-Incus profile device add $script:Web root disk path=/ pool=$($script:Pool) --project $script:P | Out-Null
    Invoke-Incus profile create $script:Gone --project $script:P | Out-Null
    Invoke-Incus profile set $script:Gone user.b=2 --project $script:P | Out-Null
    # Unlike the empty one Incus gives a new project, so that bringing the project back must restore it too.
    Invoke-Incus profile set default user.role=base --project $script:P | Out-Null

    # Every resource this file touches, as the API returns it (incus query): the whole JSON, or (missing).
    function Get-ConfigState {
        $paths = [ordered]@{
            project = "/1.0/projects/$($script:P)"
            pool    = "/1.0/storage-pools/$($script:Pool)"
            network = "/1.0/networks/$($script:Net)"
            default = "/1.0/profiles/default?project=$($script:P)"
            web     = "/1.0/profiles/$($script:Web)?project=$($script:P)"
            gone    = "/1.0/profiles/$($script:Gone)?project=$($script:P)"
            extra   = "/1.0/profiles/$($script:Extra)?project=$($script:P)"
        }
        $state = [ordered]@{}
        foreach ($name in $paths.Keys) {
            $json = & incus query $paths[$name] 2>$null
            $state[$name] = if ($LASTEXITCODE -eq 0) { ($json -join "`n").Trim() } else { '(missing)' }
        }
        $state
    }

    # A resource's JSON without used_by (a project lists its profiles there, and the extra one stays).
    function Get-WithoutUsedBy([string] $Json) {
        $o = $Json | ConvertFrom-Json -AsHashtable
        $o.Remove('used_by')
        $o | ConvertTo-Json -Depth 10
    }

    # The drift the restore is to undo. Run again after a restore, it makes the same changes.
    function Set-Drift {
        Invoke-Incus profile set $script:Web limits.cpu=4 user.x=new --project $script:P | Out-Null
        Invoke-Incus profile unset $script:Web user.a --project $script:P | Out-Null
        Invoke-Incus profile device set $script:Web eth0 name=eth1 --project $script:P | Out-Null
        Invoke-Incus network set $script:Net user.note=changed | Out-Null
        Invoke-Incus project set $script:P user.note=changed | Out-Null
        Invoke-Incus storage set $script:Pool user.note=changed | Out-Null
        Invoke-Incus profile delete $script:Gone --project $script:P | Out-Null
        & incus profile show $script:Extra --project $script:P *> $null
        if ($LASTEXITCODE -ne 0) { Invoke-Incus profile create $script:Extra --project $script:P | Out-Null }
    }

    # "Action Kind project/name applied" for each ConfigChange.
    function Get-ChangeLine([object[]] $Changes) {
        foreach ($c in $Changes) { "$($c.Action) $($c.Kind) $(if ($c.Project) { "$($c.Project)/" })$($c.Name)$(if ($c.Applied) { ' applied' })$(if ($c.Error) { " error: $($c.Error)" })" }
    }

    # A row of the ConfigChange table: Action (9), Kind (11), Name (22), Changes.
    function Format-Row([string] $Action, [string] $Kind, [string] $Name, [string] $Changes = '') {
        ('{0,-9} {1,-11} {2,-22} {3}' -f $Action, $Kind, $Name, $Changes).TrimEnd()
    }

    # Restore-IncusConfig in a script started as a scheduler starts it (pwsh -NonInteractive, nothing on stdin).
    function Invoke-RestoreScript([string] $Arguments) {
        $script = Join-Path $script:Scratch ('restore-' + [guid]::NewGuid().ToString('N') + '.ps1')
        Set-Content -LiteralPath $script -Value @"
Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'
`$changes = Restore-IncusConfig -Target '$($script:T)' -Name '$($script:Ours)' $Arguments -ErrorVariable failures
foreach (`$c in `$changes) { "change: `$(`$c.Action) `$(`$c.Kind) `$(`$c.Name) Applied=`$(`$c.Applied)" }
foreach (`$f in `$failures) { "error: `$(`$f.FullyQualifiedErrorId) [`$(`$f.TargetObject)] `$(`$f.Exception.Message)" }
"@
        try { Invoke-ScheduledScript $script } finally { Remove-Item -LiteralPath $script }
    }

    $script:Backup = Backup-IncusConfig -Target $script:T
    $script:Backed = Get-ConfigState
    Set-Drift
    $script:Drifted = Get-ConfigState
}

AfterAll {
    if (-not $script:NoIncus -and $script:P) {
        foreach ($profile in $script:Web, $script:Gone, $script:Extra) { & incus profile delete $profile --project $script:P *> $null }
        & incus project delete $script:P *> $null
        & incus network delete $script:Net *> $null
        & incus storage delete $script:Pool *> $null
    }
    foreach ($folder in $script:T, $script:Scratch) {
        if ($folder) { Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue }
    }
}

Describe 'Backup-IncusConfig and Restore-IncusConfig' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'backs up the whole server as one Config record, the profile as written back, without what Incus manages' {
        $r = $script:Backup
        $r | Should -BeOfType IncusBackup.BackupRecord
        "$($r.Kind) $($r.Project) $($r.Name)" | Should -Be 'Config * config'
        (Get-ChildItem -LiteralPath $r.Location).Name | Sort-Object |
            Should -Be @('checksums.txt', 'manifest.json', 'networks.json', 'profiles.json', 'projects.json', 'server.json', 'storage_pools.json')
        $profiles = Get-Content -Raw (Join-Path $r.Location profiles.json) | ConvertFrom-Json -AsHashtable
        $web = @($profiles | Where-Object { $_.project -eq $script:P -and $_.name -eq $script:Web })
        $web.Count | Should -Be 1
        $web[0] | ConvertTo-Json -Depth 5 -Compress | Should -Be (ConvertTo-Json -Depth 5 -Compress ([ordered]@{
                    config      = [ordered]@{ 'limits.cpu' = '2'; 'user.a' = '1' }
                    description = ''
                    devices     = [ordered]@{
                        eth0 = [ordered]@{ name = 'eth0'; network = $script:Net; type = 'nic' }
                        root = [ordered]@{ path = '/'; pool = $script:Pool; type = 'disk' }
                    }
                    name        = $script:Web
                    project     = $script:P
                }))
        $pool = @(Get-Content -Raw (Join-Path $r.Location storage_pools.json) | ConvertFrom-Json -AsHashtable | Where-Object { $_.name -eq $script:Pool })
        $pool[0].Keys | Sort-Object | Should -Be @('config', 'description', 'driver', 'name')
        $network = @(Get-Content -Raw (Join-Path $r.Location networks.json) | ConvertFrom-Json -AsHashtable | Where-Object { $_.name -eq $script:Net })
        $network[0].Keys | Sort-Object | Should -Be @('config', 'description', 'name', 'project', 'type')
        $network[0].config['user.note'] | Should -Be 'before'
    }

    It 'refuses a project that does not exist with ProjectNotFound' {
        $err = $null
        Backup-IncusConfig -Project "$($script:P)-missing" -Target $script:T -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be 'ProjectNotFound,IncusBackup.PowerShell.Commands.BackupIncusConfigCommand'
        $err[0].Exception.Message | Should -Be "Project '$($script:P)-missing' not found."
        @(Get-IncusBackup -Target $script:T -Kind Config).Count | Should -Be 1
    }

    It 'previews exactly the drift: each changed key with the old and new value, the deleted profile as Create, the added one as Extra' {
        $changes = Restore-IncusConfig -Target $script:T -Name $script:Ours
        Get-ChangeLine $changes | Should -Be @(
            "Update Project $($script:P)"
            "Update StoragePool $($script:Pool)"
            "Update Network default/$($script:Net)"
            "Create Profile $($script:P)/$($script:Gone)"
            "Update Profile $($script:P)/$($script:Web)"
            "Extra Profile $($script:P)/$($script:Extra)"
        )
        $changes[0].Changes | ForEach-Object { "$($_.Field)|$($_.Old)|$($_.New)" } | Should -Be @('config.user.note|changed|before')
        $changes[4].Changes | ForEach-Object { "$($_.Field)|$($_.Old)|$($_.New)" } | Should -Be @(
            'config.limits.cpu|4|2'
            'config.user.a||1'
            'config.user.x|new|'
            'devices.eth0.name|eth1|eth0'
        )
        $changes[4].Changes[1].Old | Should -BeNullOrEmpty
        $changes[4].Changes[2].New | Should -BeNullOrEmpty
        $changes | Format-Table | Out-String -Width 250 | ConvertTo-DisplayLine | Should -Be @(
            (Format-Row Action Kind Name Changes)
            (Format-Row ------ ---- ---- -------)
            (Format-Row Update Project $script:P 'config.user.note: changed -> before')
            (Format-Row Update StoragePool $script:Pool 'config.user.note: changed -> before')
            (Format-Row Update Network "default/$($script:Net)" 'config.user.note: changed -> before')
            (Format-Row Create Profile "$($script:P)/$($script:Gone)" 'config.user.b: (none) -> 2')
            (Format-Row Update Profile "$($script:P)/$($script:Web)" 'config.limits.cpu: 4 -> 2; config.user.a: (none) -> 1; config.user.x: new -> (none); devices.eth0.name: eth1 -> eth0')
            (Format-Row Extra Profile "$($script:P)/$($script:Extra)")
        )
        Get-ConfigState | ConvertTo-Json | Should -Be ($script:Drifted | ConvertTo-Json)
    }

    It 'lists under -Apply -WhatIf every change it would make, and makes none' {
        $run = Invoke-RestoreScript '-Apply -WhatIf'
        $run.Errors | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Be @(
            "What if: Performing the operation `"Update Project`" on target `"Project $($script:P): config.user.note: changed -> before`"."
            "What if: Performing the operation `"Update StoragePool`" on target `"StoragePool $($script:Pool): config.user.note: changed -> before`"."
            "What if: Performing the operation `"Update Network`" on target `"Network default/$($script:Net): config.user.note: changed -> before`"."
            "What if: Performing the operation `"Create Profile`" on target `"Profile $($script:P)/$($script:Gone): config.user.b: (none) -> 2`"."
            "What if: Performing the operation `"Update Profile`" on target `"Profile $($script:P)/$($script:Web): config.limits.cpu: 4 -> 2; config.user.a: (none) -> 1; config.user.x: new -> (none); devices.eth0.name: eth1 -> eth0`"."
        )
        Get-ConfigState | ConvertTo-Json | Should -Be ($script:Drifted | ConvertTo-Json)
    }

    It 'refuses a backup whose profiles.json was edited with ChecksumMismatch, before any change' {
        $copy = Join-Path $script:Scratch 'tampered'
        Copy-Item -Recurse -LiteralPath $script:T -Destination $copy
        $file = Join-Path $copy "config/$($script:Backup.Version)/profiles.json"
        $text = Get-Content -Raw -LiteralPath $file
        $edited = $text.Replace('"limits.cpu": "2"', '"limits.cpu": "3"')
        $edited | Should -Not -Be $text
        Set-Content -LiteralPath $file -Value $edited -NoNewline

        $failure = { Restore-IncusConfig -Target $copy -Name $script:Ours -Apply -Force } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -Be 'ChecksumMismatch,IncusBackup.PowerShell.Commands.RestoreIncusConfigCommand'
        $failure.Exception.Message | Should -BeLike "'profiles.json' of Config */config@$($script:Backup.Version) does not match its checksum (expected *, found *): the file is corrupt or was changed."
        $failure.ErrorDetails.RecommendedAction | Should -Be 'Restore another version (Get-IncusBackup lists them); nothing was sent to the server.'
        Get-ConfigState | ConvertTo-Json | Should -Be ($script:Drifted | ConvertTo-Json)
    }

    It 'refuses a -ProjectMap to a project that does not exist with ProjectNotFound, and changes nothing' {
        $missing = "$($script:P)-missing"
        $failure = { Restore-IncusConfig -Target $script:T -Name $script:Ours -ProjectMap @{ $script:P = $missing } -Apply -Force } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -Be 'ProjectNotFound,IncusBackup.PowerShell.Commands.RestoreIncusConfigCommand'
        $failure.Exception.Message | Should -Be "-ProjectMap restores project '$($script:P)' into project '$missing', which does not exist."
        $failure.ErrorDetails.RecommendedAction | Should -Be "Create it first (incus project create $missing), or leave '$($script:P)' out of -ProjectMap to restore it under its own name."
        Invoke-Incus project list --format csv -c n | Should -Not -Contain $missing
        Get-ConfigState | ConvertTo-Json | Should -Be ($script:Drifted | ConvertTo-Json)
    }

    It 'asks ConfirmationRequired for the network and the pool when -Apply cannot ask, and still applies the project and the profiles' {
        $run = Invoke-RestoreScript '-Apply'
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Be @(
            "change: Update Project $($script:P) Applied=True"
            "change: Create Profile $($script:Gone) Applied=True"
            "change: Update Profile $($script:Web) Applied=True"
            "change: Extra Profile $($script:Extra) Applied=False"
            "error: ConfirmationRequired,IncusBackup.PowerShell.Commands.RestoreIncusConfigCommand [StoragePool $($script:Pool)] Update of StoragePool $($script:Pool) needs a confirmation this session cannot ask for; it was not changed."
            "error: ConfirmationRequired,IncusBackup.PowerShell.Commands.RestoreIncusConfigCommand [Network default/$($script:Net)] Update of Network default/$($script:Net) needs a confirmation this session cannot ask for; it was not changed."
        )
        Join-ErrorView $run.Errors | Should -BeLike "*Update of StoragePool $($script:Pool) needs a confirmation this session cannot ask for; it was not changed.*"

        $state = Get-ConfigState
        foreach ($name in 'web', 'gone', 'default') { $state[$name] | Should -Be $script:Backed[$name] -Because "$name is a profile" }
        Get-WithoutUsedBy $state.project | Should -Be (Get-WithoutUsedBy $script:Backed.project)
        foreach ($name in 'pool', 'network', 'extra') { $state[$name] | Should -Be $script:Drifted[$name] -Because "$name was not confirmed or is extra" }
    }

    It 'brings the backed-up state back with -Apply -Force, and leaves the extra profile' {
        Set-Drift
        $changes = Restore-IncusConfig -Target $script:T -Name $script:Ours -Apply -Force
        Get-ChangeLine $changes | Should -Be @(
            "Update Project $($script:P) applied"
            "Update StoragePool $($script:Pool) applied"
            "Update Network default/$($script:Net) applied"
            "Create Profile $($script:P)/$($script:Gone) applied"
            "Update Profile $($script:P)/$($script:Web) applied"
            "Extra Profile $($script:P)/$($script:Extra)"
        )
        ($changes | Format-Table | Out-String -Width 250 | ConvertTo-DisplayLine)[2..3] | Should -Be @(
            (Format-Row Updated Project $script:P 'config.user.note: changed -> before')
            (Format-Row Updated StoragePool $script:Pool 'config.user.note: changed -> before')
        )

        $state = Get-ConfigState
        foreach ($name in 'pool', 'network', 'default', 'web', 'gone') { $state[$name] | Should -Be $script:Backed[$name] -Because "$name is as it was backed up" }
        Get-WithoutUsedBy $state.project | Should -Be (Get-WithoutUsedBy $script:Backed.project)
        ($state.project | ConvertFrom-Json).used_by | Sort-Object | Should -Be (@(($script:Backed.project | ConvertFrom-Json).used_by) + "/1.0/profiles/$($script:Extra)?project=$($script:P)" | Sort-Object)
        $state.extra | Should -Be $script:Drifted.extra

        Get-ChangeLine (Restore-IncusConfig -Target $script:T -Name $script:Ours) | Should -Be @(
            "Unchanged Project $($script:P)"
            "Unchanged StoragePool $($script:Pool)"
            "Unchanged Network default/$($script:Net)"
            "Unchanged Profile $($script:P)/$($script:Gone)"
            "Unchanged Profile $($script:P)/$($script:Web)"
            "Extra Profile $($script:P)/$($script:Extra)"
        )
    }

    It 'brings a deleted project back with its profiles, its default profile among them' {
        foreach ($profile in $script:Web, $script:Gone, $script:Extra) { Invoke-Incus profile delete $profile --project $script:P | Out-Null }
        Invoke-Incus project delete $script:P | Out-Null

        $changes = Restore-IncusConfig -Target $script:T -Project $script:P -Apply -Force
        Get-ChangeLine $changes | Should -Be @(
            "Create Project $($script:P) applied"
            "Create Profile $($script:P)/$($script:Gone) applied"
            "Create Profile $($script:P)/$($script:Web) applied"
            "Create Profile $($script:P)/default applied"
        )

        $state = Get-ConfigState
        foreach ($name in 'pool', 'network', 'default', 'web', 'gone') { $state[$name] | Should -Be $script:Backed[$name] -Because "$name is as it was backed up" }
        Get-WithoutUsedBy $state.project | Should -Be (Get-WithoutUsedBy $script:Backed.project)
        $state.extra | Should -Be '(missing)'
    }
}
