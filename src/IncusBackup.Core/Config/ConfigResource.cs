using System.Text.Json.Nodes;

namespace IncusBackup.Config;

/// <summary>
/// One piece of declarative config as a backup keeps it: its kind, its project (profiles and networks; null for
/// projects, pools and the server), its name, and its writable fields as the API spells them (config,
/// description, devices, type, driver), with what the server manages itself left out.
/// </summary>
public sealed record ConfigResource(ConfigKind Kind, string? Project, string Name, JsonObject Body)
{
    /// <summary>kind:project/name, for messages and matching.</summary>
    public string Key => $"{Kind}:{(Project is null ? "" : Project + "/")}{Name}";

    /// <summary>A string map of the body ("config"), empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Map(string field) =>
        Body[field] is JsonObject map
            ? map.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal)
            : new Dictionary<string, string>();

    public string? Text(string field) => Body[field]?.GetValue<string>();

    public override string ToString() => Project is null ? $"{Kind} {Name}" : $"{Kind} {Project}/{Name}";
}
