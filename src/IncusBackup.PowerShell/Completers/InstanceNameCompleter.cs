using System.Collections;

namespace IncusBackup.PowerShell.Completers;

/// <summary>Completes instance names of the bound -Project (default "default").</summary>
public sealed class InstanceNameCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters)
    {
        var project = ProjectOf(boundParameters);
        return IncusNameCache.Get(boundParameters, "instances:" + project, async (server, ct) =>
            (await server.Instances.ListAsync(project, ct).ConfigureAwait(false)).Select(i => i.Name));
    }
}
