using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Repository;

namespace IncusBackup.Verify;

/// <summary>
/// Does an archive hold what its manifest says? Compares the archive's own backup/index.yaml (name, type, snapshot
/// list) with the manifest, so an archive swapped in from another backup, with manifest and checksums rewritten to
/// vouch for it, is caught before a restore sends it anywhere. Test-IncusBackup's Content check and the restore
/// planner share it.
/// </summary>
public static class ArchiveConsistency
{
    /// <summary>Every way the index disagrees with the manifest; empty when they agree.</summary>
    public static IReadOnlyList<string> Compare(BackupManifest manifest, BackupIndex index)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(index);
        var problems = new List<string>();
        if (!string.Equals(index.Name, manifest.Name, StringComparison.Ordinal))
            problems.Add($"the archive holds '{index.Name}', the manifest names '{manifest.Name}'");

        var kind = manifest.Kind.ToLowerInvariant();
        if (kind == "instance" && !index.IsInstance)
            problems.Add($"the archive holds a {index.Type}, the manifest an instance");
        else if (kind == "volume" && index.Kind != BackupType.Custom)
            problems.Add($"the archive holds a {index.Type}, the manifest a custom volume");
        else if (kind == "instance" && manifest.InstanceType is { Length: > 0 } type && !string.Equals(type, index.Type, StringComparison.Ordinal))
            problems.Add($"the archive holds a {index.Type}, the manifest a {type}");

        var recorded = manifest.Snapshots.ToHashSet(StringComparer.Ordinal);
        var held = index.Snapshots.ToHashSet(StringComparer.Ordinal);
        if (!recorded.SetEquals(held))
        {
            var extra = held.Except(recorded).Order(StringComparer.Ordinal).ToList();
            var absent = recorded.Except(held).Order(StringComparer.Ordinal).ToList();
            var parts = new List<string>();
            if (extra.Count > 0) parts.Add($"the archive has {Names(extra)} the manifest does not list");
            if (absent.Count > 0) parts.Add($"the manifest lists {Names(absent)} the archive lacks");
            problems.Add($"the snapshots differ: {string.Join(", and ", parts)}");
        }
        return problems;
    }

    /// <summary>Throws ArchiveMismatch when the index disagrees with the manifest.</summary>
    public static void EnsureMatches(BackupRecord backup, BackupManifest manifest, BackupIndex index)
    {
        ArgumentNullException.ThrowIfNull(backup);
        if (Compare(manifest, index) is { Count: > 0 } problems) throw Mismatch(backup, problems);
    }

    public static IncusBackupException Mismatch(BackupRecord backup, IReadOnlyList<string> problems) =>
        new(ErrorIds.ArchiveMismatch, ErrorKind.InvalidData,
            $"The archive of {backup} does not hold what its manifest says: {string.Join("; ", problems)}. It was swapped in from another backup or changed; nothing was sent to the server.",
            backup.ToString(), "Restore another version (Get-IncusBackup lists them), and find out who changed this one.");

    private static string Names(IReadOnlyList<string> names) =>
        (names.Count == 1 ? "snapshot " : "snapshots ") + string.Join(", ", names.Select(n => $"'{n}'"));
}
