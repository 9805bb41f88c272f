using System.Collections;

namespace IncusBackup.PowerShell.Completers;

/// <summary>Completes the member names of a clustered server; a standalone one offers none.</summary>
public sealed class ClusterMemberCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters) =>
        IncusNameCache.Get(boundParameters, "members", async (server, ct) =>
            (await server.GetServerAsync(ct).ConfigureAwait(false)).Environment.ServerClustered
                ? (await server.Cluster.ListMembersAsync(ct).ConfigureAwait(false)).Select(m => m.ServerName)
                : []);
}
