namespace IncusBackup;

public enum ConfigAction
{
    /// <summary>In the backup, not on the server: a restore creates it.</summary>
    Create,

    /// <summary>On both, with differences: a restore changes the server's to the backup's.</summary>
    Update,

    /// <summary>On both, the same.</summary>
    Unchanged,

    /// <summary>On the server, not in the backup: reported, never deleted.</summary>
    Extra,
}

/// <summary>
/// What Restore-IncusConfig found (and, with -Apply, did) for one piece of config: a project, storage pool,
/// network, profile or the server's keys.
/// </summary>
public sealed class ConfigChange
{
    /// <summary>Project, StoragePool, Network, Profile or Server.</summary>
    public required string Kind { get; init; }

    /// <summary>The project of a profile or network; empty for the others.</summary>
    public string? Project { get; init; }
    public required string Name { get; init; }
    public required ConfigAction Action { get; init; }

    /// <summary>Every field that differs, old (the server's) and new (the backup's) value.</summary>
    public ConfigFieldChange[] Changes { get; init; } = [];

    /// <summary>The change was made on the server (-Apply).</summary>
    public bool Applied { get; set; }

    /// <summary>Why a change was not made (failed, or skipped because what it needs failed).</summary>
    public string? Error { get; set; }

    public override string ToString() => $"{Action} {Kind} {(string.IsNullOrEmpty(Project) ? "" : Project + "/")}{Name}";
}

/// <summary>One differing field: config.limits.cpu, devices.eth0.parent, description...</summary>
public sealed class ConfigFieldChange
{
    public required string Field { get; init; }

    /// <summary>The server's value; null when the server has none.</summary>
    public string? Old { get; init; }

    /// <summary>The backup's value; null when the backup has none (a key the restore removes).</summary>
    public string? New { get; init; }

    public override string ToString() => $"{Field}: {Old ?? "(none)"} -> {New ?? "(none)"}";
}
