# Remote servers over HTTPS, as a user reaches them: the local incusd listens on 127.0.0.1 for the duration, a
# throwaway INCUS_CONF holds the incus CLI's config.yml, client certificate and pinned server certificate, and the
# cmdlets go through -Remote (or -Server). Each failure has its ErrorId and changes nothing.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule

    $script:NoIncus = Assert-IncusOrSkip
    if ($script:NoIncus) { return }

    function Get-FreePort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }

    # A certificate as `incus remote generate-certificate` makes it: ECDSA P-384, clientAuth, PEM files.
    function New-ClientCertificate([string] $Name, [string] $CrtPath, [string] $KeyPath) {
        $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP384)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new("O=IncusBackup tests, CN=$Name", $key, 'SHA384')
        $usage = [System.Security.Cryptography.OidCollection]::new()
        $null = $usage.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.2'))
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($usage, $false))
        $certificate = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(30))
        New-Item -ItemType Directory -Force -Path (Split-Path $CrtPath) | Out-Null
        [IO.File]::WriteAllText($CrtPath, $certificate.ExportCertificatePem())
        [IO.File]::WriteAllText($KeyPath, $key.ExportECPrivateKeyPem())
        $certificate
    }

    $script:Prefix = 'pt-rem-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:SavedConf = $env:INCUS_CONF
    $script:SavedRemote = $env:INCUS_REMOTE

    # Listen on HTTPS unless something already does; put back what was there.
    $script:PreviousHttps = (& incus config get core.https_address).Trim()
    if ($script:PreviousHttps) {
        $port = ($script:PreviousHttps -split ':')[-1]
    }
    else {
        $port = Get-FreePort
        Invoke-Incus config set core.https_address "127.0.0.1:$port" | Out-Null
    }
    $script:Address = "https://127.0.0.1:$port"
    $script:ClosedAddress = "https://127.0.0.1:$(Get-FreePort)"
    $script:Fingerprint = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem(
        [IO.File]::ReadAllText('/var/lib/incus/server.crt')).GetCertHashString('SHA256').ToLowerInvariant()

    $script:P = New-TestProject
    $script:Conf = New-TestDirectory
    $script:Repository = New-TestDirectory
    $trusted = New-ClientCertificate "$($script:Prefix)-trusted" (Join-Path $script:Conf 'client.crt') (Join-Path $script:Conf 'client.key')
    $script:TrustedFingerprint = $trusted.GetCertHashString('SHA256').ToLowerInvariant()
    Invoke-Incus config trust add-certificate (Join-Path $script:Conf 'client.crt') --name "$($script:Prefix)-trusted" | Out-Null
    # Per-remote client certificates: 'stranger' presents one the server does not trust.
    $null = New-ClientCertificate "$($script:Prefix)-stranger" (Join-Path $script:Conf 'clientcerts/stranger.crt') (Join-Path $script:Conf 'clientcerts/stranger.key')
    # 'wrongpin' pins a certificate that is not the server's.
    $null = New-ClientCertificate 'not-the-server' (Join-Path $script:Conf 'servercerts/wrongpin.crt') (Join-Path $script:Conf 'unused.key')
    foreach ($remote in 'lab', 'stranger', 'closed') {
        Copy-Item /var/lib/incus/server.crt (Join-Path $script:Conf "servercerts/$remote.crt")
    }
    Set-Content -Path (Join-Path $script:Conf 'config.yml') -Value @"
default-remote: local
remotes:
  lab:
    addr: $($script:Address)
    project: $($script:P)
    protocol: incus
    public: false
  stranger:
    addr: $($script:Address)
    protocol: incus
    public: false
  wrongpin:
    addr: $($script:Address)
    protocol: incus
    public: false
  closed:
    addr: $($script:ClosedAddress)
    protocol: incus
    public: false
  images:
    addr: https://images.linuxcontainers.org
    protocol: simplestreams
    public: true
aliases: {}
"@
    $env:INCUS_CONF = $script:Conf

    # The instance in the remote's project: created, not started, with a marker to find after the round trip.
    $script:Marker = [guid]::NewGuid().ToString('N')
    Invoke-Incus init busybox-test "$($script:Prefix)-c1" --project $script:P -c "user.marker=$($script:Marker)" | Out-Null

    # What a failed call must leave untouched.
    function Get-ServerState { @(Invoke-Incus list --project $script:P --format csv -c n) + @(Invoke-Incus query "/1.0/instances/$($script:Prefix)-c1/backups?project=$($script:P)") }
}

AfterAll {
    if ($script:NoIncus) { return }
    $env:INCUS_CONF = $script:SavedConf
    $env:INCUS_REMOTE = $script:SavedRemote
    if (-not $script:PreviousHttps) { & incus config unset core.https_address *> $null }
    & incus config trust remove $script:TrustedFingerprint *> $null
    Remove-TestProject $script:P
    foreach ($dir in $script:Conf, $script:Repository) { if ($dir) { Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue } }
}

Describe 'Remote Incus servers over HTTPS' {
    BeforeEach { if ($script:NoIncus) { Set-ItResult -Skipped -Because 'Incus is not reachable' } }

    It 'backs up and restores an instance through -Remote, in the remote''s project by default' {
        $record = Backup-IncusInstance -Remote lab -Name "$($script:Prefix)-c1" -Target $script:Repository -Verbose 4>&1 |
            Tee-Object -Variable all | Where-Object { $_ -is [IncusBackup.BackupRecord] }
        @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message |
            Should -Contain "Connected to Incus $((Invoke-Incus query /1.0 | ConvertFrom-Json).environment.server_version) at $($script:Address) (remote 'lab')."
        $record.Project | Should -Be $script:P

        Invoke-Incus delete "$($script:Prefix)-c1" --project $script:P | Out-Null
        $result = $record | Restore-IncusInstance -Remote lab -Confirm:$false
        $result.Action | Should -Be 'Restored'
        $result.TargetProject | Should -Be $script:P
        (Invoke-Incus config get "$($script:Prefix)-c1" user.marker --project $script:P) | Should -Be $script:Marker
    }

    It '$env:INCUS_REMOTE picks the remote when -Remote is absent' {
        try {
            $env:INCUS_REMOTE = 'lab'
            $record = Backup-IncusInstance -Name "$($script:Prefix)-c1" -Target $script:Repository -Verbose 4>&1 |
                Tee-Object -Variable all | Where-Object { $_ -is [IncusBackup.BackupRecord] }
        }
        finally { $env:INCUS_REMOTE = $script:SavedRemote }
        $record.Project | Should -Be $script:P
        ($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -match "remote 'lab'" | Should -Not -BeNullOrEmpty
    }

    It '-Server with -Certificate (a path) and -ServerCertificateThumbprint reaches the server without the remotes' {
        $record = Backup-IncusInstance -Server $script:Address -Certificate (Join-Path $script:Conf 'client.crt') `
            -ServerCertificateThumbprint $script:Fingerprint -Project $script:P -Name "$($script:Prefix)-c1" -Target $script:Repository
        $record.Name | Should -Be "$($script:Prefix)-c1"
    }

    It '<Case> stops with <ErrorId> before anything changes' -ForEach @(
        @{ Case = 'an untrusted client certificate'; Remote = 'stranger'; ErrorId = 'ClientCertificateUntrusted'; Says = 'incus config trust add-certificate' }
        @{ Case = 'a wrong pinned server certificate'; Remote = 'wrongpin'; ErrorId = 'ServerCertificateMismatch'; Says = 'FINGERPRINT' }
        @{ Case = 'a refused port'; Remote = 'closed'; ErrorId = 'IncusConnectionRefused'; Says = 'connection refused' }
        @{ Case = 'an unknown remote name'; Remote = 'nowhere'; ErrorId = 'RemoteNotFound'; Says = "'nowhere'" }
        @{ Case = 'an image server (simplestreams)'; Remote = 'images'; ErrorId = 'RemoteNotSupported'; Says = 'image server' }
    ) {
        $before = Get-ServerState
        $repository = New-TestDirectory
        try {
            $failure = $null
            try { Backup-IncusInstance -Remote $Remote -Project $script:P -Name "$($script:Prefix)-c1" -Target $repository -ErrorAction Stop }
            catch { $failure = $_ }
            $failure | Should -Not -BeNullOrEmpty
            $failure.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
            "$($failure.Exception.Message) $($failure.ErrorDetails.RecommendedAction)" | Should -BeLike "*$($Says -replace 'FINGERPRINT', $script:Fingerprint)*"
            @(Get-ChildItem -Recurse -File $repository) | Should -BeNullOrEmpty
        }
        finally { Remove-Item -Recurse -Force $repository }
        Get-ServerState | Should -Be $before
    }

    It 'a first contact without a pin fails with the server''s fingerprint and how to trust it' {
        $failure = $null
        try { Backup-IncusConfig -Server $script:Address -Target $script:Repository -ErrorAction Stop } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'ServerCertificateUnknown,*'
        $failure.Exception.Message | Should -BeLike "*$($script:Fingerprint)*never trusted on first use*"
        $failure.ErrorDetails.RecommendedAction | Should -BeLike '*-ServerCertificateThumbprint*'
    }

    It 'Tab after -Remote offers the Incus remotes of the CLI''s config, not its image servers' {
        $line = 'Backup-IncusInstance -Remote '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText |
            Should -Be @('closed', 'lab', 'local', 'stranger', 'wrongpin')
    }

    It 'Tab after -Name completes from the remote the line names, in its project' {
        $line = "Backup-IncusInstance -Remote lab -Name $($script:Prefix)"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText |
            Should -Be @("$($script:Prefix)-c1")
    }
}
