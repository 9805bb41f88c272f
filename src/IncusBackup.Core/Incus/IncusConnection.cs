using System.Net.Sockets;
using IncusBackup.Errors;

namespace IncusBackup.Incus;

/// <summary>How to reach a server: today the local unix socket (or a plain-HTTP test double); remotes arrive here.</summary>
public sealed record IncusConnectionOptions
{
    /// <summary>The unix socket; null finds it as the incus CLI does.</summary>
    public string? SocketPath { get; init; }

    /// <summary>A plain-HTTP address instead of a socket: only test doubles of the server speak it.</summary>
    public Uri? HttpAddress { get; init; }

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
