using IncusBackup.Config;
using Xunit;
using static IncusBackup.Tests.Core.Config.ConfigJson;

namespace IncusBackup.Tests.Core.Config;

/// <summary>
/// Comparing a config backup with the server: Create, Unchanged, Update with every changed field under the names
/// incus config uses (config.key, devices.dev.key), Extra only within what the backup covered, and the server's
/// keys always an Update.
/// </summary>
public sealed class ConfigDiffTests
{
    private const string Web = """
        {"name":"web","project":"p","description":"Web servers","config":{"limits.cpu":"2","limits.memory":"1GiB","user.a":"1"},
         "devices":{"eth0":{"type":"nic","network":"br0","name":"eth0"},"root":{"type":"disk","pool":"fast","path":"/"},"logs":{"type":"disk","source":"/srv/logs","path":"/logs"}}}
        """;

    private static ConfigSnapshot Snapshot(params ConfigResource[] resources) => new(resources);

    private static string[] Fields(ConfigComparison c) => [.. c.Change.Changes.Select(f => f.ToString())];

    [Fact]
    public void Compare_InTheBackupOnly_IsCreate_WithEveryFieldFromNone()
    {
        var desired = Profile("p", "web", """{"name":"web","project":"p","description":"Web","config":{"limits.cpu":"2"},"devices":{"eth0":{"type":"nic","network":"br0"}}}""");

        var result = ConfigDiff.Compare(Snapshot(desired), Snapshot(), wholeServer: true);

        var c = Assert.Single(result);
        Assert.Equal(ConfigAction.Create, c.Change.Action);
        Assert.Equal(("Profile", "p", "web"), (c.Change.Kind, c.Change.Project, c.Change.Name));
        Assert.Equal(["config.limits.cpu: (none) -> 2", "description: (none) -> Web", "devices.eth0.network: (none) -> br0", "devices.eth0.type: (none) -> nic"], Fields(c));
        Assert.Same(desired, c.Desired);
        Assert.Null(c.Current);
    }

    [Fact]
    public void Compare_TheSameConfig_InAnotherOrder_WithAnEmptyDescriptionLeftOut_IsUnchanged()
    {
        var desired = Profile("p", "web", Web);
        var current = Profile("p", "web", """
            {"devices":{"logs":{"path":"/logs","source":"/srv/logs","type":"disk"},"root":{"path":"/","pool":"fast","type":"disk"},"eth0":{"name":"eth0","network":"br0","type":"nic"}},
             "config":{"user.a":"1","limits.memory":"1GiB","limits.cpu":"2"},"description":"Web servers","project":"p","name":"web"}
            """);
        var pool = Pool("fast", """{"name":"fast","driver":"dir","description":"","config":{"source":"/srv"}}""");
        var poolWithoutDescription = Pool("fast", """{"name":"fast","driver":"dir","config":{"source":"/srv"}}""");

        var result = ConfigDiff.Compare(Snapshot(desired, pool), Snapshot(current, poolWithoutDescription), wholeServer: true);

        Assert.Equal([(ConfigAction.Unchanged, "StoragePool"), (ConfigAction.Unchanged, "Profile")], result.Select(c => (c.Change.Action, c.Change.Kind)));
        Assert.All(result, c => Assert.Empty(c.Change.Changes));
    }

    [Fact]
    public void Compare_Differences_AreAnUpdate_WithEachFieldsOldAndNewValue()
    {
        var desired = Profile("p", "web", Web);
        // limits.cpu changed, limits.memory removed, user.b added, description changed, eth0's network changed and
        // mtu added, root removed, a gpu added, logs the same.
        var current = Profile("p", "web", """
            {"name":"web","project":"p","description":"Changed","config":{"limits.cpu":"4","user.a":"1","user.b":"x"},
             "devices":{"eth0":{"type":"nic","network":"br1","name":"eth0","mtu":"1400"},"gpu":{"type":"gpu"},"logs":{"type":"disk","source":"/srv/logs","path":"/logs"}}}
            """);

        var c = Assert.Single(ConfigDiff.Compare(Snapshot(desired), Snapshot(current), wholeServer: true));

        Assert.Equal(ConfigAction.Update, c.Change.Action);
        Assert.Equal(
            [
                ("config.limits.cpu", "4", "2"),
                ("config.limits.memory", null, "1GiB"),
                ("config.user.b", "x", null),
                ("description", "Changed", "Web servers"),
                ("devices.eth0.mtu", "1400", null),
                ("devices.eth0.network", "br1", "br0"),
                ("devices.gpu.type", "gpu", null),
                ("devices.root.path", null, "/"),
                ("devices.root.pool", null, "fast"),
                ("devices.root.type", null, "disk"),
            ],
            c.Change.Changes.Select(f => (f.Field, f.Old, f.New)));
        Assert.Equal("Update Profile p/web", c.Change.ToString());
    }

    [Fact]
    public void Compare_AnEmptiedDescription_IsAChangeToNone()
    {
        var desired = Network("default", "br0", """{"name":"br0","type":"bridge","project":"default","description":"","config":{}}""");
        var current = Network("default", "br0", """{"name":"br0","type":"bridge","project":"default","description":"LAN","config":{}}""");

        var c = Assert.Single(ConfigDiff.Compare(Snapshot(desired), Snapshot(current), wholeServer: true));

        Assert.Equal(ConfigAction.Update, c.Change.Action);
        Assert.Equal(["description: LAN -> (none)"], Fields(c));
    }

    [Fact]
    public void Compare_WholeServer_EverythingOnlyTheServerHas_IsExtra_AfterTheBackupsResources()
    {
        var backup = Snapshot(Project("p", """{"name":"p","config":{}}"""), Profile("p", "web", """{"name":"web","config":{}}"""));
        var server = Snapshot(
            Project("p", """{"name":"p","config":{}}"""), Project("q", """{"name":"q","config":{}}"""), Pool("new", """{"name":"new","driver":"dir","config":{}}"""),
            Network("default", "br9", """{"name":"br9","type":"bridge","config":{}}"""), Profile("p", "web", """{"name":"web","config":{}}"""),
            Profile("p", "extra", """{"name":"extra","config":{}}"""), Profile("q", "other", """{"name":"other","config":{}}"""),
            Server("""{"config":{"core.https_address":":8443"}}"""));

        var result = ConfigDiff.Compare(backup, server, wholeServer: true);

        Assert.Equal(
            ["Unchanged Project p", "Unchanged Profile p/web", "Extra Project q", "Extra StoragePool new", "Extra Network default/br9", "Extra Profile p/extra", "Extra Profile q/other"],
            result.Select(c => c.Change.ToString()));
        Assert.All(result.Where(c => c.Change.Action == ConfigAction.Extra), c => Assert.Null(c.Desired));
    }

    [Fact]
    public void Compare_OneProject_ReportsAsExtraOnlyWhatIsInThatProject()
    {
        var backup = Snapshot(Project("p", """{"name":"p","config":{}}"""), Pool("fast", """{"name":"fast","driver":"dir","config":{}}"""),
            Profile("p", "web", """{"name":"web","config":{}}"""));
        var server = Snapshot(
            Project("p", """{"name":"p","config":{}}"""), Project("q", """{"name":"q","config":{}}"""),
            Pool("fast", """{"name":"fast","driver":"dir","config":{}}"""), Pool("slow", """{"name":"slow","driver":"dir","config":{}}"""),
            Network("p", "ovn9", """{"name":"ovn9","type":"ovn","config":{}}"""), Network("default", "br9", """{"name":"br9","type":"bridge","config":{}}"""),
            Profile("p", "web", """{"name":"web","config":{}}"""), Profile("p", "extra", """{"name":"extra","config":{}}"""),
            Profile("q", "other", """{"name":"other","config":{}}"""), Server("""{"config":{"core.https_address":":8443"}}"""));

        var result = ConfigDiff.Compare(backup, server, wholeServer: false);

        Assert.Equal(
            ["Unchanged Project p", "Unchanged StoragePool fast", "Unchanged Profile p/web", "Extra Network p/ovn9", "Extra Profile p/extra"],
            result.Select(c => c.Change.ToString()));
    }

    [Fact]
    public void Compare_ServerKeysTheServerDoesNotHave_AreAnUpdate_NeverACreate()
    {
        var backup = Snapshot(Server("""{"config":{"images.compression_algorithm":"gzip","core.https_address":":8443"}}"""));

        var c = Assert.Single(ConfigDiff.Compare(backup, Snapshot(), wholeServer: true));

        Assert.Equal(ConfigAction.Update, c.Change.Action);
        Assert.Equal(("Server", null, "server"), (c.Change.Kind, c.Change.Project, c.Change.Name));
        Assert.Equal(["config.core.https_address: (none) -> :8443", "config.images.compression_algorithm: (none) -> gzip"], Fields(c));
    }

    [Fact]
    public void Compare_TheSameServerKeys_AreUnchanged()
    {
        var backup = Snapshot(Server("""{"config":{"images.compression_algorithm":"gzip"}}"""));
        var server = Snapshot(Server("""{"config":{"images.compression_algorithm":"gzip"}}"""));

        var c = Assert.Single(ConfigDiff.Compare(backup, server, wholeServer: true));

        Assert.Equal(ConfigAction.Unchanged, c.Change.Action);
    }

    [Fact]
    public void Compare_AServerKeyTheBackupDoesNotHave_IsShownAsRemoved_AsTheApplierRemovesIt()
    {
        var backup = Snapshot(Server("""{"config":{"images.compression_algorithm":"gzip"}}"""));
        var server = Snapshot(Server("""{"config":{"images.compression_algorithm":"zstd","core.https_address":":8443"}}"""));

        var c = Assert.Single(ConfigDiff.Compare(backup, server, wholeServer: true));

        Assert.Equal(ConfigAction.Update, c.Change.Action);
        Assert.Equal(["config.core.https_address: :8443 -> (none)", "config.images.compression_algorithm: zstd -> gzip"], Fields(c));
    }
}
