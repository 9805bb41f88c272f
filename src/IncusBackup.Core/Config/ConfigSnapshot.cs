using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IncusBackup.Errors;

namespace IncusBackup.Config;

/// <summary>
/// A server's declarative config at one moment: projects, storage pools, managed networks, profiles and the
/// server keys that matter for rebuilding a host. It is written as the spec's files (projects.json,
/// storage_pools.json, networks.json, profiles.json, server.json): sorted, indented JSON a person can read and diff.
/// </summary>
public sealed class ConfigSnapshot
{
    public static readonly IReadOnlyDictionary<ConfigKind, string> FileNames = new Dictionary<ConfigKind, string>
    {
        [ConfigKind.Project] = "projects.json",
        [ConfigKind.StoragePool] = "storage_pools.json",
        [ConfigKind.Network] = "networks.json",
        [ConfigKind.Profile] = "profiles.json",
        [ConfigKind.Server] = "server.json",
    };

    /// <summary>Server keys worth restoring on a rebuilt host (docs/incus-api.md §6).</summary>
    public static readonly IReadOnlyList<string> ServerKeys =
        ["backups.compression_algorithm", "images.compression_algorithm", "storage.backups_volume", "storage.images_volume", "core.https_address"];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public ConfigSnapshot(IEnumerable<ConfigResource> resources) =>
        Resources = [.. resources.OrderBy(r => r.Kind).ThenBy(r => r.Project, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)];

    /// <summary>Everything, in the order a restore applies it.</summary>
    public IReadOnlyList<ConfigResource> Resources { get; }

    /// <summary>The files of a backup, by name, as UTF-8 JSON.</summary>
    public IReadOnlyDictionary<string, byte[]> ToFiles()
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (kind, name) in FileNames)
        {
            JsonNode document = kind == ConfigKind.Server
                ? Sorted(Resources.FirstOrDefault(r => r.Kind == ConfigKind.Server)?.Body ?? new JsonObject { ["config"] = new JsonObject() })
                : new JsonArray([.. Resources.Where(r => r.Kind == kind).Select(r => Sorted(r.Body))]);
            files[name] = Encoding.UTF8.GetBytes(document.ToJsonString(Indented) + "\n");
        }
        return files;
    }

    /// <summary>Reads the files of a backup back; a file that is not what the backup wrote is ManifestInvalid.</summary>
    public static ConfigSnapshot FromFiles(Func<string, byte[]> read, string where)
    {
        var resources = new List<ConfigResource>();
        foreach (var (kind, name) in FileNames)
        {
            JsonNode? document;
            try
            {
                document = JsonNode.Parse(read(name));
            }
            catch (JsonException e)
            {
                throw new IncusBackupException(ErrorIds.ManifestInvalid, ErrorKind.InvalidData, $"{name} of {where} is not valid JSON: {e.Message}", where, inner: e);
            }
            if (kind == ConfigKind.Server)
            {
                // A backup of one project has no server keys; neither has a server that sets none.
                if (document is JsonObject server && server["config"] is JsonObject { Count: > 0 })
                    resources.Add(new ConfigResource(ConfigKind.Server, null, "server", server));
                continue;
            }
            if (document is not JsonArray items)
                throw new IncusBackupException(ErrorIds.ManifestInvalid, ErrorKind.InvalidData, $"{name} of {where} is not a JSON array.", where);
            foreach (var item in items)
            {
                if (item is not JsonObject body || !TryText(body["name"], out var resourceName))
                    throw new IncusBackupException(ErrorIds.ManifestInvalid, ErrorKind.InvalidData, $"{name} of {where} holds an entry without a name.", where);
                resources.Add(new ConfigResource(kind, kind is ConfigKind.Profile or ConfigKind.Network ? (TryText(body["project"], out var p) ? p : "default") : null,
                    resourceName, body));
            }
        }
        return new ConfigSnapshot(resources);
    }

    private static bool TryText(JsonNode? node, out string text)
    {
        text = "";
        return node is JsonValue value && value.TryGetValue(out text!);
    }

    /// <summary>A copy with object keys in ordinal order, so two snapshots of the same config are the same bytes.</summary>
    internal static JsonObject Sorted(JsonObject value)
    {
        var sorted = new JsonObject();
        foreach (var (key, node) in value.OrderBy(p => p.Key, StringComparer.Ordinal))
            sorted[key] = node is JsonObject inner ? Sorted(inner) : node?.DeepClone();
        return sorted;
    }
}
