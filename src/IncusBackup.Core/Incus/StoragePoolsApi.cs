namespace IncusBackup.Incus;

/// <summary>Storage pools: /1.0/storage-pools.</summary>
public interface IStoragePoolsApi
{
    Task<List<StoragePool>> ListAsync(CancellationToken ct);

    Task<StoragePool?> TryGetAsync(string name, CancellationToken ct);

    /// <summary>Every pool as the API returns it, every field kept.</summary>
    Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(CancellationToken ct);
}

internal sealed class StoragePoolsApi(IncusTransport transport) : IStoragePoolsApi
{
    public Task<List<StoragePool>> ListAsync(CancellationToken ct) =>
        transport.GetAsync("/1.0/storage-pools?recursion=1", IncusJsonContext.Default.ListStoragePool, ct);

    public Task<StoragePool?> TryGetAsync(string name, CancellationToken ct) =>
        transport.TryGetAsync($"/1.0/storage-pools/{IncusPath.Esc(name)}", IncusJsonContext.Default.StoragePool, ct);

    public Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(CancellationToken ct) =>
        transport.GetObjectsAsync("/1.0/storage-pools?recursion=1", ct);
}
