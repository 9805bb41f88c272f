using System.Security.Cryptography.X509Certificates;

namespace IncusBackup.Incus.Remotes;

/// <summary>What the caller said about the server to use: the cmdlets' -Remote, -Server, -Certificate and -ServerCertificateThumbprint.</summary>
public sealed record ConnectionRequest
{
    /// <summary>A remote of the incus CLI's config.</summary>
    public string? Remote { get; init; }

    /// <summary>An address without the CLI's config: https://host[:port], unix:// or unix:///path.</summary>
    public string? Server { get; init; }

    /// <summary>The client certificate (with its private key) for <see cref="Server"/>.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The SHA-256 fingerprint the server's certificate must have.</summary>
    public string? ServerCertificateThumbprint { get; init; }
}
