using System.Collections;

namespace IncusBackup.PowerShell.Completers;

/// <summary>Completes image fingerprints (for -Fingerprint) or aliases (for -Alias) of the bound -Project.</summary>
public sealed class ImageCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters)
    {
        var project = ProjectOf(boundParameters);
        var aliases = parameterName == "Alias";
        return IncusNameCache.Get(boundParameters, $"images:{project}", async (server, ct) =>
            (await server.Images.ListAsync(project, ct).ConfigureAwait(false))
                .SelectMany(i => i.Aliases.Select(a => "alias:" + a.Name).Prepend(i.Fingerprint)))
            .Where(n => aliases == n.StartsWith("alias:", StringComparison.Ordinal))
            .Select(n => aliases ? n["alias:".Length..] : n);
    }
}
