using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IncusBackup.Errors;

namespace IncusBackup.Incus.Remotes;

/// <summary>
/// Turns -Remote / -Server (and the environment and the incus CLI's config) into connection options, with the
/// precedence parameter > environment > config: -Server, else -Remote, else $INCUS_REMOTE, else the config's
/// default-remote, else "local". Everything that can be wrong without asking the server is reported here, each with
/// its ErrorId: an unknown remote, an image server, a missing or encrypted client key, an expired certificate.
/// </summary>
public static class RemoteResolver
{
    /// <summary>The port `incus remote add host` assumes.</summary>
    public const int DefaultPort = 8443;

    public static ResolvedServer Resolve(ConnectionRequest request, Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(request.Server))
        {
            if (!string.IsNullOrWhiteSpace(request.Remote))
            {
                throw new IncusBackupException(ErrorIds.ConflictingParameters, ErrorKind.InvalidArgument,
                    "-Remote and -Server both name a server.", request.Server, "Use -Remote for a remote of the incus CLI, or -Server with an address, not both.");
            }
            return FromAddress(request, environment);
        }
        if (request.Certificate is not null || !string.IsNullOrWhiteSpace(request.ServerCertificateThumbprint))
        {
            throw new IncusBackupException(ErrorIds.ConflictingParameters, ErrorKind.InvalidArgument,
                "-Certificate and -ServerCertificateThumbprint go with -Server.", null,
                "Add -Server https://host:8443, or leave them out: a remote of the incus CLI brings its own certificates.");
        }

        var config = RemoteConfig.Load(environment);
        var fromEnv = environment(RemoteConfig.DefaultRemoteVariable);
        var (name, source) = !string.IsNullOrWhiteSpace(request.Remote) ? (request.Remote, "-Remote")
            : !string.IsNullOrWhiteSpace(fromEnv) ? (fromEnv, "$env:" + RemoteConfig.DefaultRemoteVariable)
            : config.DefaultRemote is { } configured ? (configured, $"default-remote in {config.ConfigFile}")
            : (RemoteConfig.LocalRemoteName, null);
        var remote = config.Remotes.GetValueOrDefault(name) ?? throw new IncusBackupException(ErrorIds.RemoteNotFound, ErrorKind.NotFound,
            $"There is no remote '{name}' (from {source ?? "the default"}) in the incus CLI's config ({config.ConfigFile}" +
            (File.Exists(Path.Combine(config.GlobalDirectory, "config.yml")) ? $" and {Path.Combine(config.GlobalDirectory, "config.yml")}" : "") + ").",
            name, $"Known remotes: {string.Join(", ", config.ServerNames)}. Add it with 'incus remote add {name} https://<host>:8443' (run as the same user, or with the same INCUS_CONF), or use -Server.");
        return FromRemote(config, remote, implicitLocal: source is null || (source.StartsWith("default-remote", StringComparison.Ordinal) && name == RemoteConfig.LocalRemoteName));
    }

    private static ResolvedServer FromRemote(RemoteConfig config, IncusRemote remote, bool implicitLocal)
    {
        if (remote.Public || remote.Protocol != "incus")
        {
            throw new IncusBackupException(ErrorIds.RemoteNotSupported, ErrorKind.InvalidArgument,
                $"The remote '{remote.Name}' ({remote.Address}, protocol {remote.Protocol}) is an image server, not an Incus server with instances to back up.",
                remote.Name, "Name a remote added with 'incus remote add <name> https://<host>:8443' (protocol incus); 'incus remote list' shows each remote's protocol.");
        }
        if (remote.AuthType is { } auth && auth != "tls")
        {
            throw new IncusBackupException(ErrorIds.RemoteNotSupported, ErrorKind.InvalidArgument,
                $"The remote '{remote.Name}' authenticates with {auth}; this module speaks TLS client certificates only.",
                remote.Name, $"Add the server a second time with a certificate: incus remote add {remote.Name}-tls {remote.Address} --auth-type tls.");
        }
        if (remote.IsUnixSocket)
        {
            return new ResolvedServer
            {
                RemoteName = remote.Name, Project = remote.Project, IsImplicitLocal = implicitLocal,
                Options = new IncusConnectionOptions { SocketPath = remote.SocketPath },
            };
        }

        var address = ParseHttps(remote.Address, $"the address of remote '{remote.Name}'");
        var howToTrust = $"Check the fingerprint against the server's own ('incus info' on the server shows certificate_fingerprint), then run 'incus remote remove {remote.Name}' and 'incus remote add {remote.Name} {remote.Address}', which saves its certificate in {config.ServerCertificatePath(remote)}.";
        var (certPath, keyPath, caPath) = config.ClientCertificatePaths(remote.Name);
        return new ResolvedServer
        {
            RemoteName = remote.Name,
            Project = remote.Project,
            Options = new IncusConnectionOptions
            {
                HttpsAddress = address,
                RemoteName = remote.Name,
                ServerTrust = TrustOf(config.ServerCertificatePath(remote), caPath, howToTrust),
                ClientCertificate = ClientCertificate.Load(certPath, keyPath),
            },
        };
    }

    private static ResolvedServer FromAddress(ConnectionRequest request, Func<string, string?> environment)
    {
        var server = request.Server!.Trim();
        if (server.StartsWith("unix:", StringComparison.Ordinal))
        {
            var socket = new IncusRemote { Name = server, Address = server };
            return new ResolvedServer { Options = new IncusConnectionOptions { SocketPath = socket.SocketPath } };
        }
        var address = ParseHttps(server, "-Server");
        var howToTrust = $"Check the fingerprint against the server's own ('incus info' on the server shows certificate_fingerprint), then pass it: -ServerCertificateThumbprint <fingerprint>. Or add the server as a remote (incus remote add <name> {address.GetLeftPart(UriPartial.Authority)}) and use -Remote <name>.";
        ServerCertificateTrust trust;
        if (!string.IsNullOrWhiteSpace(request.ServerCertificateThumbprint))
        {
            try
            {
                trust = ServerCertificateTrust.PinnedByFingerprint(request.ServerCertificateThumbprint, "-ServerCertificateThumbprint", howToTrust);
            }
            catch (ArgumentException e)
            {
                throw new IncusBackupException(ErrorIds.ServerAddressInvalid, ErrorKind.InvalidArgument, e.Message, request.ServerCertificateThumbprint,
                    "Copy certificate_fingerprint from 'incus info' on the server.", e);
            }
        }
        else
        {
            trust = ServerCertificateTrust.Unknown("-Server without -ServerCertificateThumbprint", howToTrust);
        }

        // Without -Certificate, the identity the incus CLI uses (client.crt in its config directory).
        var certificate = request.Certificate;
        if (certificate is null)
        {
            var configDir = RemoteConfig.ConfigDirectoryFrom(environment);
            certificate = ClientCertificate.Load(Path.Combine(configDir, "client.crt"), Path.Combine(configDir, "client.key"),
                "Pass -Certificate (an X509Certificate2 with its private key, or the path of a PEM certificate with its .key beside it), or create the incus CLI's own with 'incus remote generate-certificate'.");
        }
        else
        {
            if (!certificate.HasPrivateKey)
            {
                throw new IncusBackupException(ErrorIds.ClientCertificateMissing, ErrorKind.InvalidArgument,
                    $"The -Certificate '{certificate.Subject}' has no private key.", certificate.Subject,
                    "Load it with its key: [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile('client.crt', 'client.key').");
            }
            ClientCertificate.CheckValidity(certificate, $"'{certificate.Subject}' (-Certificate)");
        }
        return new ResolvedServer
        {
            Options = new IncusConnectionOptions { HttpsAddress = address, ServerTrust = trust, ClientCertificate = certificate },
        };
    }

    /// <summary>The pinned servercerts/ file, and the remote's CA in PKI mode; with neither, nothing is trusted yet.</summary>
    private static ServerCertificateTrust TrustOf(string serverCertPath, string caPath, string howToTrust)
    {
        X509Certificate2Collection? authority = null;
        if (File.Exists(caPath))
        {
            authority = [];
            try
            {
                authority.ImportFromPemFile(caPath);
            }
            catch (CryptographicException e)
            {
                throw Unreadable(caPath, e);
            }
        }
        if (File.Exists(serverCertPath)) return ServerCertificateTrust.Pinned(ReadCertificate(serverCertPath), authority, serverCertPath, howToTrust);
        return authority is not null ? ServerCertificateTrust.Authority(authority, caPath, howToTrust)
            : ServerCertificateTrust.Unknown($"no {serverCertPath}", howToTrust);
    }

    private static X509Certificate2 ReadCertificate(string path)
    {
        try
        {
            return X509Certificate2.CreateFromPem(File.ReadAllText(path));
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, e);
        }
    }

    private static IncusBackupException Unreadable(string path, Exception e) =>
        new(ErrorIds.RemoteConfigInvalid, ErrorKind.InvalidData, $"The certificate file {path} cannot be read: {e.Message}", path,
            "It must be a PEM certificate as the incus CLI saves it; remove and add the remote again to rewrite it.", e);

    /// <summary>https://host[:port] (8443 when left out, as the CLI assumes); http:// is refused, Incus speaks only TLS.</summary>
    private static Uri ParseHttps(string address, string source)
    {
        var text = address.Contains("://", StringComparison.Ordinal) ? address : "https://" + address;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host))
        {
            throw new IncusBackupException(ErrorIds.ServerAddressInvalid, ErrorKind.InvalidArgument,
                $"'{address}' ({source}) is not an Incus server address.", address, "Write it as https://host:8443 (or unix:///path/to/unix.socket).");
        }
        return new UriBuilder(Uri.UriSchemeHttps, uri.Host, HasExplicitPort(text) ? uri.Port : DefaultPort, "/").Uri;
    }

    private static bool HasExplicitPort(string text)
    {
        var authority = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..].Split('/')[0];
        var colon = authority.LastIndexOf(':');
        return colon >= 0 && colon > authority.LastIndexOf(']');
    }
}
