using System.Text.Json;
using System.Text.Json.Nodes;
using IncusBackup.Incus;

namespace IncusBackup.Config;

/// <summary>
/// Reads a server's declarative config into a <see cref="ConfigSnapshot"/>, keeping only what can be written
/// back: fields the server manages (used_by, status, locations, managed) and volatile.* keys are left out.
/// Profiles and networks are read in every project that has its own (features.profiles, features.networks); a
/// project without networks of its own takes along the default project's networks its NICs use; one project takes
/// only the storage pools it uses.
/// </summary>
public static class ConfigReader
{
    /// <param name="project">One project (its profiles and networks, and the project itself), or null for all.</param>
    /// <param name="alsoNetworks">
    /// Default-project networks to read with one project even when nothing uses them (yet): those a backup of the
    /// project holds, so that a comparison finds them whether or not the project is there.
    /// </param>
    /// <param name="alsoPools">Storage pools to read with one project even when it does not use them (yet), likewise.</param>
    public static async Task<ConfigSnapshot> ReadAsync(IIncusServer server, string? project, CancellationToken ct,
        IEnumerable<string>? alsoNetworks = null, IEnumerable<string>? alsoPools = null)
    {
        var resources = new List<ConfigResource>();
        var projects = (await server.Projects.ListObjectsAsync(ct).ConfigureAwait(false))
            .Where(p => project is null || Name(p) == project).ToList();
        foreach (var p in projects)
            resources.Add(new ConfigResource(ConfigKind.Project, null, Name(p), Keep(p, "name", "description", "config")));

        var pools = await server.StoragePools.ListObjectsAsync(ct).ConfigureAwait(false);

        foreach (var p in projects)
        {
            var name = Name(p);
            if (Owns(p, "features.networks"))
            {
                foreach (var network in await server.Networks.ListObjectsAsync(name, ct).ConfigureAwait(false))
                {
                    // A project lists the default project's networks too when it has none of its own.
                    if (network["managed"]?.GetValue<bool>() != true || (network["project"]?.GetValue<string>() ?? "default") != name) continue;
                    resources.Add(new ConfigResource(ConfigKind.Network, name, Name(network), Keep(network, "name", "type", "description", "config", "project")));
                }
            }
            if (Owns(p, "features.profiles"))
            {
                foreach (var profile in await server.Profiles.ListObjectsAsync(name, ct).ConfigureAwait(false))
                    resources.Add(new ConfigResource(ConfigKind.Profile, name, Name(profile), Keep(profile, "name", "description", "config", "devices", "project")));
            }
        }

        // One project takes the pools it uses, not every pool of the server: a rebuild of the project must not bring
        // back pools that other projects had and deleted since.
        var usedPools = project is null ? null
            : await UsedPoolsAsync(server, project, projects, resources, pools.Select(Name), alsoPools ?? [], ct).ConfigureAwait(false);
        foreach (var pool in pools.Where(p => usedPools is null || usedPools.Contains(Name(p))))
            resources.Add(new ConfigResource(ConfigKind.StoragePool, null, Name(pool), Keep(pool, "name", "driver", "description", "config")));

        if (project is not null && project != "default" && !projects.Any(p => Owns(p, "features.networks")))
            resources.AddRange(await SharedNetworksAsync(server, project, projects.Count > 0, resources, alsoNetworks ?? [], ct).ConfigureAwait(false));

        if (project is null)
        {
            var info = await server.GetServerAsync(ct).ConfigureAwait(false);
            var config = new JsonObject();
            foreach (var key in ConfigSnapshot.ServerKeys)
            {
                if (info.Config?.TryGetValue(key, out var value) == true && value.ValueKind == JsonValueKind.String)
                    config[key] = value.GetString();
            }
            resources.Add(new ConfigResource(ConfigKind.Server, null, "server", new JsonObject { ["config"] = config }));
        }
        if ((await server.GetServerAsync(ct).ConfigureAwait(false)).Environment.ServerClustered)
            resources = await MemberConfig.AddAsync(server, resources, ct).ConfigureAwait(false);
        return new ConfigSnapshot(resources);
    }

    /// <summary>
    /// The default project's managed networks that one project's profiles and instances plug into, when that project
    /// has no networks of its own: a project backup is meant to rebuild the project, and its NICs need them.
    /// </summary>
    private static async Task<IEnumerable<ConfigResource>> SharedNetworksAsync(IIncusServer server, string project, bool exists,
        List<ConfigResource> read, IEnumerable<string> alsoNetworks, CancellationToken ct)
    {
        var used = new HashSet<string>(alsoNetworks, StringComparer.Ordinal);
        foreach (var profile in read.Where(r => r.Kind == ConfigKind.Profile))
        {
            foreach (var (_, device) in profile.Body["devices"] as JsonObject ?? [])
                if (device?["type"]?.GetValue<string>() == "nic" && device["network"]?.GetValue<string>() is { Length: > 0 } network) used.Add(network);
        }
        foreach (var instance in exists ? await server.Instances.ListAsync(project, ct).ConfigureAwait(false) : [])
        {
            foreach (var (_, device) in instance.ExpandedDevices ?? instance.Devices)
                if (device.GetValueOrDefault("type") == "nic" && device.GetValueOrDefault("network") is { Length: > 0 } network) used.Add(network);
        }
        if (used.Count == 0) return [];
        return (await server.Networks.ListObjectsAsync("default", ct).ConfigureAwait(false))
            .Where(n => n["managed"]?.GetValue<bool>() == true && used.Contains(Name(n)))
            .Select(n => new ConfigResource(ConfigKind.Network, "default", Name(n), Keep(n, "name", "type", "description", "config", "project")));
    }

    /// <summary>
    /// The pools one project uses: the disks of its profiles (the default project's, when it has none of its own) and
    /// of its instances, and the pools that hold its custom volumes.
    /// </summary>
    private static async Task<HashSet<string>> UsedPoolsAsync(IIncusServer server, string project, List<JsonObject> projects,
        List<ConfigResource> read, IEnumerable<string> allPools, IEnumerable<string> alsoPools, CancellationToken ct)
    {
        var used = new HashSet<string>(alsoPools, StringComparer.Ordinal);
        if (projects.Count == 0) return used;
        var profiles = read.Where(r => r.Kind == ConfigKind.Profile).Select(r => r.Body).ToList();
        if (!Owns(projects[0], "features.profiles")) profiles = await server.Profiles.ListObjectsAsync("default", ct).ConfigureAwait(false);
        foreach (var profile in profiles)
        {
            foreach (var (_, device) in profile["devices"] as JsonObject ?? [])
                if (device?["type"]?.GetValue<string>() == "disk" && device["pool"]?.GetValue<string>() is { Length: > 0 } pool) used.Add(pool);
        }
        foreach (var instance in await server.Instances.ListAsync(project, ct).ConfigureAwait(false))
        {
            foreach (var (_, device) in instance.ExpandedDevices ?? instance.Devices)
                if (device.GetValueOrDefault("type") == "disk" && device.GetValueOrDefault("pool") is { Length: > 0 } pool) used.Add(pool);
        }
        foreach (var pool in allPools.Where(p => !used.Contains(p)))
        {
            if ((await server.StorageVolumes.ListCustomAsync(project, pool, ct).ConfigureAwait(false)).Count > 0) used.Add(pool);
        }
        return used;
    }

    /// <summary>The default project owns everything; another project owns its profiles or networks when the feature is on.</summary>
    private static bool Owns(JsonObject project, string feature) =>
        Name(project) == "default" || project["config"]?[feature]?.GetValue<string>() == "true";

    private static string Name(JsonObject o) => o["name"]?.GetValue<string>() ?? "";

    /// <summary>The named fields of an object, with volatile.* keys dropped from its config.</summary>
    private static JsonObject Keep(JsonObject source, params string[] fields)
    {
        var kept = new JsonObject();
        foreach (var field in fields)
        {
            if (source[field] is not { } value) continue;
            if (field == "config" && value is JsonObject config)
            {
                var clean = new JsonObject();
                foreach (var (key, v) in config)
                    if (!key.StartsWith("volatile.", StringComparison.Ordinal)) clean[key] = v?.DeepClone();
                kept[field] = clean;
            }
            else
            {
                kept[field] = value.DeepClone();
            }
        }
        return kept;
    }
}
