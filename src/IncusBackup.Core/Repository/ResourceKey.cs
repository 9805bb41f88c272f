namespace IncusBackup.Repository;

/// <summary>What a backup is of: its kind, project, pool (volumes) and name. Every version of one resource shares it.</summary>
public sealed record ResourceKey(BackupKind Kind, string Project, string? Pool, string Name)
{
    public override string ToString() => $"{Project}/{(Kind == BackupKind.Volume ? Pool + "/" : "")}{Name}";
}
