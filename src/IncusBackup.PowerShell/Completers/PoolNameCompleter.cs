using System.Collections;

namespace IncusBackup.PowerShell.Completers;

/// <summary>Completes storage pool names.</summary>
public sealed class PoolNameCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters) =>
        IncusNameCache.Get(boundParameters, "pools", async (server, ct) =>
            (await server.StoragePools.ListAsync(ct).ConfigureAwait(false)).Select(p => p.Name));
}
