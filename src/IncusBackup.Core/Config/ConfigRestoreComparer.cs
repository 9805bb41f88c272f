using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Config;

/// <summary>The renames a config restore applies (-ProjectMap, -PoolMap, -NetworkMap, -ProfileMap).</summary>
public sealed record ConfigMaps
{
    public IReadOnlyDictionary<string, string> Projects { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Pools { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Networks { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Profiles { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// The first half of a config restore, which changes nothing: the backup's files are checked against their
/// checksums before anything is compared, read, renamed by the maps, and compared with what the server has now.
/// </summary>
public static class ConfigRestoreComparer
{
    public static async Task<IReadOnlyList<ConfigComparison>> CompareAsync(IIncusServer server, IBackupRepository repository, BackupRecord record,
        ConfigMaps maps, CancellationToken ct)
    {
        var seal = await BackupVerifier.ReadSealAsync(repository, record, ct).ConfigureAwait(false);
        await BackupVerifier.VerifyFilesAsync(repository, record, seal, null, ct).ConfigureAwait(false);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (name, _) in seal.DataFiles) files[name] = await ReadAllAsync(repository, record, name, ct).ConfigureAwait(false);

        var recorded = ConfigSnapshot.FromFiles(name => files.TryGetValue(name, out var bytes) ? bytes : "[]"u8.ToArray(), record.ToString());
        await CheckMappedProjectsAsync(server, recorded, maps.Projects, ct).ConfigureAwait(false);
        var backup = ConfigMapping.Apply(recorded, maps.Projects, maps.Pools, maps.Networks, maps.Profiles);
        var wholeServer = seal.Manifest.Project == ConfigBackupEngine.AllProjects;
        var scope = wholeServer ? null : backup.Resources.FirstOrDefault(r => r.Kind == ConfigKind.Project)?.Name;
        var shared = backup.Resources.Where(r => r.Kind == ConfigKind.Network && r.Project == "default").Select(r => r.Name);
        var pools = backup.Resources.Where(r => r.Kind == ConfigKind.StoragePool).Select(r => r.Name);
        var current = await ConfigReader.ReadAsync(server, scope, ct, shared, pools).ConfigureAwait(false);
        return ConfigDiff.Compare(backup, current, wholeServer);
    }

    /// <summary>
    /// -ProjectMap restores into projects that exist, as the other Restore cmdlets do: a misspelt one is named
    /// before anything is compared, instead of becoming a new project.
    /// </summary>
    private static async Task CheckMappedProjectsAsync(IIncusServer server, ConfigSnapshot recorded, IReadOnlyDictionary<string, string> projects, CancellationToken ct)
    {
        var inBackup = recorded.Resources.Select(r => r.Kind == ConfigKind.Project ? r.Name : r.Project).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var (from, to) in projects)
        {
            if (!inBackup.Contains(from) || await server.Projects.TryGetAsync(to, ct).ConfigureAwait(false) is not null) continue;
            throw new IncusBackupException(ErrorIds.ProjectNotFound, ErrorKind.NotFound,
                $"-ProjectMap restores project '{from}' into project '{to}', which does not exist.", to,
                $"Create it first (incus project create {to}), or leave '{from}' out of -ProjectMap to restore it under its own name.");
        }
    }

    private static async Task<byte[]> ReadAllAsync(IBackupRepository repository, BackupRecord record, string name, CancellationToken ct)
    {
        await using var stream = await repository.OpenReadAsync(record, name, ct).ConfigureAwait(false);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, ct).ConfigureAwait(false);
        return copy.ToArray();
    }
}
