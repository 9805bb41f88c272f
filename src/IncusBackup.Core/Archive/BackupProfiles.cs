using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace IncusBackup.Archive;

/// <summary>
/// The profiles an instance backup recorded (index.yaml's config.profiles: each with its config and devices as they
/// were when the backup was taken), as the bodies that create them again through the API.
/// </summary>
public static class BackupProfiles
{
    /// <exception cref="InvalidDataException">index.yaml is not YAML.</exception>
    public static IReadOnlyList<JsonObject> Read(BackupIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var root = BackupYaml.Load(index.RawYaml, BackupIndex.EntryPath);
        if (BackupYaml.Mapping(root, "config") is not { } config) return [];
        return [.. BackupYaml.Items<YamlMappingNode>(config, "profiles")
            .Where(profile => BackupYaml.Text(profile, "name") is { Length: > 0 })
            .Select(profile => new JsonObject
            {
                ["name"] = BackupYaml.Text(profile, "name"),
                ["description"] = BackupYaml.Text(profile, "description") ?? "",
                ["config"] = Strings(BackupYaml.Mapping(profile, "config")),
                ["devices"] = Devices(BackupYaml.Mapping(profile, "devices")),
            })];
    }

    private static JsonObject Devices(YamlMappingNode? devices)
    {
        var result = new JsonObject();
        if (devices is null) return result;
        foreach (var (key, value) in devices.Children)
        {
            if (key is YamlScalarNode { Value: { } name } && value is YamlMappingNode device) result[name] = Strings(device);
        }
        return result;
    }

    private static JsonObject Strings(YamlMappingNode? mapping)
    {
        var result = new JsonObject();
        if (mapping is null) return result;
        foreach (var (key, value) in mapping.Children)
        {
            if (key is YamlScalarNode { Value: { } name } && value is YamlScalarNode scalar) result[name] = scalar.Value ?? "";
        }
        return result;
    }
}
