using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IncusBackup.Incus.Remotes;

/// <summary>
/// Which server certificate an HTTPS connection accepts. Incus servers use self-signed certificates, so the normal
/// answer is a pin: the exact certificate the incus CLI saved in servercerts/&lt;remote&gt;.crt, or a SHA-256
/// fingerprint given with -ServerCertificateThumbprint. A remote in PKI mode (client.ca) also accepts a certificate
/// whose chain ends at that CA and which names the host. With neither, nothing is accepted: a first contact fails with the
/// certificate's fingerprint, never trust-on-first-use. The last rejected certificate is kept for the error message.
/// </summary>
public sealed class ServerCertificateTrust
{
    private ServerCertificateTrust(byte[]? pinnedDer, string? pinnedFingerprint, X509Certificate2Collection? authority, string source, string howToTrust)
    {
        _pinnedDer = pinnedDer;
        PinnedFingerprint = pinnedFingerprint;
        _authority = authority;
        Source = source;
        HowToTrust = howToTrust;
    }

    private readonly byte[]? _pinnedDer;
    private readonly X509Certificate2Collection? _authority;
    private volatile string? _rejectedFingerprint;

    /// <summary>The SHA-256 fingerprint the connection must meet; null in PKI mode or when nothing is pinned.</summary>
    public string? PinnedFingerprint { get; }

    /// <summary>Where the pin or CA comes from, for messages ("/root/.config/incus/servercerts/web.crt").</summary>
    public string Source { get; }

    /// <summary>What the operator does to trust the server, for the message of a first contact.</summary>
    public string HowToTrust { get; }

    /// <summary>Something pins or vouches for the server: a rejection then means a different certificate.</summary>
    public bool IsConfigured => PinnedFingerprint is not null || _authority is not null;

    /// <summary>The fingerprint of the certificate last refused, if one was.</summary>
    public string? RejectedFingerprint => _rejectedFingerprint;

    /// <summary>The fingerprint the server presented on the last successful handshake.</summary>
    public string? AcceptedFingerprint { get; private set; }

    /// <summary>Pins one certificate exactly; with a CA (PKI mode), a certificate that chains to it is accepted as well, as the CLI's TLS config does.</summary>
    public static ServerCertificateTrust Pinned(X509Certificate2 certificate, X509Certificate2Collection? authority, string source, string howToTrust) =>
        new(certificate.RawData, Fingerprint(certificate), authority, source, howToTrust);

    /// <summary>Pins a SHA-256 fingerprint (hex, colons and spaces allowed).</summary>
    public static ServerCertificateTrust PinnedByFingerprint(string fingerprint, string source, string howToTrust) =>
        new(null, NormalizeFingerprint(fingerprint), null, source, howToTrust);

    /// <summary>PKI mode: any certificate that chains to the CA and names the host.</summary>
    public static ServerCertificateTrust Authority(X509Certificate2Collection authority, string source, string howToTrust) =>
        new(null, null, authority, source, howToTrust);

    /// <summary>Nothing trusted yet: every certificate is refused and its fingerprint reported.</summary>
    public static ServerCertificateTrust Unknown(string source, string howToTrust) => new(null, null, null, source, howToTrust);

    /// <summary>The TLS validation callback's decision.</summary>
    public bool Validate(X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null)
        {
            _rejectedFingerprint = "(no certificate)";
            return false;
        }
        var fingerprint = Fingerprint(presented);
        // A pin is an exact match (servercerts/ holds the server's own self-signed certificate), never a root to chain to.
        var ok = (PinnedFingerprint is not null && (_pinnedDer is null ? fingerprint == PinnedFingerprint : presented.GetRawCertData().AsSpan().SequenceEqual(_pinnedDer)))
            || (_authority is not null && ChainsToAuthority(presented, errors));
        if (ok) AcceptedFingerprint = fingerprint;
        else _rejectedFingerprint = fingerprint;
        return ok;
    }

    /// <summary>The SHA-256 of the certificate's DER bytes in lowercase hex, as incus shows fingerprints.</summary>
    public static string Fingerprint(X509Certificate certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));

    /// <summary>"AB:CD ef…" → "abcdef…"; anything but 64 hex digits is refused.</summary>
    public static string NormalizeFingerprint(string fingerprint)
    {
        var hex = new string([.. fingerprint.Where(c => c is not (':' or ' ' or '-'))]).ToLowerInvariant();
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
            throw new ArgumentException($"'{fingerprint}' is not a SHA-256 fingerprint (64 hex digits, as incus shows them).", nameof(fingerprint));
        return hex;
    }

    private bool ChainsToAuthority(X509Certificate presented, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var own = new X509Chain();
        own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        own.ChainPolicy.CustomTrustStore.AddRange(_authority!);
        own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return own.Build(certificate);
    }
}
