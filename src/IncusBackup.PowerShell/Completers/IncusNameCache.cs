using System.Collections;
using System.Collections.Concurrent;
using IncusBackup.Incus;

namespace IncusBackup.PowerShell.Completers;

/// <summary>
/// Names fetched from the Incus server for tab completion, cached for a few seconds so repeated Tab presses stay
/// instant. Completion never throws: an unreachable server just completes nothing.
/// </summary>
internal static class IncusNameCache
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(3);
    private static readonly ConcurrentDictionary<string, (DateTime At, IReadOnlyList<string> Names)> Cache = new();

    /// <summary>Names from the server the command line points at (its -Remote or -Server, or the default one).</summary>
    public static IReadOnlyList<string> Get(IDictionary boundParameters, string key, Func<IIncusServer, CancellationToken, Task<IEnumerable<string>>> fetch)
    {
        if (CompletionServer.Resolve(boundParameters) is not { } resolved) return [];
        key = CompletionServer.KeyOf(resolved) + "|" + key;
        if (Cache.TryGetValue(key, out var hit) && DateTime.UtcNow - hit.At < Lifetime) return hit.Names;
        try
        {
            using var server = IncusConnection.Open(resolved.Options);
            using var timeout = new CancellationTokenSource(FetchTimeout);
            var names = fetch(server, timeout.Token).GetAwaiter().GetResult().Order(StringComparer.Ordinal).ToList();
            Cache[key] = (DateTime.UtcNow, names);
            return names;
        }
        catch (Exception)
        {
            return [];
        }
    }
}
