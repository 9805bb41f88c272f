namespace IncusBackup.Incus;

/// <summary>Custom storage volumes: /1.0/storage-pools/{pool}/volumes/custom (docs/incus-api.md §4).</summary>
public interface IStorageVolumesApi
{
    /// <summary>Custom volumes of one pool, without their snapshots (which the API lists as "vol/snap").</summary>
    /// <param name="project">The project, or null for every project.</param>
    Task<List<StorageVolume>> ListCustomAsync(string? project, string pool, CancellationToken ct);

    Task<StorageVolume?> TryGetCustomAsync(string project, string pool, string name, CancellationToken ct);

    /// <summary>The volume of an instance (<paramref name="type"/> "container" or "virtual-machine"), or null.</summary>
    Task<StorageVolume?> TryGetInstanceVolumeAsync(string project, string pool, string type, string name, CancellationToken ct);

    /// <summary>Snapshot names (without the "vol/" prefix), oldest first.</summary>
    Task<List<string>> ListSnapshotNamesAsync(string project, string pool, string name, CancellationToken ct);

    Task<VolumeStateInfo?> TryGetStateAsync(string project, string pool, string name, CancellationToken ct);

    /// <summary>The disk usage of an instance's root volume (type "container" or "virtual-machine"); null where the driver has none.</summary>
    Task<VolumeStateInfo?> TryGetInstanceVolumeStateAsync(string project, string pool, string type, string name, CancellationToken ct);

    Task RenameAsync(string project, string pool, string name, string newName, CancellationToken ct);

    Task DeleteAsync(string project, string pool, string name, CancellationToken ct);

    /// <summary>Creates an empty custom volume ("filesystem" or "block").</summary>
    Task CreateCustomAsync(string project, string pool, string name, string contentType, CancellationToken ct);

    /// <summary>
    /// Starts copying the custom volume <paramref name="source"/> (snapshots included) to a new one in the same pool
    /// and project, with exactly <paramref name="config"/>; returns the operation. Not cancellable once sent.
    /// </summary>
    Task<string> StartCopyAsync(string project, string pool, string source, string name, IReadOnlyDictionary<string, string> config, CancellationToken ct);

    IServerBackups Backups(string project, string pool, string name);

    /// <summary>Uploads a backup to create a custom volume from it in <paramref name="pool"/>; returns the import operation.</summary>
    Task<string> StartImportAsync(string project, string pool, BackupUpload upload, CancellationToken ct);
}

internal sealed class StorageVolumesApi(IncusTransport transport) : IStorageVolumesApi
{
    public async Task<List<StorageVolume>> ListCustomAsync(string? project, string pool, CancellationToken ct) =>
        (await transport.GetAsync(IncusPath.Volumes(project, pool), IncusJsonContext.Default.ListStorageVolume, ct).ConfigureAwait(false))
            .Where(v => v.Type == "custom" && !v.Name.Contains('/')).ToList();

    public Task<StorageVolume?> TryGetCustomAsync(string project, string pool, string name, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Volume(project, pool, name), IncusJsonContext.Default.StorageVolume, ct);

    public Task<StorageVolume?> TryGetInstanceVolumeAsync(string project, string pool, string type, string name, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Scoped($"/1.0/storage-pools/{IncusPath.Esc(pool)}/volumes/{IncusPath.Esc(type)}/{IncusPath.Esc(name)}", project),
            IncusJsonContext.Default.StorageVolume, ct);

    public async Task<List<string>> ListSnapshotNamesAsync(string project, string pool, string name, CancellationToken ct) =>
        (await transport.GetAsync(IncusPath.Volume(project, pool, name, "/snapshots?recursion=1"), IncusJsonContext.Default.ListStorageVolume, ct).ConfigureAwait(false))
            .OrderBy(s => s.CreatedAt).Select(s => s.Name.Split('/')[^1]).ToList();

    public Task<VolumeStateInfo?> TryGetStateAsync(string project, string pool, string name, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Volume(project, pool, name, "/state"), IncusJsonContext.Default.VolumeStateInfo, ct);

    public Task<VolumeStateInfo?> TryGetInstanceVolumeStateAsync(string project, string pool, string type, string name, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Scoped($"/1.0/storage-pools/{IncusPath.Esc(pool)}/volumes/{IncusPath.Esc(type)}/{IncusPath.Esc(name)}/state", project),
            IncusJsonContext.Default.VolumeStateInfo, ct);

    public Task RenameAsync(string project, string pool, string name, string newName, CancellationToken ct) =>
        transport.ExecuteAsync(HttpMethod.Post, IncusPath.Volume(project, pool, name), new RenameRequest { Name = newName }, IncusJsonContext.Default.RenameRequest, ct);

    public Task DeleteAsync(string project, string pool, string name, CancellationToken ct) =>
        transport.DeleteAsync(IncusPath.Volume(project, pool, name), ct);

    public Task CreateCustomAsync(string project, string pool, string name, string contentType, CancellationToken ct) =>
        transport.SendObjectAsync(HttpMethod.Post, IncusPath.Scoped($"/1.0/storage-pools/{IncusPath.Esc(pool)}/volumes/custom", project),
            new System.Text.Json.Nodes.JsonObject { ["name"] = name, ["type"] = "custom", ["content_type"] = contentType }, null, ct);

    public Task<string> StartCopyAsync(string project, string pool, string source, string name, IReadOnlyDictionary<string, string> config, CancellationToken ct) =>
        transport.StartUncancellableAsync(HttpMethod.Post, IncusPath.Scoped($"/1.0/storage-pools/{IncusPath.Esc(pool)}/volumes/custom", project),
            new VolumeCopyRequest { Name = name, Source = new CopySource { Name = source, Pool = pool, VolumeOnly = false }, Config = new(config) },
            IncusJsonContext.Default.VolumeCopyRequest, ct);

    public IServerBackups Backups(string project, string pool, string name) =>
        new ServerBackupsApi<VolumeBackupRequest>(transport,
            IncusPath.Volume(project, pool, name, "/backups"),
            backup => IncusPath.VolumeBackup(project, pool, name, backup),
            r => new VolumeBackupRequest
            {
                Name = r.Name, ExpiresAt = r.ExpiresAt, VolumeOnly = r.WithoutSnapshots,
                OptimizedStorage = r.Optimized, CompressionAlgorithm = r.Compression,
            },
            IncusJsonContext.Default.VolumeBackupRequest);

    public Task<string> StartImportAsync(string project, string pool, BackupUpload upload, CancellationToken ct) =>
        BackupImport.StartAsync(transport, IncusPath.Scoped($"/1.0/storage-pools/{IncusPath.Esc(pool)}/volumes/custom", project), upload with { Pool = null }, ct);
}
