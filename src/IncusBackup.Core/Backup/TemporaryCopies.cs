using IncusBackup.IO;
using System.Collections.Concurrent;
using IncusBackup.Incus;
using IncusBackup.Reporting;

namespace IncusBackup.Backup;

/// <summary>
/// Names and marks the temporary copies of Snapshot consistency, and removes those a killed run left behind. A copy
/// is ours when its name has our prefix and its config our marker; it is a leftover when the run that made it
/// (pid@boot id in the marker) is gone. The marker lives in the copy's own config, which the archive replaces with
/// the original's, so it never travels into a backup.
/// </summary>
internal static class TemporaryCopies
{
    /// <summary>Same prefix as the module's server-side backups: one thing to recognise on the server.</summary>
    public const string Prefix = ServerExport.ServerBackupPrefix;

    public const string TemporaryOfKey = "user.incusbackup.temporary-of";
    public const string OwnerKey = "user.incusbackup.temporary-by";

    /// <summary>Sweeps already done (or under way), per connection and scope: once per cmdlet run.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IIncusServer, ConcurrentDictionary<string, Lazy<Task>>> Swept = new();

    /// <summary>A valid instance and volume name (letters, digits, dashes; 63 at most) that says whose it is.</summary>
    public static string NewName() => $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    public static IReadOnlyDictionary<string, string> Marker(string original) =>
        new Dictionary<string, string> { [TemporaryOfKey] = original, [OwnerKey] = RunOwner.Current };

    /// <summary>A temporary copy of some backup run (this one's or another's): never itself a thing to back up.</summary>
    public static bool IsCopy(IReadOnlyDictionary<string, string> config) => config.ContainsKey(TemporaryOfKey);

    public static bool IsLeftover(string name, IReadOnlyDictionary<string, string> config) =>
        name.StartsWith(Prefix, StringComparison.Ordinal)
        && config.ContainsKey(TemporaryOfKey)
        && config.TryGetValue(OwnerKey, out var owner) && RunOwner.IsDead(owner);

    /// <summary>Once per connection and scope: deletes the copies of dead runs (a failure is a warning; the backup goes on).</summary>
    public static Task SweepOnceAsync(IIncusServer server, ISourceCopier copier, IReporter reporter, CancellationToken ct) =>
        Swept.GetOrCreateValue(server).GetOrAdd(copier.Scope, _ => new Lazy<Task>(() => SweepAsync(copier, reporter, ct))).Value;

    private static async Task SweepAsync(ISourceCopier copier, IReporter reporter, CancellationToken ct)
    {
        IReadOnlyList<(string Name, IReadOnlyDictionary<string, string> Config)> candidates;
        try
        {
            candidates = await copier.ListAsync(ct).ConfigureAwait(false);
        }
        catch (IncusApiException)
        {
            return; // A courtesy: the backup itself reports real problems.
        }
        foreach (var (name, config) in candidates.Where(c => IsLeftover(c.Name, c.Config)))
        {
            try
            {
                await copier.DeleteAsync(name, ct).ConfigureAwait(false);
                reporter.Warning($"Removed {copier.Noun} {name}, a temporary copy of {config[TemporaryOfKey]} that a stopped backup run ({config[OwnerKey]}) left behind.");
            }
            catch (IncusApiException e)
            {
                reporter.Warning($"Could not remove {copier.Noun} {name}, a temporary copy of {config[TemporaryOfKey]} left by a stopped backup run: {e.Message}");
            }
        }
    }
}
