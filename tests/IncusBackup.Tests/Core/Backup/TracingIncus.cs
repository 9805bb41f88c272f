using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;

namespace IncusBackup.Tests.Core.Backup;

/// <summary>
/// An <see cref="InMemoryIncus"/> that also logs, in its <see cref="InMemoryIncus.Calls"/>, two things of an
/// instance's server-side backups the fake keeps quiet about: every creation request, also one the server rejects
/// ("request backup p/c1 zstd"; the fake logs only an accepted one, as "create backup"), and the start of each
/// download ("download p/c1 incusbackup-..."). <see cref="OnTrace"/> hears each such line as it is logged, before
/// the call goes on, so a test can cancel at that point. Everything else is passed through unchanged.
/// </summary>
internal sealed class TracingIncus : IIncusServer
{
    private readonly InMemoryIncus _inner;

    public TracingIncus(InMemoryIncus inner)
    {
        _inner = inner;
        Instances = new TracingInstances(inner, Trace);
    }

    /// <summary>Called with each line this wrapper logs, after logging it.</summary>
    public Action<string>? OnTrace { get; set; }

    public string Endpoint => _inner.Endpoint;
    public IInstancesApi Instances { get; }
    public IStorageVolumesApi StorageVolumes => _inner.StorageVolumes;
    public IStoragePoolsApi StoragePools => _inner.StoragePools;
    public IProjectsApi Projects => _inner.Projects;
    public IProfilesApi Profiles => _inner.Profiles;
    public INetworksApi Networks => _inner.Networks;
    public IImagesApi Images => _inner.Images;
    public IOperationsApi Operations => _inner.Operations;
    public IConfigApi Config => _inner.Config;
    public IClusterApi Cluster => _inner.Cluster;

    /// <summary>Logged by the inner fake; one memory holds every member, so the view is this wrapper.</summary>
    public IIncusServer UseTarget(string member)
    {
        _inner.UseTarget(member);
        return this;
    }

    public Task<ServerInfo> GetServerAsync(CancellationToken ct) => _inner.GetServerAsync(ct);

    public void Dispose() => _inner.Dispose();

    private void Trace(string line)
    {
        _inner.Calls.Enqueue(line);
        OnTrace?.Invoke(line);
    }

    private sealed class TracingInstances(InMemoryIncus inner, Action<string> trace) : IInstancesApi
    {
        private IInstancesApi Api => inner.Instances;

        public Task<ExecResult> ExecAsync(string project, string name, IReadOnlyList<string> command, CancellationToken ct) => Api.ExecAsync(project, name, command, ct);

        public Task<List<IncusInstance>> ListAsync(string? project, CancellationToken ct) => Api.ListAsync(project, ct);

        public Task<IncusInstance?> TryGetAsync(string project, string name, CancellationToken ct) => Api.TryGetAsync(project, name, ct);

        public Task<List<IncusSnapshot>> ListSnapshotsAsync(string project, string name, CancellationToken ct) => Api.ListSnapshotsAsync(project, name, ct);

        public Task<InstanceStateInfo?> TryGetStateAsync(string project, string name, CancellationToken ct) => Api.TryGetStateAsync(project, name, ct);

        public Task ChangeStateAsync(string project, string name, InstanceAction action, CancellationToken ct, bool force = false, int timeoutSeconds = 30) =>
            Api.ChangeStateAsync(project, name, action, ct, force, timeoutSeconds);

        public Task RenameAsync(string project, string name, string newName, CancellationToken ct) => Api.RenameAsync(project, name, newName, ct);

        public Task MoveToMemberAsync(string project, string name, string member, CancellationToken ct) => Api.MoveToMemberAsync(project, name, member, ct);

        public Task UpdateAsync(string project, string name, InstanceUpdate update, CancellationToken ct) => Api.UpdateAsync(project, name, update, ct);

        public Task DeleteAsync(string project, string name, CancellationToken ct) => Api.DeleteAsync(project, name, ct);

        public Task<string> StartCopyAsync(string project, string source, string name, IReadOnlyDictionary<string, string> config, CancellationToken ct) =>
            Api.StartCopyAsync(project, source, name, config, ct);

        public IServerBackups Backups(string project, string name) => new TracingBackups(trace, $"{project}/{name}", Api.Backups(project, name));

        public Task<string> StartImportAsync(string project, BackupUpload upload, CancellationToken ct) => Api.StartImportAsync(project, upload, ct);
    }

    private sealed class TracingBackups(Action<string> trace, string resource, IServerBackups backups) : IServerBackups
    {
        public Task<List<ServerBackup>?> TryListAsync(CancellationToken ct) => backups.TryListAsync(ct);

        public Task<ServerBackup?> TryGetAsync(string name, CancellationToken ct) => backups.TryGetAsync(name, ct);

        public Task<string> StartCreateAsync(ServerBackupRequest request, CancellationToken ct)
        {
            trace($"request backup {resource} {request.Compression}");
            return backups.StartCreateAsync(request, ct);
        }

        public Task DeleteAsync(string name, CancellationToken ct) => backups.DeleteAsync(name, ct);

        public Task<BackupDownload> DownloadAsync(string name, long offset, CancellationToken ct)
        {
            trace($"download {resource} {name}");
            return backups.DownloadAsync(name, offset, ct);
        }

        public Task<BackupDownload> ExportDirectAsync(ServerBackupRequest request, CancellationToken ct) => backups.ExportDirectAsync(request, ct);
    }
}
