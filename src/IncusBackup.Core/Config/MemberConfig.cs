using System.Text.Json.Nodes;
using IncusBackup.Incus;

namespace IncusBackup.Config;

/// <summary>
/// The config keys of a storage pool or network that differ per cluster member (docs/incus-api.md §6): a GET without
/// ?target= leaves them out, so a backup reads them member by member into the body's "member_config"
/// ({ member: { key: value } }); a restore that creates the resource on a cluster first creates it on each member
/// with that member's keys (it goes "Pending"), then once for the whole cluster with the global keys.
/// </summary>
public static class MemberConfig
{
    /// <summary>The body field that holds the keys per member.</summary>
    public const string Field = "member_config";

    private static readonly HashSet<string> PoolKeys =
        ["size", "source", "source.wipe", "zfs.pool_name", "lvm.thinpool_name", "lvm.vg_name", "lvm.vg.force_reuse"];

    private static readonly HashSet<string> NetworkKeys =
        ["bgp.ipv4.nexthop", "bgp.ipv6.nexthop", "bridge.external_interfaces", "parent"];

    public static bool IsMemberKey(ConfigKind kind, string key) => kind switch
    {
        ConfigKind.StoragePool => PoolKeys.Contains(key),
        ConfigKind.Network => NetworkKeys.Contains(key),
        _ => false,
    };

    /// <summary>Removes the member keys of <paramref name="kind"/> from <paramref name="config"/> and returns them (null values left out).</summary>
    public static JsonObject TakeMemberKeys(ConfigKind kind, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var taken = new JsonObject();
        foreach (var key in config.Select(p => p.Key).Where(k => IsMemberKey(kind, k)).ToList())
        {
            if (config[key] is { } value) taken[key] = value.DeepClone();
            config.Remove(key);
        }
        return taken;
    }

    /// <summary>Whether a cluster defines it member by member: every storage pool, and every network but OVN.</summary>
    public static bool IsPerMember(ConfigResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource.Kind == ConfigKind.StoragePool || (resource.Kind == ConfigKind.Network && resource.Text("type") != "ovn");
    }

    /// <summary>Adds each member's keys to every pool and network read from a clustered server.</summary>
    public static async Task<List<ConfigResource>> AddAsync(IIncusServer server, List<ConfigResource> resources, CancellationToken ct)
    {
        // An offline member cannot answer for its keys; it is left out (a restore then creates nothing there).
        var members = (await server.Cluster.ListMembersAsync(ct).ConfigureAwait(false))
            .Where(m => m.Status != "Offline").Select(m => m.ServerName).ToList();
        var result = new List<ConfigResource>(resources.Count);
        foreach (var resource in resources)
        {
            if (!IsPerMember(resource))
            {
                result.Add(resource);
                continue;
            }
            var body = (JsonObject)resource.Body.DeepClone();
            var perMember = new JsonObject();
            foreach (var member in members)
            {
                var (value, _) = await server.UseTarget(member).Config.GetAsync(resource.Kind, resource.Project, resource.Name, ct).ConfigureAwait(false);
                perMember[member] = TakeMemberKeys(resource.Kind, value?["config"] as JsonObject ?? []);
            }
            // The global view leaves them out already; a member's value never belongs in the cluster-wide config.
            if (body["config"] is JsonObject config) TakeMemberKeys(resource.Kind, config);
            body[Field] = perMember;
            result.Add(resource with { Body = body });
        }
        return result;
    }

    /// <summary>The keys per member a backup holds for a resource; empty for one from a standalone server.</summary>
    public static IReadOnlyList<(string Member, JsonObject Keys)> Of(ConfigResource resource) =>
        resource.Body[Field] is JsonObject perMember
            ? [.. perMember.Where(p => p.Value is JsonObject).Select(p => (p.Key, (JsonObject)p.Value!))]
            : [];
}
