using System.Security.Cryptography.X509Certificates;
using System.Management.Automation;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Incus.Remotes;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Base of the cmdlets that talk to an Incus server: which server (-Remote, or -Server with its certificates, else
/// $env:INCUS_REMOTE, else the incus CLI's default-remote, else the local socket), the remote's project as the
/// default -Project, and connecting. Everything wrong with the choice stops the cmdlet before any work starts.
/// </summary>
public abstract class ConnectedCmdlet : RepositoryCmdlet
{
    private ResolvedServer? _resolved;

    /// <summary>A remote of the incus CLI (incus remote list), with its certificates; defaults to $env:INCUS_REMOTE, then default-remote.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completers.RemoteNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Remote { get; set; }

    /// <summary>An Incus server without the incus CLI's config: https://host[:8443], or unix:///path/to/unix.socket.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Server { get; set; }

    /// <summary>The TLS client certificate for -Server, with its private key: an X509Certificate2, or the path of a PEM certificate.</summary>
    [Parameter]
    [ClientCertificateTransformation]
    [ValidateNotNull]
    public X509Certificate2? Certificate { get; set; }

    /// <summary>The SHA-256 fingerprint the -Server's certificate must have (incus info shows it on the server).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ServerCertificateThumbprint { get; set; }

    /// <summary>The remote's project, when -Project is not given.</summary>
    protected override string? ImpliedProject => Resolved.Project;

    /// <summary>The server chosen by the parameters, the environment and the incus CLI's config; read once per run.</summary>
    protected ResolvedServer Resolved => _resolved ??= ResolveServer();

    /// <summary>Connects to the Incus server and checks it answers and trusts us; any failure is terminating.</summary>
    protected IIncusServer ConnectIncus()
    {
        var resolved = Resolved;
        IIncusServer? server = null;
        try
        {
            var debugQueue = DebugLines;
            server = IncusConnection.Open(resolved.Options with
            {
                Trace = MyInvocation.BoundParameters.ContainsKey("Debug") || DebugPreferenceIsOn() ? line => debugQueue.Enqueue("Incus API: " + line) : null,
            });
            var info = Await(server.GetServerAsync);
            var remote = resolved.RemoteName is null || resolved.IsImplicitLocal ? "" : $" (remote '{resolved.RemoteName}')";
            WriteVerbose($"Connected to Incus {info.Environment.ServerVersion} at {server.Endpoint}{remote}.");
            return server;
        }
        catch (IncusBackupException e)
        {
            server?.Dispose();
            ThrowTerminating(e);
            throw; // not reached
        }
    }

    private ResolvedServer ResolveServer()
    {
        try
        {
            return RemoteResolver.Resolve(new ConnectionRequest
            {
                Remote = Remote, Server = Server, Certificate = Certificate, ServerCertificateThumbprint = ServerCertificateThumbprint,
            }, Environment.GetEnvironmentVariable);
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
            throw; // not reached
        }
    }
}
