namespace IncusBackup.Errors;

/// <summary>Stable error identifiers. Scripts and tests match on these; never rename one.</summary>
public static class ErrorIds
{
    // Connection to the Incus server.
    public const string IncusUnreachable = "IncusUnreachable";
    public const string IncusPermissionDenied = "IncusPermissionDenied";
    public const string IncusApiError = "IncusApiError";
    public const string IncusOperationFailed = "IncusOperationFailed";

    // Remote servers over HTTPS (the incus CLI's remotes, or -Server).
    /// <summary>-Remote (or $env:INCUS_REMOTE, or default-remote) names no remote of the incus CLI's config.</summary>
    public const string RemoteNotFound = "RemoteNotFound";

    /// <summary>The remote is an image server (simplestreams, oci) or uses an authentication this module does not speak (oidc).</summary>
    public const string RemoteNotSupported = "RemoteNotSupported";

    /// <summary>-Server (or a remote's addr) is not https://host[:port] or unix://…, or -ServerCertificateThumbprint is not a SHA-256 fingerprint.</summary>
    public const string ServerAddressInvalid = "ServerAddressInvalid";

    /// <summary>-TargetMember was given, but the server is not clustered.</summary>
    public const string ServerNotClustered = "ServerNotClustered";

    /// <summary>-TargetMember names no member of the cluster.</summary>
    public const string ClusterMemberNotFound = "ClusterMemberNotFound";

    /// <summary>The incus CLI's config.yml cannot be read.</summary>
    public const string RemoteConfigInvalid = "RemoteConfigInvalid";

    /// <summary>The server answered GET /1.0 with "auth":"untrusted": its trust store lacks this client's certificate.</summary>
    public const string ClientCertificateUntrusted = "ClientCertificateUntrusted";

    /// <summary>No client certificate (client.crt/client.key, clientcerts/&lt;remote&gt;.*, or -Certificate), or it cannot be read.</summary>
    public const string ClientCertificateMissing = "ClientCertificateMissing";

    /// <summary>The client certificate has expired (or is not valid yet).</summary>
    public const string ClientCertificateExpired = "ClientCertificateExpired";

    /// <summary>The client key is protected by a passphrase and none (or a wrong one) was given.</summary>
    public const string ClientKeyEncrypted = "ClientKeyEncrypted";

    /// <summary>The server presented a certificate other than the pinned one (servercerts/&lt;remote&gt;.crt or -ServerCertificateThumbprint).</summary>
    public const string ServerCertificateMismatch = "ServerCertificateMismatch";

    /// <summary>Nothing pins the server's certificate yet: a first contact, never trusted silently.</summary>
    public const string ServerCertificateUnknown = "ServerCertificateUnknown";

    /// <summary>Nothing listens at the server's address and port.</summary>
    public const string IncusConnectionRefused = "IncusConnectionRefused";

    /// <summary>The server's host name does not resolve.</summary>
    public const string IncusHostNotFound = "IncusHostNotFound";

    /// <summary>The TLS handshake failed for another reason than the server's certificate (protocol, or not TLS at all).</summary>
    public const string TlsHandshakeFailed = "TlsHandshakeFailed";

    // Repository target.
    public const string TargetNotConfigured = "TargetNotConfigured";
    public const string TargetSchemeUnsupported = "TargetSchemeUnsupported";
    public const string TargetNotWritable = "TargetNotWritable";
    public const string TargetNotFound = "TargetNotFound";
    public const string TargetInsufficientSpace = "TargetInsufficientSpace";
    public const string TargetFull = "TargetFull";
    public const string RepositoryLocked = "RepositoryLocked";
    public const string ConfigFileInvalid = "ConfigFileInvalid";

    // The restic backend (-Target restic:...).
    /// <summary>None of RESTIC_PASSWORD, RESTIC_PASSWORD_FILE, RESTIC_PASSWORD_COMMAND is set.</summary>
    public const string ResticPasswordMissing = "ResticPasswordMissing";

    /// <summary>The password does not open the restic repository.</summary>
    public const string ResticPasswordWrong = "ResticPasswordWrong";

    /// <summary>No restic repository at the location (Initialize-IncusBackupRepository or -Initialize creates it), or it cannot be reached.</summary>
    public const string ResticRepositoryNotInitialized = "ResticRepositoryNotInitialized";

    /// <summary>restic is not installed ($INCUS_BACKUP_RESTIC, or restic on PATH).</summary>
    public const string ResticNotFound = "ResticNotFound";

    /// <summary>The repository's server (rest:, sftp:, s3:…) could not be reached: refused, unknown host, timed out.</summary>
    public const string ResticRepositoryUnreachable = "ResticRepositoryUnreachable";

    /// <summary>restic check found damage in the repository's structure (index, packs, snapshot trees).</summary>
    public const string RepositoryCheckFailed = "RepositoryCheckFailed";

    /// <summary>restic exited with an error this module has no more specific ErrorId for.</summary>
    public const string ResticFailed = "ResticFailed";

    // Resources and names.
    public const string InstanceNotFound = "InstanceNotFound";
    public const string VolumeNotFound = "VolumeNotFound";
    public const string ProjectNotFound = "ProjectNotFound";
    public const string PoolNotFound = "PoolNotFound";
    public const string ImageNotFound = "ImageNotFound";
    public const string AmbiguousFingerprint = "AmbiguousFingerprint";
    public const string InvalidName = "InvalidName";
    public const string InvalidVersion = "InvalidVersion";
    public const string ConflictingParameters = "ConflictingParameters";

    // Backup.
    public const string BackupFailed = "BackupFailed";
    public const string DownloadFailed = "DownloadFailed";
    public const string CompressionUnsupported = "CompressionUnsupported";
    public const string SnapshotConsistencyUnavailable = "SnapshotConsistencyUnavailable";
    public const string ImageFingerprintMismatch = "ImageFingerprintMismatch";
    public const string Stopped = "OperationStopped";

    // Retention.
    /// <summary>A retention policy (-Policy, -KeepWithin) that cannot be read, or that keeps nothing.</summary>
    public const string RetentionPolicyInvalid = "RetentionPolicyInvalid";

    /// <summary>A protected backup (Protect-IncusBackup) was piped to Remove-IncusBackup.</summary>
    public const string BackupProtected = "BackupProtected";

    /// <summary>Removing the newest backup of a resource was asked without -Force.</summary>
    public const string NewestBackupKept = "NewestBackupKept";

    // Restore and verification.
    public const string BackupNotFound = "BackupNotFound";
    public const string BackupFileMissing = "BackupFileMissing";
    public const string ChecksumMismatch = "ChecksumMismatch";
    public const string BackupUnreadable = "BackupUnreadable";
    public const string ManifestInvalid = "ManifestInvalid";
    public const string ArchiveInvalid = "ArchiveInvalid";

    /// <summary>The archive does not decompress, or its tar cannot be walked to the end.</summary>
    public const string ArchiveCorrupt = "ArchiveCorrupt";

    /// <summary>The archive's own index.yaml (name, type, snapshots) or an image's fingerprint disagrees with the manifest.</summary>
    public const string ArchiveMismatch = "ArchiveMismatch";
    public const string BackupKindMismatch = "BackupKindMismatch";
    public const string TargetExists = "TargetExists";
    public const string ConfirmationRequired = "ConfirmationRequired";
    public const string DependencyMissing = "DependencyMissing";

    /// <summary>An optimized (driver-specific) backup asked to restore onto a pool of another storage driver.</summary>
    public const string OptimizedDriverMismatch = "OptimizedDriverMismatch";

    /// <summary>A mapping that would have to change the configuration inside an optimized backup's driver stream.</summary>
    public const string OptimizedMappingUnsupported = "OptimizedMappingUnsupported";

    /// <summary>A running instance would have stayed frozen longer than -FreezeTimeout; it was thawed, nothing written.</summary>
    public const string FreezeTimeout = "FreezeTimeout";
    public const string RestoreFailed = "RestoreFailed";
    public const string ReplaceRolledBack = "ReplaceRolledBack";
    public const string ReplaceNotSupported = "ReplaceNotSupported";
    public const string ConfigApplyFailed = "ConfigApplyFailed";

    // Test-IncusBackup -Restore.
    /// <summary>The test-restored instance or volume lacks a snapshot or a config key of the backup's source, or has another type.</summary>
    public const string RestoredMismatch = "RestoredMismatch";

    /// <summary>The test-restored instance did not start, or did not reach Running in time.</summary>
    public const string StartFailed = "StartFailed";

    /// <summary>The -Script run inside the test-restored instance exited non-zero, or did not finish in time.</summary>
    public const string ScriptFailed = "ScriptFailed";

    /// <summary>What a test restore made could not all be deleted again.</summary>
    public const string CleanupFailed = "CleanupFailed";

    // Copy between repositories (Copy-IncusBackup).
    /// <summary>The destination holds a different backup of the same resource at the same version; nothing was overwritten.</summary>
    public const string BackupVersionConflict = "BackupVersionConflict";

    /// <summary>A backup was to be copied into the repository it is in (the source and -Destination are the same).</summary>
    public const string CopyToSameRepository = "CopyToSameRepository";

    // Anything else.
    public const string IOFailed = "IOFailed";
}
