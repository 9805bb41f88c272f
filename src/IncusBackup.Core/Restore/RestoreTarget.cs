namespace IncusBackup.Restore;

/// <summary>
/// Where a backup is restored to, after mappings and -NewName: the project, the pool (volumes; an instance's root
/// pool when mapped), the name, and on a cluster the member it lands on (null: standalone, or the cluster chooses).
/// </summary>
public sealed record RestoreTarget(BackupKind Kind, string Project, string? Pool, string Name, string? Member = null)
{
    /// <summary>" on member m" for step descriptions on a cluster, else empty.</summary>
    public string OnMember => Member is null ? "" : $" on member {Member}";

    /// <summary>The same place under another name (the temporary upload, the set-aside original).</summary>
    public RestoreTarget Named(string name) => this with { Name = name };

    /// <summary>project/name for instances, project/pool/name for volumes.</summary>
    public override string ToString() => Kind == BackupKind.Volume ? $"{Project}/{Pool}/{Name}" : $"{Project}/{Name}";
}
