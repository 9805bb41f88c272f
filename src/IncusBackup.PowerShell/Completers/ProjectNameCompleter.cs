using System.Collections;
using IncusBackup.Incus;

namespace IncusBackup.PowerShell.Completers;

/// <summary>Completes Incus project names.</summary>
public sealed class ProjectNameCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(IDictionary boundParameters) =>
        IncusNameCache.Get("projects", async (client, ct) =>
            (await client.ListProjectsAsync(ct).ConfigureAwait(false)).Select(p => p.Name));
}
