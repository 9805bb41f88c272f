using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>
/// <see cref="InMemoryIncus"/> with custom-volume users as Incus 6.0.4 really finds them: by scanning the instances'
/// disk devices (pool + source name), not from a stored used_by list. A volume's used_by is recomputed from the
/// devices whenever it is read, and a rename repoints every stopped instance whose device names the volume, as
/// Incus does. InMemoryIncus keeps used_by as set up, so a device repointed by an update does not move a user from
/// one volume to the other there; here it does.
/// </summary>
internal sealed class DeviceScanningIncus(InMemoryIncus inner) : IIncusServer
{
    public string Endpoint => inner.Endpoint;
    public IInstancesApi Instances => inner.Instances;
    public IStorageVolumesApi StorageVolumes { get; } = new Volumes(inner);
    public IStoragePoolsApi StoragePools => inner.StoragePools;
    public IProjectsApi Projects => inner.Projects;
    public IProfilesApi Profiles => inner.Profiles;
    public INetworksApi Networks => inner.Networks;
    public IImagesApi Images => inner.Images;
    public IOperationsApi Operations => inner.Operations;
    public IConfigApi Config => inner.Config;
    public IClusterApi Cluster => inner.Cluster;

    /// <summary>Logged by the inner fake; one memory holds every member, so the view is this wrapper.</summary>
    public IIncusServer UseTarget(string member)
    {
        inner.UseTarget(member);
        return this;
    }

    public Task<ServerInfo> GetServerAsync(CancellationToken ct) => inner.GetServerAsync(ct);

    public void Dispose()
    {
    }

    private sealed class Volumes(InMemoryIncus server) : IStorageVolumesApi
    {
        private IStorageVolumesApi Inner => server.StorageVolumes;

        public async Task<List<StorageVolume>> ListCustomAsync(string? project, string pool, CancellationToken ct)
        {
            var volumes = await Inner.ListCustomAsync(project, pool, ct);
            foreach (var volume in volumes) Sync(pool, volume);
            return volumes;
        }

        public async Task<StorageVolume?> TryGetCustomAsync(string project, string pool, string name, CancellationToken ct)
        {
            var volume = await Inner.TryGetCustomAsync(project, pool, name, ct);
            if (volume is not null) Sync(pool, volume);
            return volume;
        }

        public Task<List<string>> ListSnapshotNamesAsync(string project, string pool, string name, CancellationToken ct) =>
            Inner.ListSnapshotNamesAsync(project, pool, name, ct);

        public Task<StorageVolume?> TryGetInstanceVolumeAsync(string project, string pool, string type, string name, CancellationToken ct) =>
            Inner.TryGetInstanceVolumeAsync(project, pool, type, name, ct);

        public Task<VolumeStateInfo?> TryGetInstanceVolumeStateAsync(string project, string pool, string type, string name, CancellationToken ct) =>
            Inner.TryGetInstanceVolumeStateAsync(project, pool, type, name, ct);

        public Task<string> StartCopyAsync(string project, string pool, string source, string name, IReadOnlyDictionary<string, string> config, CancellationToken ct) =>
            Inner.StartCopyAsync(project, pool, source, name, config, ct);

        public Task<VolumeStateInfo?> TryGetStateAsync(string project, string pool, string name, CancellationToken ct) =>
            Inner.TryGetStateAsync(project, pool, name, ct);

        public async Task RenameAsync(string project, string pool, string name, string newName, CancellationToken ct)
        {
            // InMemoryIncus refuses the rename if a user runs, and repoints the users it finds in used_by.
            if (server.FindVolume(project, pool, name) is { } volume) Sync(pool, volume);
            await Inner.RenameAsync(project, pool, name, newName, ct);
        }

        public Task DeleteAsync(string project, string pool, string name, CancellationToken ct) => Inner.DeleteAsync(project, pool, name, ct);

        public Task CreateCustomAsync(string project, string pool, string name, string contentType, CancellationToken ct) =>
            Inner.CreateCustomAsync(project, pool, name, contentType, ct);

        public IServerBackups Backups(string project, string pool, string name) => Inner.Backups(project, pool, name);

        public Task<string> StartImportAsync(string project, string pool, BackupUpload upload, CancellationToken ct) =>
            Inner.StartImportAsync(project, pool, upload, ct);

        /// <summary>Profiles stay as set up; instances are whatever instances have a disk on the volume now.</summary>
        private void Sync(string pool, StorageVolume volume)
        {
            var project = volume.Project ?? "default";
            volume.UsedBy =
            [
                .. volume.UsedBy.Where(u => u.StartsWith("/1.0/profiles/", StringComparison.Ordinal)),
                .. Users(project, pool, volume.Name).Select(i => $"/1.0/instances/{i.Name}?project={i.Project}"),
            ];
        }

        private List<IncusInstance> Users(string project, string pool, string name) =>
            [.. server.InstanceList.Where(i => i.Project == project && DisksOn(i, pool, name).Any())];

        private static IEnumerable<Dictionary<string, string>> DisksOn(IncusInstance instance, string pool, string name) =>
            instance.Devices.Values.Where(d => d.GetValueOrDefault("type") == "disk" && d.GetValueOrDefault("pool") == pool && d.GetValueOrDefault("source") == name);
    }
}
