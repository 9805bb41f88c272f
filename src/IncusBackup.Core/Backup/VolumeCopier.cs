using IncusBackup.Archive;
using IncusBackup.Incus;

namespace IncusBackup.Backup;

/// <summary>Temporary copies of a custom volume: POST .../volumes/custom with a copy source (snapshots included).</summary>
internal sealed class VolumeCopier(IIncusServer server, string project, string pool, StorageVolume original) : ISourceCopier
{
    public string Noun => "volume";
    public string Scope => $"custom volumes of pool {pool} in project {project}";

    public async Task<CloneIdentity> ReadIdentityAsync(CancellationToken ct)
    {
        var now = await server.StorageVolumes.TryGetCustomAsync(project, pool, original.Name, ct).ConfigureAwait(false) ?? original;
        return new CloneIdentity(now.Name, now.Description, now.Config, null, null, now.CreatedAt);
    }

    /// <summary>
    /// The copy's config replaces the original's entirely: its settable keys (size matters for block volumes), no
    /// snapshot schedule, and the marker. volatile.* keys cannot be set; the archive gets the original's back anyway.
    /// </summary>
    public Task<string> StartCopyAsync(string name, IReadOnlyDictionary<string, string> marker, CancellationToken ct)
    {
        var config = original.Config.Where(p => !p.Key.StartsWith("volatile.", StringComparison.Ordinal)).ToDictionary();
        config["snapshots.schedule"] = "";
        foreach (var (key, value) in marker) config[key] = value;
        return server.StorageVolumes.StartCopyAsync(project, pool, original.Name, name, config, ct);
    }

    public IServerBackups BackupsOf(string name) => server.StorageVolumes.Backups(project, pool, name);

    public Task DeleteAsync(string name, CancellationToken ct) => server.StorageVolumes.DeleteAsync(project, pool, name, ct);

    public async Task<IReadOnlyList<(string Name, IReadOnlyDictionary<string, string> Config)>> ListAsync(CancellationToken ct) =>
        [.. (await server.StorageVolumes.ListCustomAsync(project, pool, ct).ConfigureAwait(false)).Select(v => (v.Name, (IReadOnlyDictionary<string, string>)v.Config))];
}
