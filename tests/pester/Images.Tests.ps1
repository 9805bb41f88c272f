# Backup-IncusImage and Restore-IncusImage against the real server, in a project of their own (features.images=true):
# a split image (the busybox test image) and a unified one built here, each with two aliases (one described) and a
# property of its own. An image is backed up, deleted and restored with the same fingerprint, aliases and settings;
# restored again it is Skipped, and Updated after a setting changed. Then an alias that points at another image, bad
# names, a damaged backup, Get-IncusBackup -Kind Image and -WhatIf.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    $script:P = 'pt-img-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    # Images of its own; the default project's profiles, whose root disk a launch needs.
    Invoke-Incus project create $script:P -c features.images=true -c features.profiles=false | Out-Null
    $script:T = New-TestDirectory
    $script:Scratch = New-TestDirectory

    function Get-IncusJson([string] $Path) { (Invoke-Incus query $Path) -join "`n" | ConvertFrom-Json }

    # The fingerprint an alias of the project points at, or nothing.
    function Get-AliasTarget([string] $Alias) {
        foreach ($entry in @(Get-IncusJson "/1.0/images/aliases?project=$($script:P)&recursion=1")) {
            if ($entry.name -eq $Alias) { $entry.target }
        }
    }

    # The images of the project as the server describes them, one line each: fingerprint, aliases with their
    # descriptions, properties, public. Sorted, to compare before and after.
    function Get-ImageState {
        @(foreach ($image in @(Get-IncusJson "/1.0/images?project=$($script:P)&recursion=1")) {
            $aliases = @($image.aliases | ForEach-Object { "$($_.name):$($_.description)" } | Sort-Object) -join ','
            $properties = @($image.properties.PSObject.Properties | ForEach-Object { "$($_.Name)=$($_.Value)" } | Sort-Object) -join ','
            "$($image.fingerprint) [$aliases] {$properties} public=$($image.public)"
        }) | Sort-Object
    }

    function Get-ImageProperty([string] $Fingerprint, [string] $Key) {
        (Get-IncusJson "/1.0/images/$Fingerprint`?project=$($script:P)").properties.$Key
    }

    # Adds the second alias (with a description) and the test property, as an operator would.
    function Set-ImageExtras([string] $Alias, [string] $Second, [string] $Value) {
        Invoke-Incus image alias create $Second (Get-AliasTarget $Alias) --project $script:P --description "$Alias, described" | Out-Null
        Invoke-Incus image set-property $Alias ib.test $Value --project $script:P | Out-Null
    }

    # The split image: the busybox test image, exported from the default project and imported here.
    Invoke-Incus image export busybox-test (Join-Path $script:Scratch 'split') | Out-Null
    Invoke-Incus image import (Join-Path $script:Scratch 'split') (Join-Path $script:Scratch 'split.root') --project $script:P --alias bbox | Out-Null
    Set-ImageExtras bbox bbox-described 'split value'

    # The unified image: one tar.gz with metadata.yaml and a busybox rootfs, as scripts/setup-incus.sh builds it.
    $unified = Join-Path $script:Scratch 'unified'
    foreach ($dir in 'bin', 'sbin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root') { New-Item -ItemType Directory -Path "$unified/rootfs/$dir" -Force | Out-Null }
    Copy-Item /bin/busybox "$unified/rootfs/bin/busybox"
    foreach ($applet in 'sh', 'ls', 'cat', 'sleep', 'init') { & ln -s busybox "$unified/rootfs/bin/$applet" }
    & ln -s ../bin/busybox "$unified/rootfs/sbin/init"
    Set-Content -LiteralPath "$unified/metadata.yaml" -Value @"
architecture: x86_64
creation_date: $([DateTimeOffset]::UtcNow.ToUnixTimeSeconds())
properties:
  description: unified busybox test image
  os: busybox
"@
    & tar -C $unified -czf (Join-Path $script:Scratch 'unified.tar.gz') metadata.yaml rootfs
    Invoke-Incus image import (Join-Path $script:Scratch 'unified.tar.gz') --project $script:P --alias bbox-unified | Out-Null
    Set-ImageExtras bbox-unified bbox-unified-described 'unified value'

    $script:Split = Get-AliasTarget bbox
    $script:Unified = Get-AliasTarget bbox-unified
    $script:Images = @{
        split   = @{ Fingerprint = $script:Split; Alias = 'bbox'; Second = 'bbox-described'; Value = 'split value'; Files = 'metadata.tar.xz', 'rootfs.tar.xz' }
        unified = @{ Fingerprint = $script:Unified; Alias = 'bbox-unified'; Second = 'bbox-unified-described'; Value = 'unified value'; Files = @('image.tar.gz') }
    }

    # A script run as a scheduler runs it (non-interactive): it restores and prints the ErrorIds and messages of its failures.
    $import = "Import-Module '{0}'" -f (Join-Path (Get-RepositoryRoot) 'module/IncusBackup').Replace("'", "''")
    $script:RestoreScript = Join-Path $script:Scratch 'restore-image.ps1'
    Set-Content -LiteralPath $script:RestoreScript -Value @"
param([string] `$name, [string] `$P, [string] `$T)
$import
Restore-IncusImage -Name `$name -Project `$P -Target `$T -ErrorVariable failed
if (`$failed) { `$failed | ForEach-Object { 'error: ' + `$_.FullyQualifiedErrorId; 'message: ' + `$_.Exception.Message }; exit 1 }
"@
}

AfterAll {
    if ($script:P) {
        foreach ($instance in @(& incus list --project $script:P --format csv -c n 2>$null)) {
            if ($instance) { & incus delete -f --project $script:P $instance *> $null }
        }
        foreach ($fingerprint in @(& incus image list --project $script:P --format csv -c F 2>$null)) {
            if ($fingerprint) { & incus image delete --project $script:P $fingerprint *> $null }
        }
        & incus project delete $script:P *> $null
    }
    foreach ($folder in $script:T, $script:Scratch) {
        if ($folder) { Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue }
    }
}

Describe 'A <Kind> image backed up by <By>, deleted and restored by alias' -ForEach @(
    @{ Kind = 'split'; By = 'alias' }
    @{ Kind = 'unified'; By = 'fingerprint prefix' }
) {
    BeforeAll {
        if ($script:NoIncus) { return }
        $script:I = $script:Images[$Kind]
    }
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'writes one record: Name the fingerprint, both aliases, the files the server exported, sha256sum -c agrees' {
        $script:Record = if ($By -eq 'alias') {
            Backup-IncusImage -Alias $script:I.Alias -Project $script:P -Target $script:T
        }
        else {
            Backup-IncusImage $script:I.Fingerprint.Substring(0, 12) -Project $script:P -Target $script:T
        }
        $r = $script:Record
        @($r).Count | Should -Be 1
        $r | Should -BeOfType IncusBackup.BackupRecord
        $r.Kind | Should -Be 'Image'
        $r.Project | Should -Be $script:P
        $r.Name | Should -Be $script:I.Fingerprint
        @($r.Aliases | Sort-Object) | Should -Be @($script:I.Alias, $script:I.Second)
        $r.Type | Should -Be 'container'
        $r.Location | Should -Be (Join-Path $script:T "images/$($script:I.Fingerprint)/$($r.Version)")
        $files = @(Get-ChildItem -LiteralPath $r.Location -File | Where-Object Name -NotIn 'manifest.json', 'checksums.txt')
        @($files.Name | Sort-Object) | Should -Be $script:I.Files
        $r.ArchiveName | Should -Be $script:I.Files[0]
        $r.Size | Should -Be ($files | Measure-Object -Property Length -Sum).Sum
        Push-Location $r.Location
        try { $check = & sha256sum -c checksums.txt 2>&1 } finally { Pop-Location }
        $LASTEXITCODE | Should -Be 0
        foreach ($file in $script:I.Files) { $check | Should -Contain "$($file): OK" }
    }

    It 'brings the deleted image back with the same fingerprint, both aliases (with the description) and the property' {
        $before = Get-ImageState
        Invoke-Incus image delete $script:I.Fingerprint --project $script:P | Out-Null
        Get-AliasTarget $script:I.Alias | Should -BeNullOrEmpty

        $result = Restore-IncusImage -Name $script:I.Alias -Project $script:P -Target $script:T

        @($result).Count | Should -Be 1
        $result | Should -BeOfType IncusBackup.RestoreResult
        $result.Action | Should -Be 'Restored'
        $result.Kind | Should -Be 'Image'
        $result.Version | Should -Be $script:Record.Version
        $result.TargetProject | Should -Be $script:P
        $result.TargetName | Should -Be $script:I.Fingerprint
        Get-AliasTarget $script:I.Alias | Should -Be $script:I.Fingerprint
        Get-AliasTarget $script:I.Second | Should -Be $script:I.Fingerprint
        Get-ImageProperty $script:I.Fingerprint ib.test | Should -Be $script:I.Value
        Get-ImageState | Should -Be $before
    }

    It 'launches a container from the restored image' {
        $name = "c-$Kind"
        Invoke-Incus launch $script:I.Alias $name --project $script:P | Out-Null
        try {
            (Invoke-Incus list $name --project $script:P --format csv -c s) | Should -Be 'RUNNING'
            (Invoke-Incus config get $name volatile.base_image --project $script:P) | Should -Be $script:I.Fingerprint
        }
        finally { & incus delete -f $name --project $script:P *> $null }
    }

    It 'is Skipped when restored again, and changes nothing' {
        $before = Get-ImageState
        $result = Restore-IncusImage -Name $script:I.Alias -Project $script:P -Target $script:T
        $result.Action | Should -Be 'Skipped'
        $result.TargetName | Should -Be $script:I.Fingerprint
        Get-ImageState | Should -Be $before
    }

    It 'is Updated after a property changed, and brings the value back' {
        $before = Get-ImageState
        Invoke-Incus image set-property $script:I.Alias ib.test 'changed since' --project $script:P | Out-Null
        $result = Restore-IncusImage -Name $script:I.Alias -Project $script:P -Target $script:T
        $result.Action | Should -Be 'Updated'
        Get-ImageProperty $script:I.Fingerprint ib.test | Should -Be $script:I.Value
        Get-ImageState | Should -Be $before
    }
}

Describe 'An alias of the backup that points at another image' {
    BeforeAll {
        if ($script:NoIncus) { return }
        $script:Backup = Backup-IncusImage -Alias bbox -Project $script:P -Target $script:T
        # bbox-described now names the unified image.
        Invoke-Incus image alias delete bbox-described --project $script:P | Out-Null
        Invoke-Incus image alias create bbox-described $script:Unified --project $script:P --description 'moved' | Out-Null
    }
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'stops a non-interactive restore without -Replace or -Force with ConfirmationRequired, changing nothing' {
        $before = Get-ImageState
        $run = Invoke-ScheduledScript $script:RestoreScript -ArgumentList '-name', 'bbox', '-P', $script:P, '-T', $script:T
        $run.ExitCode | Should -Be 1
        $run.Output | Should -Be @(
            'error: ConfirmationRequired,IncusBackup.PowerShell.Commands.RestoreIncusImageCommand'
            "message: In project '$($script:P)', alias 'bbox-described' points at image $($script:Unified.Substring(0, 12)) and this session cannot ask whether to change it; nothing was changed."
        )
        Get-ImageState | Should -Be $before
        Get-AliasTarget bbox-described | Should -Be $script:Unified
    }

    It 'leaves it with -SkipExisting (Skipped: the image, its other alias and its settings are there)' {
        $before = Get-ImageState
        $result = Restore-IncusImage -Name bbox -Project $script:P -Target $script:T -SkipExisting
        $result.Action | Should -Be 'Skipped'
        Get-AliasTarget bbox-described | Should -Be $script:Unified
        Get-ImageState | Should -Be $before
    }

    It 'changes nothing under -WhatIf, even with -Replace' {
        $before = Get-ImageState
        Restore-IncusImage -Name bbox -Project $script:P -Target $script:T -Replace -WhatIf | Should -BeNullOrEmpty
        Get-AliasTarget bbox-described | Should -Be $script:Unified
        Get-ImageState | Should -Be $before
    }

    It 'points it back at the image of the backup with -Replace (Updated), with its description' {
        $result = Restore-IncusImage -Name bbox -Project $script:P -Target $script:T -Replace
        $result.Action | Should -Be 'Updated'
        Get-AliasTarget bbox-described | Should -Be $script:Split
        $entry = @(Get-IncusJson "/1.0/images/aliases?project=$($script:P)&recursion=1") | Where-Object name -EQ bbox-described
        $entry.description | Should -Be 'bbox, described'
        Get-AliasTarget bbox-unified | Should -Be $script:Unified
    }
}

Describe 'Names that do not resolve to one image' {
    BeforeAll {
        if ($script:NoIncus) { return }
        # A third image whose fingerprint starts like the split image's: a tiny unified one, made until it does.
        $script:Digit = $script:Split.Substring(0, 1)
        $third = Join-Path $script:Scratch 'third'
        New-Item -ItemType Directory -Path "$third/rootfs" -Force | Out-Null
        $tarball = Join-Path $script:Scratch 'third.tar.gz'
        for ($nonce = 0; ; $nonce++) {
            Set-Content -LiteralPath "$third/metadata.yaml" -Value "architecture: x86_64`ncreation_date: 1`nproperties:`n  nonce: `"$nonce`""
            & tar -C $third -czf $tarball metadata.yaml rootfs
            if ((Get-FileHash -Algorithm SHA256 $tarball).Hash.ToLowerInvariant().StartsWith($script:Digit)) { break }
        }
        Invoke-Incus image import $tarball --project $script:P --alias third | Out-Null
        $script:Third = Get-AliasTarget third
    }
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'writes a non-terminating ImageNotFound for an unknown fingerprint and backs up the others' {
        $records = Backup-IncusImage 'ffffffffffff', $script:Split.Substring(0, 12) -Project $script:P -Target $script:T -ErrorVariable failed -ErrorAction SilentlyContinue
        @($records).Count | Should -Be 1
        $records.Name | Should -Be $script:Split
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'ImageNotFound,IncusBackup.PowerShell.Commands.BackupIncusImageCommand'
        $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failed[0].Exception.Message | Should -Be "No image with a fingerprint starting 'ffffffffffff' was found in project '$($script:P)'."
        $failed[0].ErrorDetails.RecommendedAction | Should -Be "List them with: incus image list --project $($script:P)"
    }

    It 'writes ImageNotFound for an unknown alias' {
        $records = Backup-IncusImage -Alias no-such-alias -Project $script:P -Target $script:T -ErrorVariable failed -ErrorAction SilentlyContinue
        $records | Should -BeNullOrEmpty
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ImageNotFound,*'
        $failed[0].Exception.Message | Should -Be "No image with alias 'no-such-alias' was found in project '$($script:P)'."
        $failed[0].TargetObject | Should -Be 'no-such-alias'
    }

    It 'writes AmbiguousFingerprint, naming every image the prefix matches, and backs none of them up' {
        $matching = @(Get-IncusJson "/1.0/images?project=$($script:P)&recursion=1" | ForEach-Object fingerprint | Where-Object { $_.StartsWith($script:Digit) })
        $matching | Should -Contain $script:Split
        $matching | Should -Contain $script:Third
        $before = @((Get-IncusBackup -Target $script:T -Kind Image).Location)

        $records = Backup-IncusImage $script:Digit -Project $script:P -Target $script:T -ErrorVariable failed -ErrorAction SilentlyContinue

        $records | Should -BeNullOrEmpty
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'AmbiguousFingerprint,IncusBackup.PowerShell.Commands.BackupIncusImageCommand'
        $failed[0].Exception.Message | Should -BeLike "The fingerprint prefix '$($script:Digit)' matches $($matching.Count) images: *."
        foreach ($fingerprint in $matching) { $failed[0].Exception.Message | Should -BeLike "*$($fingerprint.Substring(0, 12))*" }
        @((Get-IncusBackup -Target $script:T -Kind Image).Location) | Should -Be $before
    }

    It 'restores by alias only the image with that alias, not those whose aliases start with it' {
        Backup-IncusImage -Alias bbox-unified -Project $script:P -Target $script:T | Out-Null
        Invoke-Incus image delete $script:Split $script:Unified --project $script:P | Out-Null

        $result = Restore-IncusImage -Name bbox -Project $script:P -Target $script:T

        @($result).Count | Should -Be 1
        $result.TargetName | Should -Be $script:Split
        Get-AliasTarget bbox | Should -Be $script:Split
        Get-AliasTarget bbox-unified | Should -BeNullOrEmpty
        (Restore-IncusImage -Name bbox-unified -Project $script:P -Target $script:T).TargetName | Should -Be $script:Unified
    }

    It 'writes BackupNotFound naming an alias that no backup has' {
        Restore-IncusImage -Name no-such-alias -Project $script:P -Target $script:T -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
        $failed[0].Exception.Message | Should -Be "No image backup of 'no-such-alias' in project '$($script:P)' in dir:$($script:T)."
    }
}

Describe 'An image backup whose metadata file was changed' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'is ChecksumMismatch before the server sees anything; an intact version still restores' {
        $good = Backup-IncusImage -Alias bbox -Project $script:P -Target $script:T
        $damaged = Backup-IncusImage -Alias bbox -Project $script:P -Target $script:T
        $damaged.Version | Should -Not -Be $good.Version
        $metadata = Join-Path $damaged.Location 'metadata.tar.xz'
        $bytes = [System.IO.File]::ReadAllBytes($metadata)
        $bytes[100] = $bytes[100] -bxor 0xff
        [System.IO.File]::WriteAllBytes($metadata, $bytes)
        Invoke-Incus image delete $script:Split --project $script:P | Out-Null
        $before = Get-ImageState

        $result = Restore-IncusImage -Name bbox -Project $script:P -Target $script:T -ErrorVariable failed -ErrorAction SilentlyContinue

        $result | Should -BeNullOrEmpty
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ChecksumMismatch,*'
        $failed[0].Exception.Message | Should -BeLike "'metadata.tar.xz' of * does not match its checksum*"
        Get-ImageState | Should -Be $before

        (Restore-IncusImage -Name bbox -Project $script:P -Target $script:T -Version $good.Version).Action | Should -Be 'Restored'
        Get-AliasTarget bbox | Should -Be $script:Split
        # The damaged version is no use to the tests after this one.
        Remove-Item -LiteralPath $damaged.Location -Recurse -Force
    }
}

Describe 'Get-IncusBackup -Kind Image and -WhatIf' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'lists image backups with Name the fingerprint and their aliases' {
        $all = @(Get-IncusBackup -Kind Image -Project $script:P -Target $script:T)
        $all.Count | Should -BeGreaterThan 0
        $all.Kind | Sort-Object -Unique | Should -Be 'Image'
        @($all.Name | Sort-Object -Unique) | Should -Be @(@($script:Split, $script:Unified) | Sort-Object)
        foreach ($record in $all) {
            $expected = if ($record.Name -eq $script:Split) { 'bbox', 'bbox-described' } else { 'bbox-unified', 'bbox-unified-described' }
            @($record.Aliases | Sort-Object) | Should -Be $expected
        }
    }

    It 'finds backups by alias (Name <Name>) without writing BackupNotFound' -ForEach @(
        @{ Name = 'bbox-described' }
        @{ Name = 'bbox-unified' }
    ) {
        $latest = Get-IncusBackup -Kind Image -Name $Name -Project $script:P -Target $script:T -Latest -ErrorVariable failed
        @($failed).Count | Should -Be 0
        @($latest).Count | Should -Be 1
        $latest.Aliases | Should -Contain $Name
    }

    It 'Backup-IncusImage -WhatIf exports nothing and does not create the repository' {
        $fresh = Join-Path $script:Scratch 'never-created'
        Backup-IncusImage -All -Project $script:P -Target $fresh -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath $fresh | Should -BeFalse
        $before = @((Get-IncusBackup -Target $script:T -Kind Image).Location)
        Backup-IncusImage -Alias bbox -Project $script:P -Target $script:T -WhatIf | Should -BeNullOrEmpty
        @((Get-IncusBackup -Target $script:T -Kind Image).Location) | Should -Be $before
    }

    It 'Restore-IncusImage -WhatIf changes nothing on the server, for a missing image too' {
        Invoke-Incus image delete $script:Unified --project $script:P | Out-Null
        Invoke-Incus image set-property bbox ib.test 'changed again' --project $script:P | Out-Null
        $before = Get-ImageState
        Restore-IncusImage -Name bbox, bbox-unified -Project $script:P -Target $script:T -WhatIf | Should -BeNullOrEmpty
        Get-ImageState | Should -Be $before
    }

    It 'restores the newest backup of each image piped from Get-IncusBackup -Kind Image -Latest' {
        # As the previous test left it: the unified image deleted, a property of the split one changed.
        $results = @(Get-IncusBackup -Kind Image -Latest -Project $script:P -Target $script:T | Restore-IncusImage)
        @($results | Sort-Object TargetName | ForEach-Object { "$($_.TargetName) $($_.Action)" }) |
            Should -Be @(@("$($script:Split) Updated", "$($script:Unified) Restored") | Sort-Object)
        Get-ImageProperty $script:Split ib.test | Should -Be 'split value'
        Get-AliasTarget bbox-unified-described | Should -Be $script:Unified
    }
}
