using System.Text.Json;
using IncusBackup.Config;
using IncusBackup.Errors;
using IncusBackup.Repository;

namespace IncusBackup.Verify;

/// <summary>
/// The Content check: what the archive holds is what the manifest says. Instances and volumes: backup/index.yaml's
/// name, type and snapshot list (<see cref="ArchiveConsistency"/>). Images: the files hash to the fingerprint.
/// Config: every file parses as the backup wrote it, and a project's backup holds that project.
/// </summary>
internal static class ContentCheck
{
    public static TestCheck ForArchive(BackupManifest? manifest, FileScan? archive)
    {
        if (manifest is null) return CheckProblems.Skipped(CheckNames.Content, "needs a readable manifest to compare with (see Manifest)");
        if (archive is null || archive.ReadError is not null || !archive.Walked)
            return CheckProblems.Skipped(CheckNames.Content, "the archive could not be read (see Archive)");
        if (archive.Index is not { } index)
        {
            return archive.IndexError is { } why
                ? CheckProblems.Failed(CheckNames.Content, ErrorIds.ArchiveInvalid, $"the archive is not an Incus backup: {why}.")
                : CheckProblems.Skipped(CheckNames.Content, "the archive could not be opened far enough to read backup/index.yaml (see Archive)");
        }
        var problems = new CheckProblems(CheckNames.Content);
        foreach (var problem in ArchiveConsistency.Compare(manifest, index)) problems.Add(ErrorIds.ArchiveMismatch, problem);
        var snapshots = index.Snapshots.Count == 0 ? "no snapshots" : $"snapshots {string.Join(", ", index.Snapshots)}";
        return problems.Result($"index.yaml: {index.Type} '{index.Name}' with {snapshots}, as the manifest says");
    }

    /// <param name="fingerprint">The sha256 of the manifest's files in order, or null when not all could be read.</param>
    public static TestCheck ForImage(BackupManifest? manifest, string? fingerprint)
    {
        if (manifest is null) return CheckProblems.Skipped(CheckNames.Content, "needs a readable manifest to compare with (see Manifest)");
        if (fingerprint is null) return CheckProblems.Skipped(CheckNames.Content, "not every image file could be read (see Checksums)");
        return string.Equals(fingerprint, manifest.Name, StringComparison.OrdinalIgnoreCase)
            ? CheckProblems.Passed(CheckNames.Content, $"the image file{(manifest.Files.Count == 1 ? "" : "s")} hash to the fingerprint {manifest.Name}")
            : CheckProblems.Failed(CheckNames.Content, ErrorIds.ArchiveMismatch,
                $"the image files hash to {fingerprint}, not to the fingerprint {manifest.Name} the manifest names: they belong to another image or were changed.");
    }

    /// <param name="files">The backup's files by name; missing ones are absent.</param>
    public static TestCheck ForConfig(BackupManifest? manifest, IReadOnlyDictionary<string, byte[]> files, string where)
    {
        if (manifest is null) return CheckProblems.Skipped(CheckNames.Content, "needs a readable manifest to compare with (see Manifest)");
        var missing = manifest.Files.Select(f => f.Name).Where(n => !files.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            return CheckProblems.Skipped(CheckNames.Content, $"{string.Join(", ", missing)} could not be read (see Checksums)");
        ConfigSnapshot snapshot;
        try
        {
            snapshot = ConfigSnapshot.FromFiles(name => files.TryGetValue(name, out var bytes) ? bytes : "[]"u8.ToArray(), where);
        }
        catch (IncusBackupException e)
        {
            return CheckProblems.Failed(CheckNames.Content, e.ErrorId, e.Message);
        }
        catch (JsonException e)
        {
            return CheckProblems.Failed(CheckNames.Content, ErrorIds.ManifestInvalid, e.Message);
        }
        if (manifest.Project != "*" && !snapshot.Resources.Any(r => r.Kind == ConfigKind.Project && r.Name == manifest.Project))
        {
            return CheckProblems.Failed(CheckNames.Content, ErrorIds.ArchiveMismatch,
                $"the backup is of project '{manifest.Project}', but its projects.json does not hold that project.");
        }
        var counts = snapshot.Resources.GroupBy(r => r.Kind).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}{(g.Count() == 1 ? "" : "s")}");
        return CheckProblems.Passed(CheckNames.Content, $"{files.Count} files parse: {string.Join(", ", counts)}");
    }
}
