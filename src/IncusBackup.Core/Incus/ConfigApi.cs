using System.Text.Json.Nodes;
using IncusBackup.Config;

namespace IncusBackup.Incus;

/// <summary>
/// Writing declarative config: projects, storage pools, networks, profiles (create, and update with the ETag
/// the server gave) and the server's own keys (docs/incus-api.md §6).
/// </summary>
public interface IConfigApi
{
    /// <summary>The resource with its ETag, or (null, null) when the server does not have it.</summary>
    Task<(JsonObject? Value, string? ETag)> GetAsync(ConfigKind kind, string? project, string name, CancellationToken ct);

    /// <summary>Creates it from a body holding its name and writable fields.</summary>
    Task CreateAsync(ConfigKind kind, string? project, JsonObject body, CancellationToken ct);

    /// <summary>Replaces its writable fields (PUT; a project's config is replaced whole, as Incus requires).</summary>
    Task UpdateAsync(ConfigKind kind, string? project, string name, JsonObject body, string? etag, CancellationToken ct);
}

internal sealed class ConfigApi(IncusTransport transport) : IConfigApi
{
    public Task<(JsonObject? Value, string? ETag)> GetAsync(ConfigKind kind, string? project, string name, CancellationToken ct) =>
        kind == ConfigKind.Server
            ? transport.GetObjectWithETagAsync("/1.0", ct)
            : transport.GetObjectWithETagAsync(ItemPath(kind, project, name), ct);

    public Task CreateAsync(ConfigKind kind, string? project, JsonObject body, CancellationToken ct) =>
        transport.SendObjectAsync(HttpMethod.Post, CollectionPath(kind, project), body, null, ct);

    public Task UpdateAsync(ConfigKind kind, string? project, string name, JsonObject body, string? etag, CancellationToken ct) =>
        kind == ConfigKind.Server
            ? transport.SendObjectAsync(HttpMethod.Patch, "/1.0", body, etag, ct)
            : transport.SendObjectAsync(HttpMethod.Put, ItemPath(kind, project, name), body, etag, ct);

    private static string CollectionPath(ConfigKind kind, string? project) => kind switch
    {
        ConfigKind.Project => "/1.0/projects",
        ConfigKind.StoragePool => "/1.0/storage-pools",
        ConfigKind.Network => IncusPath.Scoped("/1.0/networks", project ?? "default"),
        ConfigKind.Profile => IncusPath.Scoped("/1.0/profiles", project ?? "default"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "The server is not created."),
    };

    private static string ItemPath(ConfigKind kind, string? project, string name) =>
        IncusPath.Append(CollectionPath(kind, project), "/" + IncusPath.Esc(name));
}
