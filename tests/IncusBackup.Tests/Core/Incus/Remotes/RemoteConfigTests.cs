using IncusBackup.Errors;
using IncusBackup.Incus.Remotes;
using IncusBackup.Tests.Infrastructure;

using Xunit;

namespace IncusBackup.Tests.Core.Incus.Remotes;

public sealed class RemoteConfigTests : IDisposable
{
    private readonly TempDirectory _user = new();
    private readonly TempDirectory _global = new();

    public void Dispose()
    {
        _user.Dispose();
        _global.Dispose();
    }

    private string? Environment(string name) => name switch
    {
        RemoteConfig.ConfigDirVariable => _user.Path,
        RemoteConfig.GlobalConfigDirVariable => _global.Path,
        _ => null,
    };

    [Fact]
    public void ReadsTheRemotesAndDefaultRemote_AsTheCliWritesThem()
    {
        File.WriteAllText(_user.Combine("config.yml"), """
            default-remote: lab
            remotes:
              images:
                addr: https://images.linuxcontainers.org
                protocol: simplestreams
                public: true
              lab:
                addr: https://lab.example:8443
                auth_type: tls
                project: shop
                protocol: incus
                public: false
              local:
                addr: unix://
                project: staging
                protocol: incus
                public: false
            aliases: {}
            """);

        var config = RemoteConfig.Load(Environment);

        Assert.Equal("lab", config.DefaultRemote);
        var lab = config.Remotes["lab"];
        Assert.Equal(("https://lab.example:8443", "incus", "shop", "tls", false), (lab.Address, lab.Protocol, lab.Project, lab.AuthType, lab.Public));
        Assert.Equal("staging", config.Remotes["local"].Project);
        Assert.Equal(["lab", "local"], config.ServerNames);
        Assert.Equal(_user.Combine("servercerts", "lab.crt"), config.ServerCertificatePath(lab));
    }

    [Fact]
    public void WithoutAnyFile_HasTheCliDefaults_LocalOnTheDefaultSocket()
    {
        var config = RemoteConfig.Load(Environment);

        Assert.Null(config.DefaultRemote);
        Assert.Equal("unix://", config.Remotes["local"].Address);
        Assert.Null(config.Remotes["local"].SocketPath);
        Assert.Equal("simplestreams", config.Remotes["images"].Protocol);
    }

    [Fact]
    public void GlobalRemotes_FillIn_ButTheUsersWin_AndTheirCertificatesLiveInTheGlobalDirectory()
    {
        File.WriteAllText(_user.Combine("config.yml"), "remotes:\n  lab:\n    addr: https://mine:8443\n");
        File.WriteAllText(_global.Combine("config.yml"), "remotes:\n  lab:\n    addr: https://theirs:8443\n  site:\n    addr: https://site:8443\n");

        var config = RemoteConfig.Load(Environment);

        Assert.Equal("https://mine:8443", config.Remotes["lab"].Address);
        Assert.True(config.Remotes["site"].Global);
        Assert.Equal(_global.Combine("servercerts", "site.crt"), config.ServerCertificatePath(config.Remotes["site"]));
    }

    [Fact]
    public void LocalIsAlwaysTheDefaultSocket_EvenIfTheFileSaysOtherwise()
    {
        File.WriteAllText(_user.Combine("config.yml"), "remotes:\n  local:\n    addr: https://elsewhere:8443\n    project: p1\n");

        var local = RemoteConfig.Load(Environment).Remotes["local"];

        Assert.Equal(("unix://", "p1"), (local.Address, local.Project));
    }

    [Theory]
    [InlineData("unix://", null)]
    [InlineData("unix:///srv/incus/unix.socket", "/srv/incus/unix.socket")]
    [InlineData("unix:/srv/incus/unix.socket", "/srv/incus/unix.socket")]
    public void UnixAddresses_NameASocket(string address, string? socket)
    {
        var remote = new IncusRemote { Name = "x", Address = address };

        Assert.True(remote.IsUnixSocket);
        Assert.Equal(socket, remote.SocketPath);
    }

    [Fact]
    public void PerRemoteClientCertificates_OverrideTheSharedOnes()
    {
        TestCertificates.Write(TestCertificates.Create("per-remote"), _user.Combine("clientcerts", "lab.crt"));
        var config = RemoteConfig.Load(Environment);

        Assert.Equal(_user.Combine("clientcerts", "lab.key"), config.ClientCertificatePaths("lab").Key);
        Assert.Equal(_user.Combine("client.key"), config.ClientCertificatePaths("other").Key);
    }

    [Fact]
    public void BrokenYaml_IsRemoteConfigInvalid_NamingTheFile()
    {
        File.WriteAllText(_user.Combine("config.yml"), "remotes: [unclosed\n");

        var e = Assert.Throws<IncusBackupException>(() => RemoteConfig.Load(Environment));

        Assert.Equal(ErrorIds.RemoteConfigInvalid, e.ErrorId);
        Assert.Contains(_user.Combine("config.yml"), e.Message, StringComparison.Ordinal);
    }
}
