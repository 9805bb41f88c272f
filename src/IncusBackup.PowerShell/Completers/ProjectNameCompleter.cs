using System.Collections;

namespace IncusBackup.PowerShell.Completers;

/// <summary>Completes Incus project names.</summary>
public sealed class ProjectNameCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters) =>
        IncusNameCache.Get(boundParameters, "projects", async (server, ct) =>
            (await server.Projects.ListAsync(ct).ConfigureAwait(false)).Select(p => p.Name));
}
