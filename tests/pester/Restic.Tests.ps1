# The restic backend end to end against the real restic and incusd: a backup of a small instance into a fresh restic
# repository is listed, verifies, restores under a new name with its files, and a retention rule forgets the older
# backup. Bad input: no password, an uninitialised repository.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    $script:NoRestic = $null -eq (Get-Command restic -ErrorAction SilentlyContinue)
    if ($script:NoRestic -and $env:CI -eq 'true') { throw 'restic is not installed, and CI=true requires the restic tests to run.' }
    $script:T = New-TestDirectory
    $script:Repo = Join-Path $script:T 'repo'
    $script:SavedPassword = $env:RESTIC_PASSWORD
    $env:RESTIC_PASSWORD = 'pt-restic-' + [guid]::NewGuid().ToString('N')
    if ($script:NoIncus -or $script:NoRestic) { return }
    $env:RESTIC_REPOSITORY = $script:Repo
    & restic init --quiet
    Remove-Item Env:RESTIC_REPOSITORY
    $script:P = 'pt-restic-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    Invoke-Incus project create $script:P -c features.images=false -c features.profiles=false | Out-Null
    Invoke-Incus init busybox-test c1 --project $script:P | Out-Null
    $script:Marker = Join-Path $script:T 'marker.txt'
    Set-Content -LiteralPath $script:Marker -Value "restic round trip $([guid]::NewGuid())"
    Invoke-Incus file push $script:Marker c1/root/marker.txt --project $script:P | Out-Null
}

AfterAll {
    Remove-TestProject $script:P
    $env:RESTIC_PASSWORD = $script:SavedPassword
    Remove-Item -Recurse -Force $script:T -ErrorAction SilentlyContinue
}

Describe 'restic: target' {
    It 'backs up, lists, verifies and restores an instance, file for file' -Skip:($script:NoIncus -or $script:NoRestic) {
        $record = Backup-IncusInstance -Name c1 -Project $script:P -Target "restic:$($script:Repo)" -ErrorAction Stop
        $record.Repository | Should -Be "restic:$($script:Repo)"

        $listed = @(Get-IncusBackup -Project $script:P -Target "restic:$($script:Repo)")
        $listed.Count | Should -Be 1
        $listed[0].Version | Should -Be $record.Version
        $listed[0].Sha256 | Should -Be $record.Sha256

        ($listed[0] | Test-IncusBackup).Status | Should -Be 'Passed'

        $result = $listed[0] | Restore-IncusInstance -NewName c1-restored -Confirm:$false -ErrorAction Stop
        $result | Should -Not -BeNullOrEmpty
        $back = Join-Path $script:T 'back.txt'
        Invoke-Incus file pull c1-restored/root/marker.txt $back --project $script:P | Out-Null
        Get-Content -LiteralPath $back -Raw | Should -Be (Get-Content -LiteralPath $script:Marker -Raw)
    }

    It 'forgets the older backup with -KeepLast 1' -Skip:($script:NoIncus -or $script:NoRestic) {
        $second = Backup-IncusInstance -Name c1 -Project $script:P -Target "restic:$($script:Repo)" -ErrorAction Stop
        @(Get-IncusBackup -Name c1 -Project $script:P -Target "restic:$($script:Repo)").Count | Should -Be 2

        Remove-IncusBackup -Project $script:P -KeepLast 1 -Target "restic:$($script:Repo)" -Confirm:$false -ErrorAction Stop

        $left = @(Get-IncusBackup -Name c1 -Project $script:P -Target "restic:$($script:Repo)")
        $left.Version | Should -Be @($second.Version)
        # The archive snapshots went with the seal: only the remaining backup's two snapshots are left.
        $env:RESTIC_REPOSITORY = $script:Repo
        try { @(& restic snapshots --json --tag incusbackup | ConvertFrom-Json).Count | Should -Be 2 }
        finally { Remove-Item Env:RESTIC_REPOSITORY }
    }

    It 'stops with ResticPasswordMissing when no password is set' -Skip:$script:NoRestic {
        $saved = $env:RESTIC_PASSWORD
        Remove-Item Env:RESTIC_PASSWORD
        try { { Get-IncusBackup -Target "restic:$($script:Repo)" -ErrorAction Stop } | Should -Throw -ErrorId 'ResticPasswordMissing*' }
        finally { $env:RESTIC_PASSWORD = $saved }
    }

    It 'stops with ResticNotFound when restic cannot be started, saying how to install it' {
        $env:INCUS_BACKUP_RESTIC = Join-Path $script:T 'no-restic-here'
        try {
            $err = $null
            try { Get-IncusBackup -Target "restic:$($script:Repo)" -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'ResticNotFound*'
            $err.ErrorDetails.RecommendedAction | Should -BeLike '*apt-get install restic*INCUS_BACKUP_RESTIC*'
        }
        finally { Remove-Item Env:INCUS_BACKUP_RESTIC }
    }

    It 'stops with ResticRepositoryNotInitialized, telling how to create it' -Skip:$script:NoRestic {
        $err = $null
        try { Get-IncusBackup -Target "restic:$(Join-Path $script:T 'nothing-here')" -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'ResticRepositoryNotInitialized*'
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*Initialize-IncusBackupRepository*'
    }
}

Describe 'restic: creating a repository, and its password as a credential' {
    BeforeAll {
        $script:NewRepo = Join-Path $script:T 'created-repo'
        $secret = 'pt-cred-' + [guid]::NewGuid().ToString('N')
        $script:Credential = [pscredential]::new('restic', (ConvertTo-SecureString $secret -AsPlainText -Force))
        $script:CredentialSecret = $secret
        $script:WrongCredential = [pscredential]::new('restic', (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
    }
    BeforeEach {
        # Only the credential may open this repository: no password in the environment.
        $script:EnvPassword = $env:RESTIC_PASSWORD
        Remove-Item Env:RESTIC_PASSWORD -ErrorAction SilentlyContinue
    }
    AfterEach { $env:RESTIC_PASSWORD = $script:EnvPassword }

    It 'never creates one without -Initialize: the backup stops with ResticRepositoryNotInitialized' -Skip:($script:NoIncus -or $script:NoRestic) {
        { Backup-IncusInstance -Name c1 -Project $script:P -Target "restic:$($script:NewRepo)" -RepositoryCredential $script:Credential -ErrorAction Stop } |
            Should -Throw -ErrorId 'ResticRepositoryNotInitialized*'
        Test-Path -LiteralPath $script:NewRepo | Should -BeFalse
    }

    It 'creates it with -Initialize (warning once), in format 2, and stores the export uncompressed for restic to deduplicate' -Skip:($script:NoIncus -or $script:NoRestic) {
        $first = Backup-IncusInstance -Name c1 -Project $script:P -Target "restic:$($script:NewRepo)" -Initialize -RepositoryCredential $script:Credential `
            -WarningVariable created -WarningAction SilentlyContinue -ErrorAction Stop
        @($created).Count | Should -Be 1
        "$created" | Should -BeLike "Created the restic repository restic:$($script:NewRepo). Keep its password safe*"
        $first.Compression | Should -Be 'none'
        $first.ArchiveName | Should -Be 'export.tar'

        $second = Backup-IncusInstance -Name c1 -Project $script:P -Target "restic:$($script:NewRepo)" -Initialize -RepositoryCredential $script:Credential `
            -WarningVariable again -WarningAction SilentlyContinue -ErrorAction Stop
        @($again).Count | Should -Be 0 -Because 'the repository exists now'
        @(Get-IncusBackup -Name c1 -Project $script:P -Target "restic:$($script:NewRepo)" -RepositoryCredential $script:Credential).Version |
            Should -Be $first.Version, $second.Version

        $env:RESTIC_REPOSITORY = $script:NewRepo
        $env:RESTIC_PASSWORD = $script:CredentialSecret
        try { (& restic cat config --quiet | ConvertFrom-Json).version | Should -Be 2 }
        finally { Remove-Item Env:RESTIC_REPOSITORY, Env:RESTIC_PASSWORD }
    }

    It 'reads piped records with the credential, and refuses a wrong one with ResticPasswordWrong' -Skip:($script:NoIncus -or $script:NoRestic) {
        $records = @(Get-IncusBackup -Project $script:P -Target "restic:$($script:NewRepo)" -RepositoryCredential $script:Credential -Latest)
        $records.Count | Should -Be 1
        ($records | Test-IncusBackup -RepositoryCredential $script:Credential).Status | Should -Be 'Passed'

        { Get-IncusBackup -Target "restic:$($script:NewRepo)" -RepositoryCredential $script:WrongCredential -ErrorAction Stop } |
            Should -Throw -ErrorId 'ResticPasswordWrong*'
        { Initialize-IncusBackupRepository -Target "restic:$($script:NewRepo)" -RepositoryCredential $script:WrongCredential -ErrorAction Stop } |
            Should -Throw -ErrorId 'ResticPasswordWrong*'
    }

    It 'Initialize-IncusBackupRepository leaves an existing repository as it is (Created False)' -Skip:$script:NoRestic {
        $before = @(Get-ChildItem -LiteralPath $script:NewRepo -Recurse -File).Count
        $info = Initialize-IncusBackupRepository -Target "restic:$($script:NewRepo)" -RepositoryCredential $script:Credential -ErrorAction Stop
        $info.Created | Should -BeFalse
        $info.Backend | Should -Be 'restic'
        $info.Target | Should -Be "restic:$($script:NewRepo)"
        @(Get-ChildItem -LiteralPath $script:NewRepo -Recurse -File).Count | Should -Be $before
    }

    It 'Initialize-IncusBackupRepository -WhatIf creates nothing' -Skip:$script:NoRestic {
        $repo = Join-Path $script:T 'whatif-repo'
        Initialize-IncusBackupRepository -Target "restic:$repo" -RepositoryCredential $script:Credential -WhatIf
        Test-Path -LiteralPath $repo | Should -BeFalse
    }
}

Describe 'restic: deduplication' {
    # The issue's measure: a running container holding 256 MiB of random data, backed up twice with a small file
    # changed in between. The second backup must add less than 10% of what the first one added.
    It 'a second backup of a barely changed running container adds less than 10% of the first' -Skip:($script:NoIncus -or $script:NoRestic) {
        $repo = Join-Path $script:T 'dedup-repo'
        $env:RESTIC_REPOSITORY = $repo
        try { & restic init --quiet --repository-version 2 } finally { Remove-Item Env:RESTIC_REPOSITORY }
        Invoke-Incus init busybox-test dd1 --project $script:P | Out-Null
        Invoke-Incus start dd1 --project $script:P | Out-Null
        Invoke-Incus exec dd1 --project $script:P '--' dd if=/dev/urandom of=/root/random.bin bs=1048576 count=256 | Out-Null
        function Get-RepoBytes { [long](((& du -sb $repo) -split '\s+')[0]) }
        $empty = Get-RepoBytes

        Backup-IncusInstance -Name dd1 -Project $script:P -Target "restic:$repo" -ErrorAction Stop | Out-Null
        $afterFirst = Get-RepoBytes
        Invoke-Incus exec dd1 --project $script:P '--' sh -c 'date > /root/changed.txt' | Out-Null
        $second = Backup-IncusInstance -Name dd1 -Project $script:P -Target "restic:$repo" -ErrorAction Stop
        $afterSecond = Get-RepoBytes

        $firstGrowth = $afterFirst - $empty
        $secondGrowth = $afterSecond - $afterFirst
        $firstGrowth | Should -BeGreaterThan (250MB) -Because 'random data does not compress'
        $second.Size | Should -BeGreaterThan (256MB) -Because 'the second backup holds the whole instance too'
        $secondGrowth | Should -BeLessThan ($firstGrowth * 0.10) -Because "the second backup added $secondGrowth bytes after $firstGrowth"
        Invoke-Incus delete -f dd1 --project $script:P | Out-Null
    }
}

Describe 'restic: Test-IncusBackup runs restic check' {
    BeforeAll {
        $script:CheckRepo = Join-Path $script:T 'check-repo'
        if ($script:NoIncus -or $script:NoRestic) { return }
        $env:RESTIC_REPOSITORY = $script:CheckRepo
        try { & restic init --quiet --repository-version 2 } finally { Remove-Item Env:RESTIC_REPOSITORY }
        $script:Checked = Backup-IncusInstance -Name c1 -Project $script:P -Target "restic:$($script:CheckRepo)" -ErrorAction Stop
    }

    It 'adds a passing Repository check, with the data subset it read' -Skip:($script:NoIncus -or $script:NoRestic) {
        $result = $script:Checked | Test-IncusBackup -ReadDataSubset '100%' -ErrorAction Stop
        $result.Status | Should -Be 'Passed'
        $check = $result.Checks | Where-Object Name -eq 'Repository'
        $check.Outcome | Should -Be 'Passed'
        $check.Message | Should -Be 'restic check found no errors, data subset 100% read'
    }

    It 'fails every backup of a damaged repository with RepositoryCheckFailed' -Skip:($script:NoIncus -or $script:NoRestic) {
        # One flipped byte in the biggest pack file: restic's read of the data finds it.
        $pack = Get-ChildItem -LiteralPath (Join-Path $script:CheckRepo 'data') -Recurse -File | Sort-Object Length -Descending | Select-Object -First 1
        $bytes = [IO.File]::ReadAllBytes($pack.FullName)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 1
        [IO.File]::WriteAllBytes($pack.FullName, $bytes)

        $result = $script:Checked | Test-IncusBackup -ReadDataSubset '100%' -ErrorAction SilentlyContinue -ErrorVariable failed
        $result.Status | Should -Be 'Failed'
        $check = $result.Checks | Where-Object Name -eq 'Repository'
        $check.Outcome | Should -Be 'Failed'
        $check.ErrorId | Should -Be 'RepositoryCheckFailed'
        $check.Message | Should -BeLike 'restic check found errors, data subset 100% read: *'
        @($failed).Count | Should -Be 1
    }

    It 'rejects a -ReadDataSubset restic would not take' {
        { Get-IncusBackup -Target "restic:$($script:CheckRepo)" | Test-IncusBackup -ReadDataSubset 'half' -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }
}

Describe 'restic: a REST repository served by rclone (restic''s REST protocol), and the server stopped mid-backup' {
    BeforeAll {
        $script:NoRclone = $null -eq (Get-Command rclone -ErrorAction SilentlyContinue)
        if ($script:NoRclone -and $env:CI -eq 'true') { throw 'rclone is not installed, and CI=true requires the REST repository tests to run.' }
        if ($script:NoIncus -or $script:NoRestic -or $script:NoRclone) { return }
        $script:RestRoot = Join-Path $script:T 'rest-root'
        New-Item -ItemType Directory -Path $script:RestRoot | Out-Null
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $script:RestPort = $listener.LocalEndpoint.Port; $listener.Stop()
        $script:RestTarget = "restic:rest:http://127.0.0.1:$($script:RestPort)/incus"
        function script:Start-RestServer {
            $script:Rclone = Start-Process rclone -ArgumentList 'serve', 'restic', $script:RestRoot, '--addr', "127.0.0.1:$($script:RestPort)" -PassThru `
                -RedirectStandardOutput (Join-Path $script:T 'rclone.out') -RedirectStandardError (Join-Path $script:T 'rclone.err')
            $deadline = [datetime]::UtcNow.AddSeconds(15)
            while ([datetime]::UtcNow -lt $deadline) {
                try { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $script:RestPort).Dispose(); return } catch { Start-Sleep -Milliseconds 100 }
            }
            throw "rclone serve restic did not listen on 127.0.0.1:$($script:RestPort): $(Get-Content -Raw (Join-Path $script:T 'rclone.err'))"
        }
        function script:Stop-RestServer { if ($script:Rclone -and -not $script:Rclone.HasExited) { $script:Rclone.Kill(); $script:Rclone.WaitForExit() } }
        Start-RestServer

        # A custom volume with a file in it, written where the dir pool keeps it.
        Invoke-Incus storage volume create default rv1 --project $script:P | Out-Null
        $script:VolumeMarker = "rest volume $([guid]::NewGuid())"
        Set-Content -LiteralPath "/var/lib/incus/storage-pools/default/custom/$($script:P)_rv1/marker.txt" -Value $script:VolumeMarker
    }
    AfterAll { if (Get-Command Stop-RestServer -ErrorAction SilentlyContinue) { Stop-RestServer } }

    It 'round-trips an instance and a volume byte for byte (the repository created with -Initialize)' -Skip:($script:NoIncus -or $script:NoRestic -or $script:NoRclone) {
        $instance = Backup-IncusInstance -Name c1 -Project $script:P -Target $script:RestTarget -Initialize -WarningAction SilentlyContinue -ErrorAction Stop
        $volume = Backup-IncusVolume -Name rv1 -Pool default -Project $script:P -Target $script:RestTarget -ErrorAction Stop
        Test-Path -LiteralPath (Join-Path $script:RestRoot 'incus/config') | Should -BeTrue -Because 'the repository lives on the REST server'

        $listed = @(Get-IncusBackup -Project $script:P -Target $script:RestTarget)
        @($listed | ForEach-Object { "$($_.Kind) $($_.Name) $($_.Sha256)" } | Sort-Object) |
            Should -Be @("Instance c1 $($instance.Sha256)", "Volume rv1 $($volume.Sha256)")
        @($listed | Test-IncusBackup).Status | Should -Be 'Passed', 'Passed'

        $listed | Where-Object Kind -eq 'Instance' | Restore-IncusInstance -NewName c1-rest -Confirm:$false -ErrorAction Stop | Out-Null
        $listed | Where-Object Kind -eq 'Volume' | Restore-IncusVolume -NewName rv1-rest -Confirm:$false -ErrorAction Stop | Out-Null
        $back = Join-Path $script:T 'rest-back.txt'
        Invoke-Incus file pull c1-rest/root/marker.txt $back --project $script:P | Out-Null
        (Get-FileHash -LiteralPath $back).Hash | Should -Be (Get-FileHash -LiteralPath $script:Marker).Hash
        Get-Content -LiteralPath "/var/lib/incus/storage-pools/default/custom/$($script:P)_rv1-rest/marker.txt" | Should -Be $script:VolumeMarker
    }

    It 'lists no backup of a run whose REST server went away, and the next run removes restic''s stale lock and says so' -Skip:($script:NoIncus -or $script:NoRestic -or $script:NoRclone) {
        # A container big enough that the upload is still going when the server stops.
        Invoke-Incus init busybox-test big1 --project $script:P | Out-Null
        Invoke-Incus start big1 --project $script:P | Out-Null
        Invoke-Incus exec big1 --project $script:P '--' dd if=/dev/urandom of=/root/random.bin bs=1048576 count=192 | Out-Null
        $before = @(Get-IncusBackup -Project $script:P -Target $script:RestTarget).Count

        $log = Join-Path $script:T 'stopped-run.txt'
        $pwsh = @(Get-PwshCommand)
        $run = Start-Process $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command',
                "Import-Module '$(Join-Path (Get-RepositoryRoot) 'module/IncusBackup')'; try { Backup-IncusInstance -Name big1 -Project $($script:P) -Target '$($script:RestTarget)' -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message; exit 1 }")) `
            -PassThru -RedirectStandardOutput $log -RedirectStandardError "$log.err"
        # Stop the server once restic is writing packs of this backup.
        $data = Join-Path $script:RestRoot 'incus/data'
        $packs = @(Get-ChildItem -LiteralPath $data -Recurse -File).Count
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while ([datetime]::UtcNow -lt $deadline -and @(Get-ChildItem -LiteralPath $data -Recurse -File).Count -le $packs) { Start-Sleep -Milliseconds 50 }
        Stop-RestServer
        $run.HasExited | Should -BeFalse -Because 'the backup was still uploading when the server stopped'

        # restic gives up after its own retries (about three minutes); the backup fails.
        $run.WaitForExit(360000) | Should -BeTrue -Because 'restic gives up when the server stays away'
        $run.ExitCode | Should -Not -Be 0
        $said = @(Get-Content -LiteralPath $log)
        $said[0] | Should -BeLike 'ResticRepositoryUnreachable*' -Because "the run said: $($said -join ' | ')"
        $said[1] | Should -Not -BeLike '*retrying after*' -Because 'restic''s retries are left out of the message'
        $said[1] | Should -BeLike "restic could not reach the repository 'rest:http://127.0.0.1:$($script:RestPort)/incus'*connection refused*"

        Start-RestServer
        @(Get-ChildItem -LiteralPath (Join-Path $script:RestRoot 'incus/locks') -File).Count | Should -BeGreaterThan 0 -Because 'the dead run could not remove its lock'
        @(Get-IncusBackup -Project $script:P -Target $script:RestTarget).Count | Should -Be $before -Because 'a backup cut off by its server is never listed'

        $next = Backup-IncusInstance -Name c1 -Project $script:P -Target $script:RestTarget -WarningVariable warned -WarningAction SilentlyContinue -ErrorAction Stop
        $next | Should -Not -BeNullOrEmpty
        "$warned" | Should -BeLike "*: removed 1 stale restic lock(s) of runs that ended without releasing them (restic unlock)*"
        @(Get-ChildItem -LiteralPath (Join-Path $script:RestRoot 'incus/locks') -File).Count | Should -Be 0
        # A prune takes restic's exclusive lock: it works again.
        Remove-IncusBackup -Name c1 -Project $script:P -KeepLast 1 -Target $script:RestTarget -Confirm:$false -ErrorAction Stop
        @(Get-IncusBackup -Name c1 -Project $script:P -Target $script:RestTarget).Version | Should -Be $next.Version
        Invoke-Incus delete -f big1 --project $script:P | Out-Null
    }
}

Describe 'restic: the listing cache' {
    # restic itself, through a wrapper that logs each call: what a listing runs is what the cache saves.
    BeforeAll {
        $script:CacheRepo = Join-Path $script:T 'cache-repo'
        $script:Calls = Join-Path $script:T 'restic-calls.log'
        $script:Wrapper = Join-Path $script:T 'restic-logging'
        Set-Content -LiteralPath $script:Wrapper -Value "#!/bin/sh`necho `"`$*`" >> '$($script:Calls)'`nexec restic `"`$@`""
        & chmod +x $script:Wrapper
        $script:SavedCache = $env:XDG_CACHE_HOME
        $env:XDG_CACHE_HOME = Join-Path $script:T 'xdg-cache'
        if ($script:NoIncus -or $script:NoRestic) { return }
        $env:RESTIC_REPOSITORY = $script:CacheRepo
        try { & restic init --quiet --repository-version 2 } finally { Remove-Item Env:RESTIC_REPOSITORY }
        $script:Cached = @(1..2 | ForEach-Object { Backup-IncusInstance -Name c1 -Project $script:P -Target "restic:$($script:CacheRepo)" -ErrorAction Stop })
        function script:Get-Dumps([scriptblock] $Run) {
            Remove-Item -LiteralPath $script:Calls -ErrorAction SilentlyContinue
            $env:INCUS_BACKUP_RESTIC = $script:Wrapper
            try { $out = & $Run } finally { Remove-Item Env:INCUS_BACKUP_RESTIC }
            [pscustomobject]@{ Output = $out; Dumps = @(Get-Content -LiteralPath $script:Calls -ErrorAction SilentlyContinue | Where-Object { $_ -match '^--quiet dump ' }).Count }
        }
    }
    AfterAll { $env:XDG_CACHE_HOME = $script:SavedCache }

    It 'reads each manifest once, then lists from the cache, and reads again only what protect changed' -Skip:($script:NoIncus -or $script:NoRestic) {
        $first = Get-Dumps { @(Get-IncusBackup -Target "restic:$($script:CacheRepo)") }
        $first.Dumps | Should -Be 2
        $first.Output.Version | Should -Be $script:Cached.Version

        $second = Get-Dumps { @(Get-IncusBackup -Target "restic:$($script:CacheRepo)") }
        $second.Dumps | Should -Be 0 -Because 'both seals are known by their snapshot ids'
        ($second.Output | ForEach-Object { "$($_.Version) $($_.Sha256) $($_.Size) $($_.Location) $($_.Repository)" }) |
            Should -Be ($first.Output | ForEach-Object { "$($_.Version) $($_.Sha256) $($_.Size) $($_.Location) $($_.Repository)" })

        $first.Output[0] | Protect-IncusBackup
        $third = Get-Dumps { @(Get-IncusBackup -Target "restic:$($script:CacheRepo)") }
        $third.Dumps | Should -Be 1 -Because 'restic tag gave the protected seal a new id'
        $third.Output.Protected | Should -Be $true, $false
    }
}
