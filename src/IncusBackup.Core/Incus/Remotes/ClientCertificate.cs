using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IncusBackup.Errors;

namespace IncusBackup.Incus.Remotes;

/// <summary>
/// Loads the TLS client certificate the server knows this client by: PEM certificate and key, as the incus CLI
/// writes them (ECDSA P-384, SEC1 key) or any RSA/EC key in PKCS#1/PKCS#8 form. A key protected by a passphrase,
/// an expired certificate and a missing file each get their own error before anything is sent.
/// </summary>
public static class ClientCertificate
{
    /// <summary>Reads a certificate and its key (PEM); <paramref name="keyPath"/> may be the certificate file itself.</summary>
    public static X509Certificate2 Load(string certificatePath, string keyPath, string? hint = null)
    {
        if (!File.Exists(certificatePath))
        {
            throw new IncusBackupException(ErrorIds.ClientCertificateMissing, ErrorKind.NotFound,
                $"There is no client certificate at {certificatePath}.", certificatePath,
                hint ?? "Create one with 'incus remote generate-certificate' (it writes client.crt and client.key to the incus config directory), and have the server trust it.");
        }
        if (!File.Exists(keyPath))
        {
            throw new IncusBackupException(ErrorIds.ClientCertificateMissing, ErrorKind.NotFound,
                $"The client certificate {certificatePath} has no private key at {keyPath}.", keyPath,
                "Put the key next to the certificate (same name, .key), or regenerate both with 'incus remote generate-certificate'.");
        }
        string keyText;
        try
        {
            keyText = File.ReadAllText(keyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IncusBackupException(ErrorIds.ClientCertificateMissing, ErrorKind.PermissionDenied,
                $"The client key {keyPath} cannot be read: {e.Message}", keyPath, "Run as the user who owns the incus config directory.", e);
        }
        if (IsEncrypted(keyText))
        {
            throw new IncusBackupException(ErrorIds.ClientKeyEncrypted, ErrorKind.InvalidArgument,
                $"The client key {keyPath} is protected by a passphrase, and a scheduled backup cannot type one.", keyPath,
                $"Store the key without a passphrase, readable only by its owner: openssl pkey -in '{keyPath}' -out '{keyPath}.plain' && chmod 600 '{keyPath}.plain' && mv '{keyPath}.plain' '{keyPath}'. " +
                "Or load it yourself ([System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromEncryptedPemFile(crt, password, key)) and pass it to -Certificate.");
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath), keyText);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException)
        {
            throw new IncusBackupException(ErrorIds.ClientCertificateMissing, ErrorKind.InvalidData,
                $"The client certificate {certificatePath} with key {keyPath} cannot be used: {e.Message}", certificatePath,
                "Check that both files are PEM and belong together, or regenerate them with 'incus remote generate-certificate'.", e);
        }
        CheckValidity(certificate, certificatePath);
        return certificate;
    }

    /// <summary>A certificate outside its validity period is refused here, with a clear reason, rather than by the server.</summary>
    public static void CheckValidity(X509Certificate2 certificate, string description)
    {
        var now = DateTime.Now;
        if (now <= certificate.NotAfter && now >= certificate.NotBefore) return;
        var when = now > certificate.NotAfter ? $"expired on {certificate.NotAfter.ToUniversalTime():u}" : $"is valid only from {certificate.NotBefore.ToUniversalTime():u}";
        throw new IncusBackupException(ErrorIds.ClientCertificateExpired, ErrorKind.InvalidArgument,
            $"The client certificate {description} {when}.", description,
            "Create a new one (incus remote generate-certificate, after moving the old client.crt/client.key away) and have the server trust it (incus config trust add-certificate).");
    }

    /// <summary>PKCS#8 "ENCRYPTED PRIVATE KEY", or OpenSSL's legacy "Proc-Type: 4,ENCRYPTED" header.</summary>
    private static bool IsEncrypted(string pem) =>
        pem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal)
        || pem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal);
}
