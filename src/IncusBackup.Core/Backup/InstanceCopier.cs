using IncusBackup.Archive;
using IncusBackup.Incus;

namespace IncusBackup.Backup;

/// <summary>Temporary copies of an instance: POST /1.0/instances with a copy source (snapshots included).</summary>
internal sealed class InstanceCopier(IIncusServer server, IncusInstance original) : ISourceCopier
{
    /// <summary>
    /// Set on the copy over the original's keys: it must never start (not even when incusd restarts), never be
    /// protected from our delete, and never take scheduled snapshots of its own.
    /// </summary>
    private static readonly Dictionary<string, string> Harmless = new()
    {
        ["boot.autostart"] = "false",
        ["security.protection.delete"] = "false",
        ["snapshots.schedule"] = "",
    };

    public string Noun => "instance";
    public string Scope => $"instances of project {original.Project}";

    public async Task<CloneIdentity> ReadIdentityAsync(CancellationToken ct)
    {
        var now = await server.Instances.TryGetAsync(original.Project, original.Name, ct).ConfigureAwait(false) ?? original;
        var rootVolume = now.RootPool is { } pool
            ? await server.StorageVolumes.TryGetInstanceVolumeAsync(now.Project, pool, now.Type, now.Name, ct).ConfigureAwait(false)
            : null;
        return new CloneIdentity(now.Name, now.Description, now.Config, now.ExpandedConfig, now.Ephemeral, now.CreatedAt)
        {
            RootVolume = rootVolume is null ? null : (rootVolume.Config, rootVolume.CreatedAt),
        };
    }

    public Task<string> StartCopyAsync(string name, IReadOnlyDictionary<string, string> marker, CancellationToken ct) =>
        server.Instances.StartCopyAsync(original.Project, original.Name, name, Harmless.Concat(marker).ToDictionary(), ct);

    public IServerBackups BackupsOf(string name) => server.Instances.Backups(original.Project, name);

    public Task DeleteAsync(string name, CancellationToken ct) => server.Instances.DeleteAsync(original.Project, name, ct);

    public async Task<IReadOnlyList<(string Name, IReadOnlyDictionary<string, string> Config)>> ListAsync(CancellationToken ct) =>
        [.. (await server.Instances.ListAsync(original.Project, ct).ConfigureAwait(false)).Select(i => (i.Name, (IReadOnlyDictionary<string, string>)i.Config))];
}
