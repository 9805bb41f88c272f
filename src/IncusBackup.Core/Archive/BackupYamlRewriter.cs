using YamlDotNet.RepresentationModel;

namespace IncusBackup.Archive;

/// <summary>Applies a <see cref="RestoreMapping"/> to index.yaml or a backup.yaml.</summary>
internal static class BackupYamlRewriter
{
    /// <summary>The rewritten index.yaml, or null when the mapping changes nothing in it.</summary>
    public static string? RewriteIndex(string yaml, RestoreMapping mapping, ChangeList changes) =>
        Rewrite(yaml, BackupIndex.EntryPath, BackupYamlReferences.VisitIndex, mapping, changes);

    /// <summary>The rewritten backup.yaml (instance or snapshot), or null when the mapping changes nothing in it.</summary>
    public static string? RewriteBackupConfig(string yaml, string entryPath, RestoreMapping mapping, ChangeList changes) =>
        Rewrite(yaml, entryPath, BackupYamlReferences.VisitBackupConfig, mapping, changes);

    private static string? Rewrite(
        string yaml, string entryPath, Action<YamlMappingNode, Action<ReferenceSite>> visitReferences, RestoreMapping mapping, ChangeList changes)
    {
        var root = BackupYaml.Load(yaml, entryPath);
        bool changed = false;
        visitReferences(root, site =>
        {
            string current = site.Node.Value ?? "";
            if (current.Length == 0) return;
            string updated = mapping.Resolve(site.Kind, current);
            if (updated == current) return;
            BackupYaml.SetText(site.Node, updated);
            changes.Add($"{site.Owner}: {site.Field} {current} -> {updated}");
            changed = true;
        });
        // Unchanged files are passed through as they were, not re-serialised.
        return changed ? BackupYaml.Save(root) : null;
    }
}
