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
        if (mapping.NewMacAddresses) changed |= DropMacAddresses(root, changes);
        // Unchanged files are passed through as they were, not re-serialised.
        return changed ? BackupYaml.Save(root) : null;
    }

    private static bool DropMacAddresses(YamlMappingNode root, ChangeList changes)
    {
        // backup.yaml holds the objects at the top; index.yaml under config:.
        var objects = BackupYaml.Mapping(root, "config") ?? root;
        var owners = BackupYaml.Items<YamlMappingNode>(objects, "snapshots").Select(s => (Label: "snapshot", Node: s)).ToList();
        if (BackupYaml.Mapping(objects, "container") is { } instance) owners.Insert(0, ("instance", instance));
        var dropped = false;
        foreach (var (label, owner) in owners)
        {
            foreach (var section in new[] { "config", "expanded_config" })
            {
                if (BackupYaml.Mapping(owner, section) is not { } config) continue;
                var macKeys = config.Children.Keys.OfType<YamlScalarNode>()
                    .Where(k => k.Value is { } key && key.StartsWith("volatile.", StringComparison.Ordinal) && key.EndsWith(".hwaddr", StringComparison.Ordinal))
                    .ToList();
                foreach (var key in macKeys)
                {
                    config.Children.Remove(key);
                    if (section == "config") changes.Add($"{label} {BackupYaml.Text(owner, "name")}: {key.Value} dropped (a copy gets a MAC address of its own)");
                    dropped = true;
                }
            }
        }
        return dropped;
    }
}
