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
    public string? RecordedPool => Instance.RootPool;
    public string ArchiveBaseName => "export";
    public string? SubType => Instance.Type;
    public JsonElement SourceObject => JsonSerializer.SerializeToElement(Instance, IncusJsonContext.Default.IncusInstance);

    public IServerBackups ServerBackups(IIncusServer server) => server.Instances.Backups(Project, Name);

    public async Task<List<string>> ListSnapshotsAsync(IIncusServer server, CancellationToken ct) =>
        (await server.Instances.ListSnapshotsAsync(Project, Name, ct).ConfigureAwait(false)).Select(s => s.Name).ToList();

    public Task<IReadOnlyList<IncusInstance>> WritersAsync(IIncusServer server, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<IncusInstance>>([Instance]);

    public async Task<long?> UsedBytesAsync(IIncusServer server, CancellationToken ct) =>
        (await server.Instances.TryGetStateAsync(Project, Name, ct).ConfigureAwait(false))?.Disk?.GetValueOrDefault("root")?.Usage;

    public override string ToString() => $"{Project}/{Name}";
}
