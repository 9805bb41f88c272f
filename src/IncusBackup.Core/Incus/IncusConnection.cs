using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using IncusBackup.Errors;
using IncusBackup.Incus.Remotes;

namespace IncusBackup.Incus;

/// <summary>How to reach a server: a unix socket, an HTTPS address with its certificates (see <see cref="RemoteResolver"/>), or a plain-HTTP test double.</summary>
public sealed record IncusConnectionOptions
{
    /// <summary>The unix socket; null finds it as the incus CLI does.</summary>
    public string? SocketPath { get; init; }

    /// <summary>A plain-HTTP address instead of a socket: only test doubles of the server speak it.</summary>
    public Uri? HttpAddress { get; init; }

    /// <summary>An Incus server over HTTPS; needs <see cref="ServerTrust"/> and, to be trusted, <see cref="ClientCertificate"/>.</summary>
    public Uri? HttpsAddress { get; init; }

    /// <summary>The TLS client certificate, with its private key, that the server's trust store knows.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Which server certificate to accept; null accepts none (a first contact reports the fingerprint).</summary>
    public ServerCertificateTrust? ServerTrust { get; init; }

    /// <summary>The incus CLI remote this address came from, for messages.</summary>
    public string? RemoteName { get; init; }

    /// <summary>Receives one line per API call: the -Debug trace.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>Seconds between progress polls while waiting on an operation.</summary>
    public int WaitPollSeconds { get; init; } = 2;

    /// <summary>How requests that are safe to repeat are retried; tests use immediate retries.</summary>
    internal RetryPolicy Retry { get; init; } = RetryPolicy.Default;
}

/// <summary>
/// The one place that turns "where is the server" into an <see cref="IIncusServer"/>: cmdlets and argument
/// completers both connect through here, so new kinds of address (HTTPS remotes) are added once.
/// </summary>
public static class IncusConnection
{
    private static readonly string[] DefaultSocketPaths = ["/var/lib/incus/unix.socket", "/run/incus/unix.socket"];

    /// <summary>Makes a client; nothing is sent until the first call (<see cref="IIncusServer.GetServerAsync"/> proves the connection).</summary>
    public static IIncusServer Open(IncusConnectionOptions? options = null)
    {
        options ??= new IncusConnectionOptions();
        if (options.HttpsAddress is { } https)
        {
            var trust = options.ServerTrust ?? ServerCertificateTrust.Unknown("nothing pinned", "Pin the server's certificate fingerprint.");
            return new IncusServer(new IncusTransport(HttpsHandler(trust, options.ClientCertificate), https, https.GetLeftPart(UriPartial.Authority))
            {
                Trace = options.Trace, WaitPollSeconds = options.WaitPollSeconds, Retry = options.Retry,
                ServerTrust = trust, RemoteName = options.RemoteName, ClientCertificate = options.ClientCertificate,
            });
        }
        if (options.HttpAddress is { } address)
        {
            return new IncusServer(new IncusTransport(new SocketsHttpHandler(), address, address.ToString())
            {
                Trace = options.Trace, WaitPollSeconds = options.WaitPollSeconds, Retry = options.Retry,
            });
        }
        var path = options.SocketPath ?? FindSocket() ?? throw new IncusBackupException(
            ErrorIds.IncusUnreachable, ErrorKind.ConnectionError,
            "No Incus unix socket found (looked at $INCUS_SOCKET, $INCUS_DIR/unix.socket, " + string.Join(", ", DefaultSocketPaths) + ").",
            recommendedAction: "Start the Incus daemon (incusd), or set INCUS_SOCKET to the path of its unix socket.");
        return new IncusServer(new IncusTransport(UnixSocketHandler(path), new Uri("http://incus/"), "unix://" + path)
        {
            Trace = options.Trace, WaitPollSeconds = options.WaitPollSeconds, SocketPath = path, Retry = options.Retry,
        });
    }

    /// <summary>The socket path the local server listens on, following the Incus client's own order.</summary>
    public static string? FindSocket()
    {
        var env = Environment.GetEnvironmentVariable("INCUS_SOCKET");
        if (!string.IsNullOrEmpty(env)) return env;
        var dir = Environment.GetEnvironmentVariable("INCUS_DIR");
        if (!string.IsNullOrEmpty(dir)) return Path.Combine(dir, "unix.socket");
        return DefaultSocketPaths.FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// One handler per server, so connections (and TLS sessions) are reused by every worker. The server's
    /// certificate is judged by <paramref name="trust"/> alone (Incus servers are self-signed: the pin replaces CA
    /// validation); the client certificate is offered whatever CAs the server lists, as the Go client does.
    /// </summary>
    private static SocketsHttpHandler HttpsHandler(ServerCertificateTrust trust, X509Certificate2? clientCertificate) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => trust.Validate(certificate, errors),
            ClientCertificateContext = clientCertificate is null ? null : SslStreamCertificateContext.Create(clientCertificate, null, offline: true),
        },
        ConnectTimeout = TimeSpan.FromSeconds(30),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        MaxConnectionsPerServer = 64,
    };

    private static SocketsHttpHandler UnixSocketHandler(string path) => new()
    {
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        MaxConnectionsPerServer = 64,
    };
}
