namespace IncusBackup.Backup;

/// <summary>Options shared by every kind of backup (the cmdlets' switches).</summary>
public sealed record BackupOptions
{
    /// <summary>How a running source is held still while the server reads it (-Consistency; -NoSnapshot is None).</summary>
    public ConsistencyMode Consistency { get; init; } = ConsistencyMode.Auto;

    /// <summary>
    /// The longest a running instance stays frozen for a backup (-FreezeTimeout); past it the instance is thawed and
    /// the backup fails with FreezeTimeout. Null: no limit. The default, 10 minutes, is about 150 GiB at the 4 s per
    /// GiB this machine's server needs with zstd: a backup that takes longer frozen is better taken from a copy.
    /// </summary>
    public TimeSpan? FreezeTimeout { get; init; } = DefaultFreezeTimeout;

    public static readonly TimeSpan DefaultFreezeTimeout = TimeSpan.FromMinutes(10);

    /// <summary>-FreezeTimeout's seconds as a limit: 0 means none.</summary>
    public static TimeSpan? FreezeLimit(int seconds) => seconds == 0 ? null : TimeSpan.FromSeconds(seconds);
    public bool Optimized { get; init; }

    /// <summary>Leave out snapshots (-InstanceOnly; volume_only for volumes).</summary>
    public bool WithoutSnapshots { get; init; }

    /// <summary>Compression the user asked for; null picks the fastest the server supports.</summary>
    public string? Compression { get; init; }

    /// <summary>The run this backup belongs to (Backup-IncusServer), recorded in the manifest.</summary>
    public string? RunId { get; init; }

    /// <summary>Safety net: the server deletes a server-side backup we could not delete ourselves after this long.</summary>
    public TimeSpan ServerBackupLifetime { get; init; } = TimeSpan.FromHours(6);
}

/// <summary>
/// What a selection resolved to: the sources, the literal names that matched nothing, the empty wildcards, and the
/// names that could not be resolved for another reason (an ambiguous fingerprint prefix).
/// </summary>
public sealed record Selection<T>(IReadOnlyList<T> Targets, IReadOnlyList<string> Missing, IReadOnlyList<string> EmptyPatterns)
{
    public IReadOnlyList<Errors.IncusBackupException> Problems { get; init; } = [];
}
