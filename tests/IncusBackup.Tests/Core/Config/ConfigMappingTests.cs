using IncusBackup.Config;
using Xunit;
using static IncusBackup.Tests.Core.Config.ConfigJson;

namespace IncusBackup.Tests.Core.Config;

/// <summary>-ProjectMap, -PoolMap, -NetworkMap and -ProfileMap: what each renames in a config backup, and what it leaves alone.</summary>
public sealed class ConfigMappingTests
{
    private static readonly Dictionary<string, string> NoMap = [];

    private static ConfigSnapshot Backup() => new(
    [
        Project("p", """{"name":"p","description":"","config":{"features.profiles":"true","features.networks":"true"}}"""),
        Project("q", """{"name":"q","description":"","config":{}}"""),
        Pool("fast", """{"name":"fast","driver":"dir","description":"","config":{"source":"/srv/fast"}}"""),
        Pool("slow", """{"name":"slow","driver":"dir","description":"","config":{"source":"/srv/slow"}}"""),
        Network("p", "ovn1", """{"name":"ovn1","type":"ovn","project":"p","description":"","config":{"network":"br0"}}"""),
        Network("default", "br0", """{"name":"br0","type":"bridge","project":"default","description":"","config":{}}"""),
        Profile("p", "web", """
            {"name":"web","project":"p","description":"","config":{"limits.cpu":"2"},
             "devices":{"root":{"type":"disk","path":"/","pool":"fast"},"data":{"type":"disk","path":"/data","pool":"slow","source":"vol"},
                        "eth0":{"type":"nic","network":"ovn1"},"eth1":{"type":"nic","nictype":"bridged","parent":"br0"}}}
            """),
        Profile("default", "web", """{"name":"web","project":"default","description":"","config":{},"devices":{}}"""),
        Server("""{"config":{"images.compression_algorithm":"zstd"}}"""),
    ]);

    private static ConfigResource Find(ConfigSnapshot snapshot, string key) => Assert.Single(snapshot.Resources, r => r.Key == key);

    [Fact]
    public void Apply_NoMaps_ChangesNothing()
    {
        var backup = Backup();

        var mapped = ConfigMapping.Apply(backup, NoMap, NoMap, NoMap, NoMap);

        Assert.Equal(backup.Resources.Select(r => r.Key), mapped.Resources.Select(r => r.Key));
        Assert.Equal(backup.Resources.Select(r => Canon(r.Body)), mapped.Resources.Select(r => Canon(r.Body)));
    }

    [Fact]
    public void Apply_ProjectMap_RenamesTheProject_AndMovesItsProfilesAndNetworks()
    {
        var mapped = ConfigMapping.Apply(Backup(), new Dictionary<string, string> { ["p"] = "p2" }, NoMap, NoMap, NoMap);

        Assert.Equal(
            ["Project:p2", "Project:q", "StoragePool:fast", "StoragePool:slow", "Network:default/br0", "Network:p2/ovn1", "Profile:default/web", "Profile:p2/web", "Server:server"],
            mapped.Resources.Select(r => r.Key));
        var project = Find(mapped, "Project:p2");
        Assert.Equal(("p2", null), (project.Name, project.Project));
        Assert.Equal(Canon("""{"name":"p2","description":"","config":{"features.profiles":"true","features.networks":"true"}}"""), Canon(project.Body));
        Assert.Equal("p2", Find(mapped, "Network:p2/ovn1").Text("project"));
        var web = Find(mapped, "Profile:p2/web");
        Assert.Equal(("p2", "p2", "web"), (web.Project, web.Text("project"), web.Text("name")));
        Assert.Equal("default", Find(mapped, "Profile:default/web").Text("project"));
    }

    [Fact]
    public void Apply_PoolMap_RenamesThePool_AndTheDisksOfProfilesThatUseIt()
    {
        var mapped = ConfigMapping.Apply(Backup(), NoMap, new Dictionary<string, string> { ["fast"] = "nvme" }, NoMap, NoMap);

        Assert.Equal(Canon("""{"name":"nvme","driver":"dir","description":"","config":{"source":"/srv/fast"}}"""), Canon(Find(mapped, "StoragePool:nvme").Body));
        Assert.Single(mapped.Resources, r => r.Key == "StoragePool:slow");
        var devices = Find(mapped, "Profile:p/web").Body["devices"]!;
        Assert.Equal(Canon("""{"type":"disk","path":"/","pool":"nvme"}"""), Canon(devices["root"]));
        Assert.Equal(Canon("""{"type":"disk","path":"/data","pool":"slow","source":"vol"}"""), Canon(devices["data"]));
    }

    [Fact]
    public void Apply_NetworkMap_RenamesTheNetwork_AndTheNetworkAndParentOfNics()
    {
        var mapped = ConfigMapping.Apply(Backup(), NoMap, NoMap, new Dictionary<string, string> { ["ovn1"] = "ovn2", ["br0"] = "lan0" }, NoMap);

        Assert.Equal(["Network:default/lan0", "Network:p/ovn2"], mapped.Resources.Where(r => r.Kind == ConfigKind.Network).Select(r => r.Key));
        Assert.Equal("lan0", Find(mapped, "Network:default/lan0").Text("name"));
        var devices = Find(mapped, "Profile:p/web").Body["devices"]!;
        Assert.Equal(Canon("""{"type":"nic","network":"ovn2"}"""), Canon(devices["eth0"]));
        Assert.Equal(Canon("""{"type":"nic","nictype":"bridged","parent":"lan0"}"""), Canon(devices["eth1"]));
        // A network's own config is not a reference the map follows.
        Assert.Equal("br0", Find(mapped, "Network:p/ovn2").Body["config"]!["network"]!.GetValue<string>());
    }

    [Fact]
    public void Apply_ProfileMap_RenamesTheProfile_InEveryProject()
    {
        var mapped = ConfigMapping.Apply(Backup(), NoMap, NoMap, NoMap, new Dictionary<string, string> { ["web"] = "frontend" });

        Assert.Equal(["Profile:default/frontend", "Profile:p/frontend"], mapped.Resources.Where(r => r.Kind == ConfigKind.Profile).Select(r => r.Key));
        Assert.Equal("frontend", Find(mapped, "Profile:p/frontend").Text("name"));
        Assert.Equal("2", Find(mapped, "Profile:p/frontend").Map("config")["limits.cpu"]);
    }

    [Fact]
    public void Apply_LeavesTheBackupItWasGivenAsItWas()
    {
        var backup = Backup();
        var before = backup.Resources.Select(r => Canon(r.Body)).ToList();

        ConfigMapping.Apply(backup, new Dictionary<string, string> { ["p"] = "p2" }, new Dictionary<string, string> { ["fast"] = "nvme" },
            new Dictionary<string, string> { ["br0"] = "lan0" }, new Dictionary<string, string> { ["web"] = "frontend" });

        Assert.Equal(before, backup.Resources.Select(r => Canon(r.Body)));
    }
}
