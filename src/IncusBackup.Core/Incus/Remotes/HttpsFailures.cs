using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using IncusBackup.Errors;

namespace IncusBackup.Incus.Remotes;

/// <summary>
/// Turns a failed HTTPS connection into the error an operator can act on: each cause (wrong or unknown server
/// certificate, other TLS failure, refused port, unknown host, untrusted client) has its own ErrorId and says what to do.
/// </summary>
internal static class HttpsFailures
{
    public static IncusBackupException Translate(HttpRequestException e, string endpoint, string? remote, ServerCertificateTrust trust)
    {
        var where = remote is null ? $"the Incus server at {endpoint}" : $"the Incus server at {endpoint} (remote '{remote}')";
        if (e.HttpRequestError == HttpRequestError.SecureConnectionError || Find<AuthenticationException>(e) is not null)
        {
            if (trust.RejectedFingerprint is { } presented)
            {
                return trust.IsConfigured
                    ? new IncusBackupException(ErrorIds.ServerCertificateMismatch, ErrorKind.PermissionDenied,
                        $"{Capital(where)} presented a certificate with SHA-256 fingerprint {presented}, which is not the one trusted in {trust.Source}" +
                        (trust.PinnedFingerprint is { } pinned ? $" (fingerprint {pinned})." : "."),
                        endpoint,
                        "If the server's certificate was replaced on purpose, trust the new one: " + trust.HowToTrust + " If it was not, something else answers at this address: do not connect.", e)
                    : new IncusBackupException(ErrorIds.ServerCertificateUnknown, ErrorKind.PermissionDenied,
                        $"{Capital(where)} presented a certificate that is not trusted yet (SHA-256 fingerprint {presented}); it is never trusted on first use.",
                        endpoint, trust.HowToTrust, e);
            }
            return new IncusBackupException(ErrorIds.TlsHandshakeFailed, ErrorKind.ConnectionError,
                $"The TLS handshake with {where} failed: {TransientFaults.Describe(e)}", endpoint,
                "Check that the address and port are those of the Incus server's core.https_address (incus config get core.https_address on the server), and that it speaks HTTPS there.", e);
        }
        var socket = Find<SocketException>(e);
        if (e.HttpRequestError == HttpRequestError.NameResolutionError || socket?.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain)
        {
            return new IncusBackupException(ErrorIds.IncusHostNotFound, ErrorKind.ConnectionError,
                $"The host name of {where} does not resolve: {TransientFaults.Describe(e)}", endpoint,
                remote is null ? "Check the host name in -Server, or use its IP address." : $"Check the host name in the remote's address (incus remote list), or change it: incus remote set-url {remote} https://<host>:8443.", e);
        }
        if (socket?.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return new IncusBackupException(ErrorIds.IncusConnectionRefused, ErrorKind.ConnectionError,
                $"Nothing accepts connections at {where}: connection refused.", endpoint,
                "Check that incusd runs there and listens on this port (incus config get core.https_address on the server; set it with incus config set core.https_address :8443), and that no firewall refuses it.", e);
        }
        return new IncusBackupException(ErrorIds.IncusUnreachable, ErrorKind.ConnectionError,
            $"Cannot reach {where}: {TransientFaults.Describe(e)}", endpoint,
            "Check the address, the network between here and the server, and that incusd runs there.", e);
    }

    /// <summary>GET /1.0 answered "auth":"untrusted" over HTTPS: the TLS was fine, the server's trust store lacks our certificate.</summary>
    public static IncusBackupException Untrusted(string endpoint, string? remote, X509Certificate2? client, string auth)
    {
        var where = remote is null ? $"The Incus server at {endpoint}" : $"The Incus server at {endpoint} (remote '{remote}')";
        var who = client is null ? "this client, which presented no certificate" : $"this client's certificate ({client.Subject}, SHA-256 fingerprint {ServerCertificateTrust.Fingerprint(client)})";
        return new IncusBackupException(ErrorIds.ClientCertificateUntrusted, ErrorKind.PermissionDenied,
            $"{where} does not trust {who} (auth: {auth}).", endpoint,
            "Trust the certificate on the server: copy client.crt there and run 'incus config trust add-certificate client.crt', or run 'incus config trust add <name>' there and use the token here with 'incus remote add <name> <token>'.");
    }

    private static T? Find<T>(Exception e) where T : Exception
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is T match) return match;
        return null;
    }

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
