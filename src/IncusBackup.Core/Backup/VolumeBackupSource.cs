using System.Text.Json;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Backup;

/// <summary>A custom volume chosen for backup.</summary>
public sealed record VolumeBackupSource(string Pool, StorageVolume Volume) : IBackupSource
{
    public string Project => Volume.Project ?? "default";
    public string Name => Volume.Name;
    public ResourceKey Resource => new(BackupKind.Volume, Project, Pool, Name);
    public string? Member => ClusterLocation.MemberOf(Volume.Location);
    public string? RecordedPool => Pool;
    public string ArchiveBaseName => "volume";
    public string? SubType => Volume.ContentType;
    public JsonElement SourceObject => JsonSerializer.SerializeToElement(Volume, IncusJsonContext.Default.StorageVolume);

    public IServerBackups ServerBackups(IIncusServer server) => server.StorageVolumes.Backups(Project, Pool, Name);

    public Task<List<string>> ListSnapshotsAsync(IIncusServer server, CancellationToken ct) =>
        server.StorageVolumes.ListSnapshotNamesAsync(Project, Pool, Name, ct);

    public async Task<IReadOnlyList<IncusInstance>> WritersAsync(IIncusServer server, CancellationToken ct) =>
        await server.RunningUsersAsync(Volume, Project, ct).ConfigureAwait(false);

    public async Task<long?> UsedBytesAsync(IIncusServer server, CancellationToken ct) =>
        (await server.StorageVolumes.TryGetStateAsync(Project, Pool, Name, ct).ConfigureAwait(false))?.Usage?.Used;

    public override string ToString() => $"{Project}/{Pool}/{Name}";
}
