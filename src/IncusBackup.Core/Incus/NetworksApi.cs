namespace IncusBackup.Incus;

/// <summary>Networks: /1.0/networks (project-scoped where the project has its own).</summary>
public interface INetworksApi
{
    Task<IncusNetwork?> TryGetAsync(string project, string name, CancellationToken ct);
}

internal sealed class NetworksApi(IncusTransport transport) : INetworksApi
{
    public Task<IncusNetwork?> TryGetAsync(string project, string name, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Scoped($"/1.0/networks/{IncusPath.Esc(name)}", project), IncusJsonContext.Default.IncusNetwork, ct);
}
