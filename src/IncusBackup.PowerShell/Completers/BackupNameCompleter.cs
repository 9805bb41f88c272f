using System.Collections;

namespace IncusBackup.PowerShell.Completers;

/// <summary>
/// Completes names of backed-up resources from the repository, so that a deleted instance can still be restored by
/// completion: instances for Restore-IncusInstance, "pool/name" volumes for Restore-IncusVolume (just the name when
/// -Pool is bound), fingerprints and aliases for Restore-IncusImage, any kind (or -Kind) for Get-IncusBackup. -Project narrows; restore cmdlets default to "default".
/// </summary>
public sealed class BackupNameCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters)
    {
        var kind = BackupCompletion.KindOf(commandName, boundParameters);
        var pool = boundParameters["Pool"] as string;
        return BackupCompletion.Matching(commandName, boundParameters)
            .SelectMany(r => r.Kind == BackupKind.Volume && pool is null && kind == BackupKind.Volume ? [$"{r.Pool}/{r.Name}"]
                : kind == BackupKind.Image ? r.Aliases.Prepend(r.Name) : [r.Name])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
    }
}

/// <summary>Completes -Version from the backups of the bound -Name (all of them when none is bound), newest first.</summary>
public sealed class BackupVersionCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters)
    {
        var names = BackupCompletion.BoundNames(boundParameters);
        return BackupCompletion.Matching(commandName, boundParameters)
            .Where(r => names.Count == 0 || names.Any(n => n == r.Name || n == $"{r.Pool}/{r.Name}" || (Wildcard.HasWildcards(n) && new Wildcard(n).IsMatch(r.Name))))
            .OrderByDescending(r => r.Timestamp)
            .Select(r => r.Version)
            .Distinct(StringComparer.Ordinal);
    }
}

/// <summary>The runs of Backup-IncusServer in the repository (-Version of Restore-IncusServer), newest first, of -Project if given.</summary>
public sealed class RunIdCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters)
    {
        var project = boundParameters["Project"] as string;
        return RepositoryListingCache.Get(boundParameters)
            .Where(r => r.RunId is not null && (project is null || r.Project == project))
            .Select(r => r.RunId!)
            .Distinct(StringComparer.Ordinal)
            .OrderDescending(StringComparer.Ordinal);
    }
}

internal static class BackupCompletion
{
    /// <summary>The kind a command restores, or Get-IncusBackup's -Kind.</summary>
    public static BackupKind? KindOf(string commandName, IDictionary boundParameters) => commandName switch
    {
        "Restore-IncusInstance" => BackupKind.Instance,
        "Restore-IncusVolume" => BackupKind.Volume,
        "Restore-IncusImage" => BackupKind.Image,
        "Restore-IncusConfig" => BackupKind.Config,
        _ => boundParameters["Kind"] switch
        {
            BackupKind kind => kind,
            string text when Enum.TryParse<BackupKind>(text, ignoreCase: true, out var parsed) => parsed,
            _ => null,
        },
    };

    public static IEnumerable<BackupRecord> Matching(string commandName, IDictionary boundParameters)
    {
        var kind = KindOf(commandName, boundParameters);
        // A config backup's project is the one it covers, or * for the whole server: -Project filters what is applied, not which backup.
        var project = kind == BackupKind.Config ? null
            : boundParameters["Project"] as string ?? (commandName.StartsWith("Restore-", StringComparison.Ordinal) ? "default" : null);
        var pool = boundParameters["Pool"] as string;
        return RepositoryListingCache.Get(boundParameters)
            .Where(r => (kind is null || r.Kind == kind) && (project is null || r.Project == project) && (pool is null || r.Pool == pool));
    }

    public static IReadOnlyList<string> BoundNames(IDictionary boundParameters) => boundParameters["Name"] switch
    {
        string one => [one],
        IEnumerable many => many.Cast<object>().Select(o => o?.ToString() ?? "").Where(s => s.Length > 0).ToList(),
        _ => [],
    };
}
