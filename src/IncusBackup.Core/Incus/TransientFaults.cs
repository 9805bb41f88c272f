using System.Net.Sockets;

namespace IncusBackup.Incus;

/// <summary>
/// Which failures of one request are worth repeating: the server answered 500, 502, 503 or 504 (the HTTP status, not
/// an envelope's error_code: /wait reports a failed operation as error_code 500 inside an HTTP 200), or the
/// connection was reset, refused or aborted, or closed before the answer was complete. Everything else is not: a 4xx
/// is an answer, the caller's cancellation is a decision, and a unix socket that does not exist will not appear
/// between two attempts.
/// </summary>
internal static class TransientFaults
{
    private static readonly SocketError[] TransientSocketErrors =
    [
        SocketError.ConnectionReset, SocketError.ConnectionRefused, SocketError.ConnectionAborted,
        SocketError.NetworkReset, SocketError.Shutdown,
    ];

    /// <summary>An HTTP status a server or a proxy sends for a passing fault.</summary>
    public static bool IsTransientStatus(int httpStatus) => httpStatus is 500 or 502 or 503 or 504;

    /// <summary>
    /// A failure of sending a request or of reading its answer that another attempt may not meet.
    /// <paramref name="socketPath"/> is the unix socket the transport connects to, if any: when it is missing, nothing
    /// is listening, and the error that names it is due at once.
    /// </summary>
    public static bool IsTransient(Exception e, string? socketPath)
    {
        if (e is OperationCanceledException || e is not (HttpRequestException or IOException)) return false;
        if (socketPath is not null && !File.Exists(socketPath)) return false;
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SocketException socket:
                    return TransientSocketErrors.Contains(socket.SocketErrorCode);
                case HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }:
                case HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }:
                    return true;
            }
        }
        return false;
    }

    /// <summary>The reason a failure gives, for the trace: the innermost message ("Connection reset by peer").</summary>
    public static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        return inner.Message;
    }
}
