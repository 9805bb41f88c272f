namespace IncusBackup.Archive;

/// <summary>What <see cref="ArchiveRewriter"/> changes in the YAML of a backup; every other entry passes through untouched.</summary>
internal interface IArchiveEdit
{
    /// <summary>False when the edit leaves every file as it was (an optimized backup is then not warned about).</summary>
    bool ChangesAnything { get; }

    /// <summary>The new index.yaml, or null to keep it.</summary>
    string? EditIndex(string yaml, ChangeList changes);

    /// <summary>The new backup.yaml of the instance or of one of its snapshots (<paramref name="entryPath"/> says which), or null to keep it.</summary>
    string? EditBackupConfig(string yaml, string entryPath, ChangeList changes);
}

/// <summary>A restore's <see cref="RestoreMapping"/> as an archive edit.</summary>
internal sealed class MappingEdit(RestoreMapping mapping) : IArchiveEdit
{
    public bool ChangesAnything => mapping.ChangesAnything;

    public string? EditIndex(string yaml, ChangeList changes) => BackupYamlRewriter.RewriteIndex(yaml, mapping, changes);

    public string? EditBackupConfig(string yaml, string entryPath, ChangeList changes) =>
        BackupYamlRewriter.RewriteBackupConfig(yaml, entryPath, mapping, changes);
}
