using System.Security.Cryptography.X509Certificates;
using IncusBackup.Errors;
using IncusBackup.Incus.Remotes;
using IncusBackup.Tests.Infrastructure;

using Xunit;

namespace IncusBackup.Tests.Core.Incus.Remotes;

public sealed class RemoteResolverTests : IDisposable
{
    private readonly TempDirectory _conf = new();
    private readonly TempDirectory _global = new();
    private string? _incusRemote;

    public RemoteResolverTests()
    {
        File.WriteAllText(_conf.Combine("config.yml"), """
            default-remote: lab
            remotes:
              lab:
                addr: https://127.0.0.1:8443
                project: shop
                protocol: incus
              noport:
                addr: https://lab.example
                protocol: incus
              sock:
                addr: unix:///srv/other/unix.socket
                protocol: incus
              images:
                addr: https://images.linuxcontainers.org
                protocol: simplestreams
                public: true
              oci-hub:
                addr: https://registry.example
                protocol: oci
                public: true
              sso:
                addr: https://sso.example:8443
                auth_type: oidc
                protocol: incus
            """);
        TestCertificates.Write(TestCertificates.Create("client"), _conf.Combine("client.crt"), _conf.Combine("client.key"));
        TestCertificates.Write(TestCertificates.Create("server"), _conf.Combine("servercerts", "lab.crt"));
    }

    public void Dispose()
    {
        _conf.Dispose();
        _global.Dispose();
    }

    private string? Environment(string name) => name switch
    {
        RemoteConfig.ConfigDirVariable => _conf.Path,
        RemoteConfig.GlobalConfigDirVariable => _global.Path,
        RemoteConfig.DefaultRemoteVariable => _incusRemote,
        _ => null,
    };

    private ResolvedServer Resolve(string? remote = null) => RemoteResolver.Resolve(new ConnectionRequest { Remote = remote }, Environment);

    [Fact]
    public void DefaultRemote_IsUsedWithoutParameter_WithItsProjectAndCertificates()
    {
        var resolved = Resolve();

        Assert.Equal("lab", resolved.RemoteName);
        Assert.Equal("shop", resolved.Project);
        Assert.Equal(new Uri("https://127.0.0.1:8443/"), resolved.Options.HttpsAddress);
        Assert.True(resolved.Options.ClientCertificate!.HasPrivateKey);
        Assert.True(resolved.Options.ServerTrust!.IsConfigured);
        Assert.Equal(_conf.Combine("servercerts", "lab.crt"), resolved.Options.ServerTrust.Source);
    }

    [Fact]
    public void Precedence_IsParameter_ThenIncusRemote_ThenDefaultRemote()
    {
        _incusRemote = "sock";
        Assert.Equal("sock", Resolve().RemoteName);
        Assert.Equal("local", Resolve("local").RemoteName);
    }

    [Fact]
    public void AUnixRemote_IsItsSocket_AndLocalIsTheDefaultSocket()
    {
        Assert.Equal("/srv/other/unix.socket", Resolve("sock").Options.SocketPath);
        var local = Resolve("local");
        Assert.Null(local.Options.SocketPath);
        Assert.Null(local.Options.HttpsAddress);
    }

    [Fact]
    public void NoConfigAtAll_IsTheLocalSocket_AsBeforeRemotesExisted()
    {
        File.Delete(_conf.Combine("config.yml"));

        var resolved = Resolve();

        Assert.True(resolved.IsImplicitLocal);
        Assert.Null(resolved.Options.HttpsAddress);
        Assert.Null(resolved.Project);
    }

    [Fact]
    public void AnAddressWithoutPort_Gets8443()
    {
        TestCertificates.Write(TestCertificates.Create("server"), _conf.Combine("servercerts", "noport.crt"));

        Assert.Equal(8443, Resolve("noport").Options.HttpsAddress!.Port);
    }

    [Fact]
    public void AnUnknownName_IsRemoteNotFound_ListingTheKnownOnes()
    {
        var e = Assert.Throws<IncusBackupException>(() => Resolve("nope"));

        Assert.Equal(ErrorIds.RemoteNotFound, e.ErrorId);
        Assert.Contains("'nope'", e.Message, StringComparison.Ordinal);
        Assert.Contains("lab, local", e.RecommendedAction, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("images")]
    [InlineData("oci-hub")]
    [InlineData("sso")]
    public void ImageServersAndOidc_AreRemoteNotSupported(string remote)
    {
        Assert.Equal(ErrorIds.RemoteNotSupported, Assert.Throws<IncusBackupException>(() => Resolve(remote)).ErrorId);
    }

    [Fact]
    public void WithoutServerCertificate_NothingIsTrusted()
    {
        TestCertificates.Write(TestCertificates.Create("x"), _conf.Combine("unused.crt"));

        var trust = Resolve("noport").Options.ServerTrust!;

        Assert.False(trust.IsConfigured);
    }

    [Fact]
    public void MissingClientCertificate_IsClientCertificateMissing()
    {
        File.Delete(_conf.Combine("client.crt"));

        Assert.Equal(ErrorIds.ClientCertificateMissing, Assert.Throws<IncusBackupException>(() => Resolve("lab")).ErrorId);
    }

    [Fact]
    public void APerRemoteClientCertificate_IsUsedForThatRemote()
    {
        TestCertificates.Write(TestCertificates.Create("lab-only"), _conf.Combine("clientcerts", "lab.crt"), _conf.Combine("clientcerts", "lab.key"));

        Assert.Contains("lab-only", Resolve("lab").Options.ClientCertificate!.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void APassphraseProtectedKey_IsClientKeyEncrypted()
    {
        using var certificate = TestCertificates.Create("client");
        var encrypted = certificate.GetECDsaPrivateKey()!.ExportEncryptedPkcs8PrivateKeyPem("secret",
            new System.Security.Cryptography.PbeParameters(System.Security.Cryptography.PbeEncryptionAlgorithm.Aes256Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 1000));
        File.WriteAllText(_conf.Combine("client.key"), encrypted);

        var e = Assert.Throws<IncusBackupException>(() => Resolve("lab"));

        Assert.Equal(ErrorIds.ClientKeyEncrypted, e.ErrorId);
        Assert.Contains("openssl pkey", e.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public void AnExpiredClientCertificate_IsClientCertificateExpired()
    {
        var expired = TestCertificates.Create("old", notBefore: DateTimeOffset.UtcNow.AddYears(-2), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        TestCertificates.Write(expired, _conf.Combine("client.crt"), _conf.Combine("client.key"));

        Assert.Equal(ErrorIds.ClientCertificateExpired, Assert.Throws<IncusBackupException>(() => Resolve("lab")).ErrorId);
    }

    [Fact]
    public void Server_PinsTheThumbprint_AndUsesTheCliClientCertificateByDefault()
    {
        var resolved = RemoteResolver.Resolve(new ConnectionRequest { Server = "10.0.0.5", ServerCertificateThumbprint = new string('A', 32) + ":" + new string('b', 32) }, Environment);

        Assert.Equal(new Uri("https://10.0.0.5:8443/"), resolved.Options.HttpsAddress);
        Assert.Equal(new string('a', 32) + new string('b', 32), resolved.Options.ServerTrust!.PinnedFingerprint);
        Assert.Contains("client", resolved.Options.ClientCertificate!.Subject, StringComparison.Ordinal);
        Assert.Null(resolved.Project);
    }

    [Fact]
    public void Server_WithoutThumbprint_TrustsNothing_AndRemoteWithServer_Conflicts()
    {
        Assert.False(RemoteResolver.Resolve(new ConnectionRequest { Server = "https://h:9443" }, Environment).Options.ServerTrust!.IsConfigured);
        Assert.Equal(ErrorIds.ConflictingParameters,
            Assert.Throws<IncusBackupException>(() => RemoteResolver.Resolve(new ConnectionRequest { Server = "https://h", Remote = "lab" }, Environment)).ErrorId);
    }

    [Theory]
    [InlineData("http://h:8443")]
    [InlineData("ftp://h")]
    public void Server_MustBeHttpsOrUnix(string server)
    {
        Assert.Equal(ErrorIds.ServerAddressInvalid,
            Assert.Throws<IncusBackupException>(() => RemoteResolver.Resolve(new ConnectionRequest { Server = server, ServerCertificateThumbprint = new string('a', 64) }, Environment)).ErrorId);
    }

    [Fact]
    public void Server_AThumbprintThatIsNotSha256_IsServerAddressInvalid()
    {
        Assert.Equal(ErrorIds.ServerAddressInvalid,
            Assert.Throws<IncusBackupException>(() => RemoteResolver.Resolve(new ConnectionRequest { Server = "h", ServerCertificateThumbprint = "abc" }, Environment)).ErrorId);
    }
}
