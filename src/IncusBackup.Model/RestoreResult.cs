namespace IncusBackup;

public enum RestoreAction
{
    Restored,
    Replaced,
    Skipped,

    /// <summary>It was there already; what the backup adds to it (an image's aliases and settings) was brought back.</summary>
    Updated,
}

/// <summary>What one restore did: Restore-IncusInstance and Restore-IncusVolume emit one per backup.</summary>
public sealed class RestoreResult
{
    public required BackupKind Kind { get; init; }

    /// <summary>Project and name of the backed-up resource.</summary>
    public required string Project { get; init; }
    public required string Name { get; init; }
    public required string Version { get; init; }

    /// <summary>Where it was restored to (after -ProjectMap, -PoolMap and -NewName).</summary>
    public required string TargetProject { get; init; }
    public string? TargetPool { get; init; }
    /// <summary>The name it was restored as (the backed-up name unless -NewName). Alias in scripts: NewName.</summary>
    public required string TargetName { get; init; }
    public required RestoreAction Action { get; init; }

    /// <summary>Every rename the mappings applied, e.g. "device eth0: network incusbr0 -> br1".</summary>
    public string[] Mapped { get; init; } = [];

    /// <summary>Instances stopped for the restore and started again afterwards.</summary>
    public string[] RestartedInstances { get; init; } = [];
    public bool Started { get; init; }
    public TimeSpan Duration { get; init; }

    public override string ToString() => $"{Action} {Kind} {TargetProject}/{TargetName} from {Project}/{Name}@{Version}";
}
