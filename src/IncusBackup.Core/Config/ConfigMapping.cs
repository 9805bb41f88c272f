using System.Text.Json.Nodes;

namespace IncusBackup.Config;

/// <summary>
/// Renames what a config backup refers to before it is compared and applied: projects (the project resources
/// and the project of profiles and networks), storage pools (pool resources and profile disks), networks
/// (network resources and profile NICs' network and parent) and profiles.
/// </summary>
public static class ConfigMapping
{
    public static ConfigSnapshot Apply(ConfigSnapshot snapshot, IReadOnlyDictionary<string, string> projects, IReadOnlyDictionary<string, string> pools,
        IReadOnlyDictionary<string, string> networks, IReadOnlyDictionary<string, string> profiles)
    {
        string Map(IReadOnlyDictionary<string, string> map, string value) => map.TryGetValue(value, out var mapped) ? mapped : value;
        var result = new List<ConfigResource>();
        foreach (var resource in snapshot.Resources)
        {
            var body = (JsonObject)resource.Body.DeepClone();
            var project = resource.Project is null ? null : Map(projects, resource.Project);
            if (project is not null) body["project"] = project;
            var name = resource.Kind switch
            {
                ConfigKind.Project => Map(projects, resource.Name),
                ConfigKind.StoragePool => Map(pools, resource.Name),
                ConfigKind.Network => Map(networks, resource.Name),
                ConfigKind.Profile => Map(profiles, resource.Name),
                _ => resource.Name,
            };
            if (resource.Kind != ConfigKind.Server) body["name"] = name;
            if (body["devices"] is JsonObject devices)
            {
                foreach (var (_, device) in devices)
                {
                    if (device is not JsonObject d) continue;
                    foreach (var (key, map) in new[] { ("pool", pools), ("network", networks), ("parent", networks) })
                        if (d[key]?.GetValue<string>() is { } value) d[key] = Map(map, value);
                }
            }
            result.Add(resource with { Project = project, Name = name, Body = body });
        }
        return new ConfigSnapshot(result);
    }
}
