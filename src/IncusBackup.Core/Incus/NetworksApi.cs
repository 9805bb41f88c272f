namespace IncusBackup.Incus;

/// <summary>Networks: /1.0/networks (project-scoped where the project has its own).</summary>
public interface INetworksApi
{
    Task<IncusNetwork?> TryGetAsync(string project, string name, CancellationToken ct);

    /// <summary>The networks a project sees (its own, or the default project's), as the API returns them.</summary>
    Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(string project, CancellationToken ct);
}

internal sealed class NetworksApi(IncusTransport transport) : INetworksApi
{
    public Task<IncusNetwork?> TryGetAsync(string project, string name, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Scoped($"/1.0/networks/{IncusPath.Esc(name)}", project), IncusJsonContext.Default.IncusNetwork, ct);

    public Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(string project, CancellationToken ct) =>
        transport.GetObjectsAsync(IncusPath.Scoped("/1.0/networks?recursion=1", project), ct);
}
