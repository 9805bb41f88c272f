using System.Collections;
using IncusBackup.Incus.Remotes;

namespace IncusBackup.PowerShell.Completers;

/// <summary>Completes the incus CLI's remotes that are Incus servers (image servers left out), read from its config.yml.</summary>
public sealed class RemoteNameCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters)
    {
        try
        {
            return [.. RemoteConfig.Load(Environment.GetEnvironmentVariable).ServerNames];
        }
        catch (Exception)
        {
            return [];
        }
    }
}
