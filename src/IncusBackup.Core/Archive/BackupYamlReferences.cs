using YamlDotNet.RepresentationModel;

namespace IncusBackup.Archive;

/// <summary>
/// Knows where names of pools, networks, profiles, projects and the instance/volume itself sit in backup YAML.
/// backup.yaml and index.yaml's <c>config:</c> hold the same objects: container, snapshots, pool, profiles, volume,
/// volume_snapshots (VM backups use the <c>container</c> key too).
/// </summary>
internal static class BackupYamlReferences
{
    public static void VisitIndex(YamlMappingNode index, Action<ReferenceSite> visit)
    {
        VisitField(index, "name", ReferenceKind.Name, "index", "name", visit);
        VisitField(index, "pool", ReferenceKind.OwnPool, "index", "pool", visit);
        if (BackupYaml.Mapping(index, "config") is { } config) VisitBackupConfig(config, visit);
    }

    public static void VisitBackupConfig(YamlMappingNode config, Action<ReferenceSite> visit)
    {
        if (BackupYaml.Mapping(config, "container") is { } instance)
            VisitInstance(instance, $"instance {NameOf(instance)}", isSnapshot: false, visit);
        foreach (var snapshot in BackupYaml.Items<YamlMappingNode>(config, "snapshots"))
            VisitInstance(snapshot, $"snapshot {NameOf(snapshot)}", isSnapshot: true, visit);
        if (BackupYaml.Mapping(config, "pool") is { } pool)
            VisitField(pool, "name", ReferenceKind.OwnPool, "pool", "name", visit);
        foreach (var profile in BackupYaml.Items<YamlMappingNode>(config, "profiles"))
            VisitProfile(profile, visit);
        if (BackupYaml.Mapping(config, "volume") is { } volume)
            VisitVolume(volume, $"volume {NameOf(volume)}", isSnapshot: false, visit);
        foreach (var snapshot in BackupYaml.Items<YamlMappingNode>(config, "volume_snapshots"))
            VisitVolume(snapshot, $"volume snapshot {NameOf(snapshot)}", isSnapshot: true, visit);
    }

    private static void VisitInstance(YamlMappingNode instance, string owner, bool isSnapshot, Action<ReferenceSite> visit)
    {
        // A snapshot's name is its own ("s1"); the instance's name follows NewName.
        if (!isSnapshot) VisitField(instance, "name", ReferenceKind.Name, owner, "name", visit);
        VisitField(instance, "project", ReferenceKind.Project, owner, "project", visit);
        foreach (var profile in BackupYaml.Items<YamlScalarNode>(instance, "profiles"))
            visit(new ReferenceSite(ReferenceKind.Profile, owner, "profile", profile));
        VisitDevices(instance, "devices", owner, "device", ownsRootDisk: true, visit);
        VisitDevices(instance, "expanded_devices", owner, "expanded device", ownsRootDisk: true, visit);
    }

    private static void VisitProfile(YamlMappingNode profile, Action<ReferenceSite> visit)
    {
        string owner = $"profile {NameOf(profile)}";
        VisitField(profile, "name", ReferenceKind.Profile, owner, "name", visit);
        VisitField(profile, "project", ReferenceKind.Project, owner, "project", visit);
        // A profile's root disk is not where this instance lands, so only the pool map applies to it.
        VisitDevices(profile, "devices", owner, "device", ownsRootDisk: false, visit);
    }

    private static void VisitVolume(YamlMappingNode volume, string owner, bool isSnapshot, Action<ReferenceSite> visit)
    {
        if (!isSnapshot) VisitField(volume, "name", ReferenceKind.Name, owner, "name", visit);
        VisitField(volume, "pool", ReferenceKind.OwnPool, owner, "pool", visit);
        VisitField(volume, "project", ReferenceKind.Project, owner, "project", visit);
    }

    private static void VisitDevices(YamlMappingNode owner, string key, string ownerLabel, string deviceLabel, bool ownsRootDisk, Action<ReferenceSite> visit)
    {
        if (BackupYaml.Mapping(owner, key) is not { } devices) return;
        foreach (var (nameNode, deviceNode) in devices.Children)
        {
            if (deviceNode is not YamlMappingNode device) continue;
            string field = $"{deviceLabel} {(nameNode as YamlScalarNode)?.Value}";
            switch (BackupYaml.Text(device, "type"))
            {
                case "disk":
                    var poolKind = ownsRootDisk && IsRootDisk(device) ? ReferenceKind.OwnPool : ReferenceKind.Pool;
                    VisitField(device, "pool", poolKind, ownerLabel, $"{field}: pool", visit);
                    break;
                case "nic":
                    VisitField(device, "network", ReferenceKind.Network, ownerLabel, $"{field}: network", visit);
                    VisitField(device, "parent", ReferenceKind.NicParent, ownerLabel, $"{field}: parent", visit);
                    break;
            }
        }
    }

    // The root disk is the one mounted at "/" without a source (a custom volume cannot be the root).
    private static bool IsRootDisk(YamlMappingNode device) =>
        BackupYaml.Text(device, "path") == "/" && string.IsNullOrEmpty(BackupYaml.Text(device, "source"));

    private static void VisitField(YamlMappingNode parent, string key, ReferenceKind kind, string owner, string field, Action<ReferenceSite> visit)
    {
        if (BackupYaml.Scalar(parent, key) is { } node) visit(new ReferenceSite(kind, owner, field, node));
    }

    private static string NameOf(YamlMappingNode node) => BackupYaml.Text(node, "name") ?? "?";
}
