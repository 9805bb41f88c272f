using IncusBackup.Incus;

namespace IncusBackup.Backup;

/// <summary>An instance chosen for backup, with the object the server returned for it.</summary>
public sealed record InstanceBackupTarget(IncusInstance Instance)
{
    public string Project => Instance.Project;
    public string Name => Instance.Name;
    public override string ToString() => $"{Project}/{Name}";
}

/// <summary>A custom volume chosen for backup.</summary>
public sealed record VolumeBackupTarget(string Pool, StorageVolume Volume)
{
    public string Project => Volume.Project ?? "default";
    public string Name => Volume.Name;
    public override string ToString() => $"{Project}/{Pool}/{Name}";
}

/// <summary>Options shared by instance and volume backups (the cmdlets' switches).</summary>
public sealed record BackupOptions
{
    /// <summary>Hold a running source still while the server reads it (on by default; -NoSnapshot turns it off).</summary>
    public bool Consistent { get; init; } = true;
    public bool Optimized { get; init; }

    /// <summary>Leave out snapshots (-InstanceOnly; volume_only for volumes).</summary>
    public bool WithoutSnapshots { get; init; }

    /// <summary>Compression the user asked for; null picks the fastest the server supports.</summary>
    public string? Compression { get; init; }

    /// <summary>Safety net: the server deletes a server-side backup we could not delete ourselves after this long.</summary>
    public TimeSpan ServerBackupLifetime { get; init; } = TimeSpan.FromHours(6);
}

/// <summary>What a selection resolved to: the targets, and the literal names that matched nothing.</summary>
public sealed record Selection<T>(IReadOnlyList<T> Targets, IReadOnlyList<string> Missing, IReadOnlyList<string> EmptyPatterns);
