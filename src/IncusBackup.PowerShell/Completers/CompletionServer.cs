using System.Collections;
using System.Security.Cryptography.X509Certificates;
using IncusBackup.Incus.Remotes;

namespace IncusBackup.PowerShell.Completers;

/// <summary>The server a command line being completed points at (its -Remote, -Server…), as the cmdlet would resolve it; null when it cannot be.</summary>
internal static class CompletionServer
{
    public static ResolvedServer? Resolve(IDictionary boundParameters)
    {
        try
        {
            return RemoteResolver.Resolve(new ConnectionRequest
            {
                Remote = boundParameters["Remote"] as string,
                Server = boundParameters["Server"] as string,
                Certificate = boundParameters["Certificate"] as X509Certificate2,
                ServerCertificateThumbprint = boundParameters["ServerCertificateThumbprint"] as string,
            }, Environment.GetEnvironmentVariable);
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>What tells servers apart in the completion cache.</summary>
    public static string KeyOf(ResolvedServer server) =>
        server.Options.HttpsAddress?.ToString() ?? "unix:" + (server.Options.SocketPath ?? "");
}
