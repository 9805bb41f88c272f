using System.Text.Json.Nodes;
using IncusBackup.Errors;
using IncusBackup.Incus;

namespace IncusBackup.Config;

/// <summary>
/// Makes the server's config what a backup holds, one resource at a time in dependency order (projects, pools,
/// networks, profiles, server keys): creates what is missing, updates what differs (PUT with the ETag just read,
/// so a change made meanwhile is not overwritten), never deletes what only the server has. A resource that fails
/// is reported and what depends on it is skipped; the others go on.
/// </summary>
public sealed class ConfigApplier(IIncusServer server)
{
    /// <summary>Applies one comparison (Create or Update); returns null when done, else why not.</summary>
    public async Task<string?> ApplyAsync(ConfigComparison comparison, ISet<string> failed, CancellationToken ct)
    {
        var desired = comparison.Desired;
        if (desired is null || comparison.Change.Action is ConfigAction.Unchanged or ConfigAction.Extra) return null;
        if (BlockedBy(desired, failed) is { } blocker) return $"skipped: {blocker} could not be restored";
        try
        {
            // GET first, for a Create too (docs/incus-api.md §6): what is there by now, such as the default profile
            // Incus makes with a project just created, is updated; creating it would fail with "already exists".
            var (current, etag) = await server.Config.GetAsync(desired.Kind, desired.Project, desired.Name, ct).ConfigureAwait(false);
            if (comparison.Change.Action == ConfigAction.Create && current is null)
                await CreateAsync(desired, ct).ConfigureAwait(false);
            else
                await server.Config.UpdateAsync(desired.Kind, desired.Project, desired.Name, UpdateBody(desired, current), etag, ct).ConfigureAwait(false);
            return null;
        }
        catch (IncusBackupException e)
        {
            failed.Add(Label(desired));
            return e.Message;
        }
    }

    /// <summary>
    /// Creates a resource. On a cluster, a pool or network (but an OVN network, which has no member keys) is first
    /// defined on every current member with that member's keys: those the backup holds for it, else the member keys
    /// of a standalone server's backup, else none; then it is created for the whole cluster with the global keys
    /// (Incus refuses the last step while a member lacks its definition). On a standalone server, the keys of the
    /// backup's member of the same name, if any, join the config.
    /// </summary>
    private async Task CreateAsync(ConfigResource desired, CancellationToken ct)
    {
        var perMember = MemberConfig.Of(desired);
        var body = CreateBody(desired);
        var config = body["config"] as JsonObject ?? [];
        var info = await server.GetServerAsync(ct).ConfigureAwait(false);
        if (info.Environment.ServerClustered && MemberConfig.IsPerMember(desired))
        {
            var ownKeys = MemberConfig.TakeMemberKeys(desired.Kind, config);
            foreach (var member in await server.Cluster.ListMembersAsync(ct).ConfigureAwait(false))
            {
                var keys = perMember.FirstOrDefault(m => m.Member == member.ServerName).Keys ?? ownKeys;
                var pending = new JsonObject { ["name"] = desired.Name, ["config"] = keys.DeepClone() };
                foreach (var field in new[] { "driver", "type" })
                    if (desired.Body[field] is { } value) pending[field] = value.DeepClone();
                await server.UseTarget(member.ServerName).Config.CreateAsync(desired.Kind, desired.Project, pending, ct).ConfigureAwait(false);
            }
        }
        else if (perMember.FirstOrDefault(m => m.Member == info.Environment.ServerName) is { Keys: { } own })
        {
            foreach (var (key, value) in own) config[key] = value?.DeepClone();
        }
        body["config"] = config;
        await server.Config.CreateAsync(desired.Kind, desired.Project, body, ct).ConfigureAwait(false);
    }

    /// <summary>The project, pool or network a resource needs, when restoring it failed.</summary>
    private static string? BlockedBy(ConfigResource resource, ISet<string> failed)
    {
        if (resource.Project is { } project && failed.Contains($"project {project}")) return $"project {project}";
        if (resource.Body["devices"] is not JsonObject devices) return null;
        foreach (var (_, device) in devices)
        {
            if (device is not JsonObject d) continue;
            if (d["pool"]?.GetValue<string>() is { } pool && failed.Contains($"storage pool {pool}")) return $"storage pool {pool}";
            // A project without features.networks uses the default project's networks. Which one a NIC means is not
            // known here, so a failure of either blocks it: at worst a profile is skipped with a clear message.
            foreach (var key in new[] { "network", "parent" })
            {
                if (d[key]?.GetValue<string>() is { } network &&
                    (failed.Contains($"network {resource.Project}/{network}") || failed.Contains($"network default/{network}")))
                    return $"network {network}";
            }
        }
        return null;
    }

    private static string Label(ConfigResource r) => r.Kind switch
    {
        ConfigKind.Project => $"project {r.Name}",
        ConfigKind.StoragePool => $"storage pool {r.Name}",
        ConfigKind.Network => $"network {r.Project}/{r.Name}",
        ConfigKind.Profile => $"profile {r.Project}/{r.Name}",
        _ => "server",
    };

    /// <summary>The backup's body without the project (it goes in the query string).</summary>
    internal static JsonObject CreateBody(ConfigResource desired)
    {
        var body = (JsonObject)desired.Body.DeepClone();
        body.Remove("project");
        body.Remove(MemberConfig.Field);
        return body;
    }

    /// <summary>
    /// What PUT takes: description, config (whole: a project's config is replaced, not merged) and a profile's
    /// devices. The server's keys are PATCHed: the backup's values, and "" for a key it does not have (removes it).
    /// </summary>
    internal static JsonObject UpdateBody(ConfigResource desired, JsonObject? current)
    {
        if (desired.Kind == ConfigKind.Server)
        {
            var keys = new JsonObject();
            var want = desired.Map("config");
            foreach (var key in ConfigSnapshot.ServerKeys)
            {
                var have = current?["config"]?[key]?.ToString();
                if (want.TryGetValue(key, out var value)) { if (value != have) keys[key] = value; }
                else if (!string.IsNullOrEmpty(have)) keys[key] = "";
            }
            return new JsonObject { ["config"] = keys };
        }
        var config = desired.Body["config"]?.DeepClone() as JsonObject ?? new JsonObject();
        // volatile.* keys are the server's own (a backup leaves them out): keep what the server has.
        foreach (var (key, value) in current?["config"] as JsonObject ?? [])
            if (key.StartsWith("volatile.", StringComparison.Ordinal)) config[key] = value?.DeepClone();
        var body = new JsonObject
        {
            ["description"] = desired.Body["description"]?.DeepClone() ?? "",
            ["config"] = config,
        };
        if (desired.Kind == ConfigKind.Profile) body["devices"] = desired.Body["devices"]?.DeepClone() ?? new JsonObject();
        return body;
    }
}
