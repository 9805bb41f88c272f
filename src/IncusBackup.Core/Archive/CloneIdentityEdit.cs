using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace IncusBackup.Archive;

/// <summary>
/// What makes an instance or volume itself rather than a copy of it: a copy gets a new name, creation time and
/// regenerated volatile.* keys (MAC addresses, cloud-init instance id, uuids), and volatile.apply_template=copy.
/// </summary>
internal sealed record CloneIdentity(
    string Name,
    string? Description,
    IReadOnlyDictionary<string, string> Config,
    IReadOnlyDictionary<string, string>? ExpandedConfig,
    bool? Ephemeral,
    DateTimeOffset CreatedAt)
{
    /// <summary>An instance's root volume: its config and creation time (a copy's are its own).</summary>
    public (IReadOnlyDictionary<string, string> Config, DateTimeOffset CreatedAt)? RootVolume { get; init; }
}

/// <summary>
/// Turns the export of a temporary copy (Snapshot consistency) back into the export of its original: index.yaml and
/// the instance's backup.yaml get the original's name and identity, so a restore cannot tell it from a direct
/// export. The snapshots' own backup.yaml files are the original's already (a copy carries them over as they are).
/// </summary>
internal sealed class CloneIdentityEdit(CloneIdentity original) : IArchiveEdit
{
    private static readonly HashSet<string> InstanceConfigPaths = ["backup/container/backup.yaml", "backup/virtual-machine/backup.yaml"];

    public bool ChangesAnything => true;

    public string? EditIndex(string yaml, ChangeList changes)
    {
        var root = BackupYaml.Load(yaml, BackupIndex.EntryPath);
        Rename(root, changes, BackupIndex.EntryPath);
        if (BackupYaml.Mapping(root, "config") is { } objects) ApplyTo(objects, changes, BackupIndex.EntryPath);
        return BackupYaml.Save(root);
    }

    public string? EditBackupConfig(string yaml, string entryPath, ChangeList changes)
    {
        if (!InstanceConfigPaths.Contains(entryPath)) return null;
        var root = BackupYaml.Load(yaml, entryPath);
        ApplyTo(root, changes, entryPath);
        return BackupYaml.Save(root);
    }

    /// <summary>The instance (container:) and its root volume (volume:), or the custom volume (volume:).</summary>
    private void ApplyTo(YamlMappingNode objects, ChangeList changes, string entryPath)
    {
        if (BackupYaml.Mapping(objects, "container") is { } instance)
        {
            SetIdentity(instance, changes, entryPath);
            if (BackupYaml.Mapping(objects, "volume") is { } rootVolume)
            {
                Rename(rootVolume, changes, entryPath);
                if (original.RootVolume is { } own)
                {
                    rootVolume.Children[new YamlScalarNode("config")] = MapOf(own.Config);
                    SetScalar(rootVolume, "created_at", Timestamp(own.CreatedAt));
                }
            }
        }
        else if (BackupYaml.Mapping(objects, "volume") is { } volume)
        {
            SetIdentity(volume, changes, entryPath);
        }
    }

    private void SetIdentity(YamlMappingNode node, ChangeList changes, string entryPath)
    {
        Rename(node, changes, entryPath);
        SetScalar(node, "description", original.Description ?? "");
        SetScalar(node, "created_at", Timestamp(original.CreatedAt));
        node.Children[new YamlScalarNode("config")] = MapOf(original.Config);
        if (original.ExpandedConfig is not null && node.Children.ContainsKey("expanded_config"))
            node.Children[new YamlScalarNode("expanded_config")] = MapOf(original.ExpandedConfig);
        if (original.Ephemeral is { } ephemeral && node.Children.ContainsKey("ephemeral"))
            node.Children[new YamlScalarNode("ephemeral")] = new YamlScalarNode(ephemeral ? "true" : "false");
        changes.Add($"{entryPath}: identity of {original.Name} (config, created_at, description)");
    }

    private static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private void Rename(YamlMappingNode node, ChangeList changes, string entryPath)
    {
        if (BackupYaml.Scalar(node, "name") is not { } name || name.Value == original.Name) return;
        changes.Add($"{entryPath}: name {name.Value} -> {original.Name}");
        BackupYaml.SetText(name, original.Name);
    }

    private static void SetScalar(YamlMappingNode node, string key, string value)
    {
        var scalar = new YamlScalarNode(value);
        BackupYaml.SetText(scalar, value);
        node.Children[new YamlScalarNode(key)] = scalar;
    }

    /// <summary>A string map as Go's yaml.v2 writes it: sorted keys, every value a string (quoted where plain would not be one).</summary>
    private static YamlMappingNode MapOf(IReadOnlyDictionary<string, string> values)
    {
        var map = new YamlMappingNode();
        foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var scalar = new YamlScalarNode(value);
            BackupYaml.SetText(scalar, value);
            map.Add(new YamlScalarNode(key), scalar);
        }
        return map;
    }
}
