namespace IncusBackup.Restore;

/// <summary>How to handle a target that already exists.</summary>
public enum ConflictMode
{
    /// <summary>Ask (the cmdlet confirms); the engine treats a confirmed restore like Replace.</summary>
    Ask,
    Replace,
    SkipExisting,
}

/// <summary>One backup to restore and how (the cmdlet's parameters).</summary>
public sealed record RestoreRequest
{
    public required BackupRecord Backup { get; init; }
    public string? NewName { get; init; }
    public IReadOnlyDictionary<string, string> PoolMap { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> NetworkMap { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> ProjectMap { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> ProfileMap { get; init; } = new Dictionary<string, string>();
    public ConflictMode Conflict { get; init; } = ConflictMode.Ask;

    /// <summary>Start the restored instance even if nothing it replaced was running.</summary>
    public bool Start { get; init; }

    /// <summary>
    /// Give the restored instance MAC addresses of its own even under its original name: a test copy in another
    /// project runs beside the original on the same networks. (A copy under a new name always gets new ones.)
    /// </summary>
    public bool NewMacAddresses { get; init; }

    /// <summary>The cluster member to restore onto (?target=); null: where the backup came from, if the cluster still has it.</summary>
    public string? TargetMember { get; init; }
}
