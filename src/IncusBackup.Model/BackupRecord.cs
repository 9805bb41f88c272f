namespace IncusBackup;

public enum BackupKind
{
    Instance,
    Volume,
    Image,
    Config,
}

/// <summary>One complete backup in a repository: what Get-IncusBackup lists and Backup-* emit.</summary>
public sealed class BackupRecord
{
    public required BackupKind Kind { get; init; }
    public required string Project { get; init; }

    /// <summary>Storage pool of a volume (or the root pool of an instance).</summary>
    public string? Pool { get; init; }
    public required string Name { get; init; }

    /// <summary>The backup's folder name: YYYYMMDDThhmmssZ, with -N when several were taken in one second.</summary>
    public required string Version { get; init; }
    /// <summary>
    /// When the backup was taken (UTC, to the tick: two backups in one second still sort right). A DateTimeOffset,
    /// so comparing it with Get-Date's local time in Where-Object is right in every time zone.
    /// </summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Size of the archive in bytes.</summary>
    public long Size { get; init; }
    public required string Compression { get; init; }
    /// <summary>The backup leaves the snapshots out (-InstanceOnly, -VolumeOnly). Alias in scripts: InstanceOnly.</summary>
    public bool WithoutSnapshots { get; init; }
    public bool Optimized { get; init; }
    public string[] Snapshots { get; init; } = [];

    /// <summary>The Backup-IncusServer run this backup belongs to (its start, YYYYMMDDThhmmssZ); null for single backups.</summary>
    public string? RunId { get; init; }

    /// <summary>An image's aliases when it was backed up (empty for other kinds).</summary>
    public string[] Aliases { get; init; } = [];
    /// <summary>container or virtual-machine for an instance, filesystem or block for a volume. Alias in scripts: InstanceType.</summary>
    public string? Type { get; init; }

    /// <summary>Marked with Protect-IncusBackup: Remove-IncusBackup never removes it (Unprotect-IncusBackup lifts the mark).</summary>
    public bool Protected { get; init; }

    /// <summary>How a running source was held still while it was read (Frozen, Stopped or None).</summary>
    public string? Consistency { get; init; }
    public string? ServerVersion { get; init; }

    /// <summary>The name of the Incus server the backup came from (its host name when standalone), from the manifest.</summary>
    public string? ServerName { get; init; }

    /// <summary>
    /// The cluster member the instance or volume lived on (its location), from the manifest; null when the server
    /// was standalone. A restore aims at it again when the cluster still has that member (-TargetMember overrides).
    /// </summary>
    public string? Member { get; init; }
    public required string Sha256 { get; init; }

    /// <summary>The archive's file name within the backup (export.tar.zst, volume.tar.gz...).</summary>
    public required string ArchiveName { get; init; }

    /// <summary>
    /// Where the backup lives in its repository, in that backend's terms (the version folder of a dir: repository).
    /// Opaque to everything but the backend: read a backup's files through the repository, not through this.
    /// </summary>
    public required string Location { get; init; }

    /// <summary>The repository this record lives in, as a target string (dir:/path).</summary>
    public required string Repository { get; init; }

    public override string ToString() => $"{Kind} {Project}/{(Pool is null || Kind == BackupKind.Instance ? "" : Pool + "/")}{Name}@{Version}";
}
