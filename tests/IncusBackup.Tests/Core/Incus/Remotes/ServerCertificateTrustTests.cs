using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using IncusBackup.Incus.Remotes;

using Xunit;

namespace IncusBackup.Tests.Core.Incus.Remotes;

public sealed class ServerCertificateTrustTests
{
    [Fact]
    public void APin_AcceptsExactlyThatCertificate_AndRemembersWhatItRefused()
    {
        using var pinned = TestCertificates.Create("server");
        using var other = TestCertificates.Create("server");
        var trust = ServerCertificateTrust.Pinned(pinned, null, "servercerts/lab.crt", "how");

        Assert.True(trust.Validate(pinned, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trust.Validate(other, SslPolicyErrors.None));
        Assert.Equal(ServerCertificateTrust.Fingerprint(other), trust.RejectedFingerprint);
    }

    [Fact]
    public void AFingerprintPin_MatchesTheSha256OfTheDer()
    {
        using var server = TestCertificates.Create("server");
        var fingerprint = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(server.RawData));

        Assert.True(ServerCertificateTrust.PinnedByFingerprint(fingerprint, "-ServerCertificateThumbprint", "how").Validate(server, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void Unknown_RefusesEverything_NoTrustOnFirstUse()
    {
        using var server = TestCertificates.Create("server");
        var trust = ServerCertificateTrust.Unknown("nothing", "how");

        Assert.False(trust.Validate(server, SslPolicyErrors.None));
        Assert.False(trust.IsConfigured);
        Assert.Equal(64, trust.RejectedFingerprint!.Length);
    }

    [Fact]
    public void PkiMode_AcceptsACertificateSignedByTheCa_ButNotOneWithAnotherName()
    {
        using var caKey = System.Security.Cryptography.ECDsa.Create();
        var caRequest = new CertificateRequest("CN=test CA", caKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        using var serverKey = System.Security.Cryptography.ECDsa.Create();
        var serverRequest = new CertificateRequest("CN=server", serverKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var server = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(5), [1, 2, 3]);
        var trust = ServerCertificateTrust.Authority([ca], "client.ca", "how");

        Assert.True(trust.Validate(server, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trust.Validate(server, SslPolicyErrors.RemoteCertificateNameMismatch));
        using var stranger = TestCertificates.Create("server");
        Assert.False(trust.Validate(stranger, SslPolicyErrors.RemoteCertificateChainErrors));
    }
}
