using IncusBackup.Errors;

namespace IncusBackup.Repository.Restic;

/// <summary>
/// The tags that make a restic snapshot one of ours and say what it holds. Every snapshot carries
/// <see cref="Marker"/>, the resource's kind=, project=, pool= and name=, and backup=&lt;id&gt; (one id per backup,
/// shared by its archive snapshots and its seal). The seal snapshot (manifest.json, checksums.txt) is the one
/// with <see cref="Seal"/>, version= and location=, and one file=&lt;name&gt;@&lt;snapshot&gt; per archive file: it is
/// written last, so a backup without it (a crash mid-way) is never listed.
/// </summary>
internal static class ResticTags
{
    public const string Marker = "incusbackup";
    public const string Seal = "incusbackup-seal";
    public const string Data = "incusbackup-data";
    public const string Protected = "protected";

    /// <summary>The snapshots' host name: fixed, so restic's own grouping is by our tags, not by the machine that ran the backup.</summary>
    public const string Host = "incusbackup";

    public static List<string> ForData(ResourceKey resource, string backupId, string run) =>
        [Marker, Data, .. ForResource(resource), "backup=" + backupId, "run=" + run];

    public static List<string> ForSeal(ResourceKey resource, string backupId, string version, string location, IEnumerable<(string Name, string Snapshot)> files) =>
        [Marker, Seal, .. ForResource(resource), "backup=" + backupId, "version=" + version, "location=" + location,
            .. files.Select(f => $"file={f.Name}@{f.Snapshot}")];

    /// <summary>The value of the first tag "key=value", or null.</summary>
    public static string? Value(IEnumerable<string> tags, string key) =>
        tags.FirstOrDefault(t => t.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];

    /// <summary>The archive files of a seal: name to the snapshot that holds it.</summary>
    public static Dictionary<string, string> Files(IEnumerable<string> tags)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in tags.Where(t => t.StartsWith("file=", StringComparison.Ordinal)))
        {
            var at = tag.LastIndexOf('@');
            if (at > 5) files[tag[5..at]] = tag[(at + 1)..];
        }
        return files;
    }

    private static IEnumerable<string> ForResource(ResourceKey resource)
    {
        yield return "kind=" + resource.Kind.ToString().ToLowerInvariant();
        yield return "project=" + Checked(resource.Project);
        if (resource.Pool is not null) yield return "pool=" + Checked(resource.Pool);
        yield return "name=" + Checked(resource.Name);
    }

    // restic splits a --tag value at commas.
    private static string Checked(string value) =>
        value.Contains(',', StringComparison.Ordinal)
            ? throw new IncusBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument, $"The name '{value}' cannot be stored in a restic tag (it holds a comma).", value)
            : value;
}
