using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IncusBackup.Tests.Core.Incus.Remotes;

/// <summary>Self-signed certificates written as PEM, as `incus remote generate-certificate` writes them (ECDSA P-384, SEC1 key).</summary>
internal static class TestCertificates
{
    public static X509Certificate2 Create(string name, DateTimeOffset? notAfter = null, DateTimeOffset? notBefore = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest($"O=IncusBackup tests, CN={name}", key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var from = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
        return request.CreateSelfSigned(from, notAfter ?? from.AddYears(1));
    }

    /// <summary>Writes <paramref name="certificate"/> to <paramref name="crtPath"/> and, if given, its key (SEC1 "EC PRIVATE KEY") to <paramref name="keyPath"/>.</summary>
    public static void Write(X509Certificate2 certificate, string crtPath, string? keyPath = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(crtPath)!);
        File.WriteAllText(crtPath, certificate.ExportCertificatePem());
        if (keyPath is not null) File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportECPrivateKeyPem());
    }
}
