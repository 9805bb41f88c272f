using System.Text.Json;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Restore;

/// <summary>
/// The backups one Backup-IncusServer run took, in the order a rebuild needs them: the config, the images, the
/// custom volumes (instances attach them), the instances. Images the run did not take because the repository held
/// them already (an image is backed up once) are added from earlier backups: the instances of the run need them.
/// </summary>
public sealed record ServerRun(string RunId, BackupRecord? Config, IReadOnlyList<BackupRecord> Images,
    IReadOnlyList<BackupRecord> Volumes, IReadOnlyList<BackupRecord> Instances)
{
    /// <summary>The manifest's project of a config backup of every project.</summary>
    private const string AllProjects = "*";

    public int Count => (Config is null ? 0 : 1) + Images.Count + Volumes.Count + Instances.Count;

    /// <summary>The run ids in a repository's listing, oldest first.</summary>
    public static IReadOnlyList<string> RunIds(IEnumerable<BackupRecord> records) =>
        [.. records.Select(r => r.RunId).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The run <paramref name="runId"/> (the latest when null), limited to one project when one is given: its
    /// backups, the config backup of that project or of the whole server, and the images they need.
    /// </summary>
    public static async Task<ServerRun> FindAsync(IBackupRepository repository, IReadOnlyList<BackupRecord> all, string? runId, string? project, CancellationToken ct)
    {
        var runs = RunIds(all);
        if (runs.Count == 0)
        {
            throw new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                $"{repository.Target} holds no Backup-IncusServer run.", repository.Target,
                "Take one with Backup-IncusServer; single backups are restored with Restore-IncusInstance, Restore-IncusVolume, Restore-IncusImage and Restore-IncusConfig.");
        }
        var id = runId ?? runs[^1];
        if (!runs.Contains(id, StringComparer.Ordinal))
        {
            throw new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                $"{repository.Target} holds no run {id}; its runs are {string.Join(", ", runs.TakeLast(5))}{(runs.Count > 5 ? " (the last five)" : "")}.", id,
                "List them with Get-IncusBackup | Group-Object RunId, or leave -Version out for the latest.");
        }
        var run = all.Where(r => r.RunId == id).ToList();
        bool InScope(BackupRecord r) => project is null || r.Project == project;
        var config = run.Where(r => r.Kind == BackupKind.Config && (InScope(r) || r.Project == AllProjects)).MaxBy(r => r.Timestamp);
        var instances = run.Where(r => r.Kind == BackupKind.Instance && InScope(r)).OrderBy(r => r.Project, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
        var volumes = run.Where(r => r.Kind == BackupKind.Volume && InScope(r)).OrderBy(r => r.Project, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
        if (project is not null && config is null && instances.Count == 0 && volumes.Count == 0)
        {
            throw new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                $"Run {id} in {repository.Target} has nothing of project '{project}'.", project,
                $"See what it has with Get-IncusBackup -Target {repository.Target} | Where-Object RunId -eq '{id}'.");
        }

        var images = run.Where(r => r.Kind == BackupKind.Image && InScope(r)).ToList();
        foreach (var instance in instances)
        {
            var fingerprint = await BaseImageAsync(repository, instance, ct).ConfigureAwait(false);
            if (fingerprint is null || images.Any(i => i.Name == fingerprint)) continue;
            // The image of the instance's own project if there is one (features.images), else the one it was read from.
            var stored = all.Where(r => r.Kind == BackupKind.Image && r.Name == fingerprint)
                .OrderBy(r => r.Project == instance.Project ? 0 : 1).ThenByDescending(r => r.Timestamp).FirstOrDefault();
            if (stored is not null) images.Add(stored);
        }
        return new ServerRun(id, config, images, volumes, instances);
    }

    /// <summary>The fingerprint of the image an instance backup was created from (volatile.base_image), if recorded.</summary>
    private static async Task<string?> BaseImageAsync(IBackupRepository repository, BackupRecord instance, CancellationToken ct)
    {
        var seal = await BackupVerifier.ReadSealAsync(repository, instance, ct).ConfigureAwait(false);
        if (seal.Manifest.Source is not { ValueKind: JsonValueKind.Object } source) return null;
        var saved = source.Deserialize(IncusJsonContext.Default.IncusInstance);
        var fingerprint = saved?.Config.GetValueOrDefault("volatile.base_image");
        return string.IsNullOrEmpty(fingerprint) ? null : fingerprint;
    }
}
