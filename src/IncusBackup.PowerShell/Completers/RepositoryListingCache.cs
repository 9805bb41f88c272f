using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;
using IncusBackup.Configuration;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Completers;

/// <summary>
/// The backups of the repository a command line points at (its -Target, else the configured default), for tab
/// completion; cached for a few seconds so repeated Tab presses stay instant. Never throws: a repository that cannot
/// be read completes nothing.
/// </summary>
internal static class RepositoryListingCache
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(15);
    private static readonly ConcurrentDictionary<string, (DateTime At, IReadOnlyList<BackupRecord> Records)> Cache = new();

    public static IReadOnlyList<BackupRecord> Get(IDictionary boundParameters)
    {
        try
        {
            var target = TargetResolver.Resolve(boundParameters["Target"] as string, CurrentDirectory(), Environment.GetEnvironmentVariable);
            var key = target.ToString();
            if (Cache.TryGetValue(key, out var hit) && DateTime.UtcNow - hit.At < Lifetime) return hit.Records;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            var records = RepositoryFactory.OpenForRead(target).ListAsync(null, timeout.Token).GetAwaiter().GetResult().Records;
            Cache[key] = (DateTime.UtcNow, records);
            return records;
        }
        catch (Exception)
        {
            return [];
        }
    }

    /// <summary>The session's current folder (a relative -Target is relative to it), not the process's.</summary>
    private static string CurrentDirectory()
    {
        try
        {
            return Runspace.DefaultRunspace?.SessionStateProxy.Path.CurrentFileSystemLocation.ProviderPath ?? Environment.CurrentDirectory;
        }
        catch (Exception)
        {
            return Environment.CurrentDirectory;
        }
    }
}
