# Restore-IncusServer against the real server: a project as an operator builds one (its own images, profiles and
# volumes; a bridge of the default project that its profile plugs into; an instance with a snapshot and an attached
# volume, each holding a file of random bytes) is backed up with Backup-IncusServer, deleted with everything in it,
# and rebuilt from the run. The tests run in order, as the steps of a rebuild do: first the refusals and previews
# that must change nothing, then the restore, then a second one that finds everything in place.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    $script:P = 'sr' + [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Net = "$($script:P)-br"
    $script:T = New-TestDirectory
    $script:Scratch = New-TestDirectory

    function Get-IncusJson([string] $Path) {
        $json = & incus query $Path 2>$null
        if ($LASTEXITCODE -ne 0) { return '(missing)' }
        # used_by lists what uses a resource (and in which order the server found it): not config.
        $o = ($json -join "`n") | ConvertFrom-Json -AsHashtable
        $o.Remove('used_by')
        $o | ConvertTo-Json -Depth 10
    }

    # What the rebuild must bring back, as the server describes it.
    function Get-ProjectState {
        [ordered]@{
            project = Get-IncusJson "/1.0/projects/$($script:P)"
            network = Get-IncusJson "/1.0/networks/$($script:Net)"
            default = Get-IncusJson "/1.0/profiles/default?project=$($script:P)"
            web     = Get-IncusJson "/1.0/profiles/web?project=$($script:P)"
            images  = @(& incus image list --project $script:P -c lf -f csv 2>$null) -join ';'
            volume  = @(& incus storage volume list default --project $script:P -c tn -f csv type=custom 2>$null) -join ';'
            devices = @(& incus config device show s1 --project $script:P 2>$null) -join "`n"
            snaps   = @(& incus snapshot list s1 --project $script:P -c n -f csv 2>$null) -join ';'
        }
    }

    # The config rows of this test's resources: other storage pools (other tests' or the host's) may come and go.
    filter Select-Ours { if ($_.PSObject.Properties['Kind'] -and $_.Kind -eq 'StoragePool' -and $_.Name -ne 'default') { return }; $_ }

    function Remove-Everything {
        & incus delete -f s1 --project $script:P *> $null
        & incus storage volume delete default data --project $script:P *> $null
        foreach ($f in @(& incus image list --project $script:P -c F -f csv 2>$null)) { if ($f) { & incus image delete $f --project $script:P *> $null } }
        & incus profile delete web --project $script:P *> $null
        & incus project delete $script:P *> $null
        & incus network delete $script:Net *> $null
    }

    Invoke-Incus project create $script:P -c features.images=true -c features.profiles=true -c features.storage.volumes=true -c user.note=rebuild | Out-Null
    Invoke-Incus network create $script:Net ipv4.address=none ipv6.address=none user.note=shared | Out-Null
    Invoke-Incus image export busybox-test (Join-Path $script:Scratch 'split') | Out-Null
    Invoke-Incus image import (Join-Path $script:Scratch 'split') (Join-Path $script:Scratch 'split.root') --project $script:P --alias bbox | Out-Null
    Invoke-Incus profile device add default root disk path=/ pool=default --project $script:P | Out-Null
    Invoke-Incus profile create web --project $script:P | Out-Null
    Invoke-Incus profile set web limits.cpu=1 user.role=web --project $script:P | Out-Null
    Invoke-Incus profile device add web eth0 nic network=$($script:Net) name=eth0 --project $script:P | Out-Null
    Invoke-Incus storage volume create default data --project $script:P | Out-Null
    Invoke-Incus launch bbox s1 --project $script:P --profile default --profile web | Out-Null
    Invoke-Incus storage volume attach default data s1 /data --project $script:P | Out-Null
    Invoke-Incus exec s1 --project $script:P '--' sh -c 'head -c 1048576 /dev/urandom > /root/payload; head -c 1048576 /dev/urandom > /data/payload; sync' | Out-Null
    Invoke-Incus snapshot create s1 snap0 --project $script:P | Out-Null
    $script:Sums = Invoke-Incus exec s1 --project $script:P '--' sha256sum /root/payload /data/payload
    $script:Before = Get-ProjectState
    $script:Run = @(Backup-IncusServer -Project $script:P -Target $script:T -InformationAction Ignore)
    $script:RunId = $script:Run[0].RunId
}

AfterAll {
    if (-not $script:NoIncus) { Remove-Everything }
    Remove-Item -Recurse -Force $script:T, $script:Scratch -ErrorAction SilentlyContinue
}

Describe 'Restore-IncusServer' {
    It 'has a run of the config, the image, the volume and the instance to restore' -Skip:$script:NoIncus {
        ($script:Run.Kind | ForEach-Object ToString | Sort-Object) | Should -Be @('Config', 'Image', 'Instance', 'Volume')
        (Get-ChildItem -Recurse -LiteralPath $script:T -Filter networks.json | Get-Content -Raw) |
            Should -BeLike "*`"name`": `"$($script:Net)`"*" -Because 'the project has no networks of its own, so the default project''s bridge its profile uses is saved with it'
        Remove-Everything
        (Get-ProjectState).project | Should -Be '(missing)'
        (Get-ProjectState).network | Should -Be '(missing)'
    }

    It 'only compares without -Apply: Create lines for the config, DependencyMissing for the data, nothing changed' -Skip:$script:NoIncus {
        $out = Restore-IncusServer -Project $script:P -Target $script:T -ErrorVariable failed -ErrorAction SilentlyContinue -InformationVariable info 6>$null | Select-Ours
        ($out | ForEach-Object { "$($_.Action) $($_.Kind) $($_.Name)" }) | Should -Be @(
            "Create Project $($script:P)"
            'Unchanged StoragePool default'
            "Create Network $($script:Net)"
            'Create Profile default'
            'Create Profile web'
        )
        @($failed).Count | Should -Be 3
        @($failed.FullyQualifiedErrorId | ForEach-Object { ($_ -split ',')[0] } | Sort-Object -Unique) | Should -Be @('DependencyMissing')
        $failed[0].ErrorDetails.RecommendedAction | Should -BeLike '*add -Apply*'
        "$($info[0])" | Should -BeLike "Restoring run $($script:RunId) from dir:$($script:T) (project $($script:P)): config (4 to create, 0 to update, * unchanged, * extra left alone; compared only, add -Apply to make these changes), then 1 image(s), 1 volume(s), 1 instance(s)."
        "$($info[-1])" | Should -Be "Run $($script:RunId): config compared only; 0 restored, 0 skipped, 3 not restored (see the errors above)."
        (Get-ProjectState).project | Should -Be '(missing)'
    }

    It 'names every change under -Apply -WhatIf, and makes none' -Skip:$script:NoIncus {
        $script = Join-Path $script:Scratch 'whatif.ps1'
        Set-Content -LiteralPath $script -Value "Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'; Restore-IncusServer -Project $($script:P) -Apply -WhatIf -Target '$($script:T)' 6>`$null"
        $run = Invoke-ScheduledScript $script
        $run.ExitCode | Should -Be 0
        $P = $script:P
        $image, $volume, $instance = foreach ($kind in 'Image', 'Volume', 'Instance') { "$($script:Run.Where({ $_.Kind -eq $kind }))" }
        @($run.Output | Where-Object { $_ -like 'What if:*' -and $_ -notlike '*"Create StoragePool"*' }) | Should -Be @(
            "What if: Performing the operation `"Create Project`" on target `"Project ${P}: config.features.images: (none) -> true; config.features.profiles: (none) -> true; config.features.storage.buckets: (none) -> true; config.features.storage.volumes: (none) -> true; config.user.note: (none) -> rebuild`"."
            "What if: Performing the operation `"Create Network`" on target `"Network default/$($script:Net): config.ipv4.address: (none) -> none; config.ipv6.address: (none) -> none; config.user.note: (none) -> shared; type: (none) -> bridge`"."
            "What if: Performing the operation `"Create Profile`" on target `"Profile $P/default: description: (none) -> Default Incus profile for project $P; devices.root.path: (none) -> /; devices.root.pool: (none) -> default; devices.root.type: (none) -> disk`"."
            "What if: Performing the operation `"Create Profile`" on target `"Profile $P/web: config.limits.cpu: (none) -> 1; config.user.role: (none) -> web; devices.eth0.name: (none) -> eth0; devices.eth0.network: (none) -> $($script:Net); devices.eth0.type: (none) -> nic`"."
            "What if: Performing the operation `"Restore image`" on target `"$image (what it needs is created by the config changes above)`"."
            "What if: Performing the operation `"Restore volume`" on target `"$volume (what it needs is created by the config changes above)`"."
            "What if: Performing the operation `"Restore instance`" on target `"$instance (what it needs is created by the config changes above)`"."
        )
        (Get-ProjectState).project | Should -Be '(missing)'
        (Get-ProjectState).network | Should -Be '(missing)'
    }

    It 'refuses a -ProjectMap into a project that does not exist with ProjectNotFound, and changes nothing' -Skip:$script:NoIncus {
        { Restore-IncusServer -Project $script:P -Apply -Force -ProjectMap @{ $script:P = 'no-such-project' } -Target $script:T -ErrorAction Stop 6>$null } |
            Should -Throw -ErrorId 'ProjectNotFound*'
        (Get-ProjectState).network | Should -Be '(missing)'
    }

    It 'refuses a run whose config was edited with ChecksumMismatch before it changes anything' -Skip:$script:NoIncus {
        $copy = Join-Path $script:Scratch 'tampered'
        Copy-Item -Recurse -LiteralPath $script:T -Destination $copy
        $profiles = Get-ChildItem -Recurse -LiteralPath $copy -Filter profiles.json | Select-Object -First 1
        (Get-Content -Raw $profiles.FullName).Replace('"web"', '"wib"') | Set-Content -NoNewline $profiles.FullName
        { Restore-IncusServer -Project $script:P -Apply -Force -Target $copy -ErrorAction Stop 6>$null } | Should -Throw -ErrorId 'ChecksumMismatch*'
        (Get-ProjectState).project | Should -Be '(missing)'
        (Get-ProjectState).network | Should -Be '(missing)'
    }

    It 'rebuilds the project with -Apply -Force: config, image, volume and instance with its snapshot, byte for byte' -Skip:$script:NoIncus {
        $out = Restore-IncusServer -Project $script:P -Apply -Force -Target $script:T -InformationVariable info 6>$null | Select-Ours
        ($out | ForEach-Object { "$($_.Action) $($_.Kind)$(if ($_.PSObject.Properties['Applied']) { " applied=$($_.Applied)" })" }) | Should -Be @(
            'Create Project applied=True', 'Unchanged StoragePool applied=False', 'Create Network applied=True',
            'Create Profile applied=True', 'Create Profile applied=True', 'Restored Image', 'Restored Volume', 'Restored Instance')
        "$($info[-1])" | Should -Be "Run $($script:RunId): config applied; 3 restored, 0 skipped."
        $after = Get-ProjectState
        foreach ($key in $script:Before.Keys) { $after[$key] | Should -Be $script:Before[$key] -Because "$key is as it was backed up" }
        Invoke-Incus start s1 --project $script:P | Out-Null
        Invoke-Incus exec s1 --project $script:P '--' sha256sum /root/payload /data/payload | Should -Be $script:Sums
    }

    It 'finds everything in place the second time: config Unchanged, data Skipped' -Skip:$script:NoIncus {
        $out = Restore-IncusServer -Project $script:P -Apply -SkipExisting -Target $script:T -InformationVariable info 6>$null | Select-Ours
        ($out | ForEach-Object { "$($_.Action)" } | Sort-Object -Unique) | Should -Be @('Skipped', 'Unchanged')
        "$($info[-1])" | Should -Be "Run $($script:RunId): config applied; 0 restored, 3 skipped."
        (Invoke-Incus list --project $script:P -c ns -f csv) | Should -Be 's1,RUNNING'
    }
}
