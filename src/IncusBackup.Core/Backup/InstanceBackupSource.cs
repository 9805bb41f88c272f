using System.Text.Json;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Backup;

/// <summary>An instance chosen for backup, with the object the server returned for it.</summary>
public sealed record InstanceBackupSource(IncusInstance Instance) : IBackupSource
{
    public string Project => Instance.Project;
    public string Name => Instance.Name;
    public ResourceKey Resource => new(BackupKind.Instance, Project, null, Name);
    public string? Member => ClusterLocation.MemberOf(Instance.Location);
    public string? RecordedPool => Instance.RootPool;
    public string ArchiveBaseName => "export";
    public string? SubType => Instance.Type;
    public JsonElement SourceObject => JsonSerializer.SerializeToElement(Instance, IncusJsonContext.Default.IncusInstance);

    public IServerBackups ServerBackups(IIncusServer server) => server.Instances.Backups(Project, Name);

    public async Task<List<string>> ListSnapshotsAsync(IIncusServer server, CancellationToken ct) =>
        (await server.Instances.ListSnapshotsAsync(Project, Name, ct).ConfigureAwait(false)).Select(s => s.Name).ToList();

    public Task<IReadOnlyList<IncusInstance>> WritersAsync(IIncusServer server, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<IncusInstance>>([Instance]);

    /// <summary>
    /// The root volume's usage: the volume's own state, not the instance's, which also gathers processes, memory and
    /// network counters (measured 0.3 s against 0.02 s per instance on Incus 6.0.4).
    /// </summary>
    public async Task<long?> UsedBytesAsync(IIncusServer server, CancellationToken ct) =>
        Instance.RootPool is { } pool
            ? (await server.StorageVolumes.TryGetInstanceVolumeStateAsync(Project, pool, Instance.Type, Name, ct).ConfigureAwait(false))?.Usage?.Used
            : null;

    public override string ToString() => $"{Project}/{Name}";
}
