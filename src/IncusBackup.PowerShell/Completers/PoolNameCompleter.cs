using System.Collections;
using IncusBackup.Incus;

namespace IncusBackup.PowerShell.Completers;

/// <summary>Completes storage pool names.</summary>
public sealed class PoolNameCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(IDictionary boundParameters) =>
        IncusNameCache.Get("pools", async (client, ct) =>
            (await client.ListPoolsAsync(ct).ConfigureAwait(false)).Select(p => p.Name));
}
