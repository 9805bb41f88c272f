using IncusBackup.Backup;
using IncusBackup.Configuration;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// The images a run of Backup-IncusInstance (or Backup-IncusServer) also backs up with -Images: those the
/// instances were created from (volatile.base_image) that the server still has, or every image of their
/// projects. An image whose fingerprint the repository already holds is not backed up again: its content cannot
/// have changed.
/// </summary>
internal static class ImagesOfInstances
{
    public static IReadOnlyList<BackupItem> Plan(IncusCmdlet cmdlet, IIncusServer server, IReadOnlyList<InstanceBackupSource> instances,
        bool all, RepositoryTarget target, string? runId = null)
    {
        var selector = new ResourceSelector(server);
        var stored = StoredFingerprints(target);
        var chosen = new List<ImageBackupSource>();
        foreach (var group in instances.GroupBy(i => i.Project))
        {
            var wanted = all ? [] : group.Select(i => i.Instance.Config.GetValueOrDefault("volatile.base_image")).OfType<string>().Where(f => f.Length > 0).Distinct().ToList();
            if (!all && wanted.Count == 0) continue;
            var selection = cmdlet.Await(ct => selector.SelectImagesAsync(wanted, [], group.Key, ct));
            foreach (var missing in selection.Missing)
                cmdlet.WriteVerbose($"The image {missing[..Math.Min(12, missing.Length)]} that an instance of {group.Key} was created from is no longer on the server; it is not backed up.");
            chosen.AddRange(selection.Targets.Where(t => !chosen.Any(c => c.Fingerprint == t.Fingerprint)));
        }
        var items = new List<BackupItem>();
        foreach (var image in chosen)
        {
            if (stored.Contains(image.Fingerprint))
            {
                cmdlet.WriteVerbose($"The image {image} is in {target} already; it is not backed up again.");
                continue;
            }
            if (!cmdlet.ShouldProcess($"{image} -> {target}", "Back up image")) continue;
            items.Add(new BackupItem($"image {image}", Math.Max(image.Image.Size, BackupEngine.MinimumFreeBytes),
                (repository, reporter, ct) => new ImageBackupEngine(server, repository, IncusCmdlet.ToolVersion) { RunId = runId }.BackupAsync(image, reporter, ct)));
        }
        return items;
    }

    /// <summary>The fingerprints the repository holds; none when it does not exist yet.</summary>
    private static HashSet<string> StoredFingerprints(RepositoryTarget target)
    {
        try
        {
            var repository = RepositoryFactory.OpenForRead(target);
            return repository.ListAsync(BackupKind.Image, CancellationToken.None).GetAwaiter().GetResult().Records.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        }
        catch (IncusBackupException)
        {
            return [];
        }
    }
}
