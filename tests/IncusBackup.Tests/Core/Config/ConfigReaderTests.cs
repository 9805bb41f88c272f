using System.Text.Json;
using IncusBackup.Config;
using IncusBackup.Tests.Fakes;
using Xunit;
using static IncusBackup.Tests.Core.Config.ConfigJson;

namespace IncusBackup.Tests.Core.Config;

/// <summary>
/// What a config backup keeps of a server: the writable fields of projects, pools, managed networks of their own
/// project and profiles of projects that have their own, and five server keys; never used_by, status, locations,
/// managed or volatile.* keys.
/// </summary>
public sealed class ConfigReaderTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly InMemoryIncus _incus = new();

    public ConfigReaderTests()
    {
        _incus.ProjectObjects =
        [
            Obj("""{"name":"default","description":"Default Incus project","config":{"features.images":"true","features.profiles":"true"},"used_by":["/1.0/profiles/default"]}"""),
            // Its own profiles and networks.
            Obj("""{"name":"own","description":"","config":{"features.profiles":"true","features.networks":"true","user.note":"n"},"used_by":[]}"""),
            // The default project's profiles and networks (features off or missing).
            Obj("""{"name":"shared","description":"Shared","config":{"features.profiles":"false"},"used_by":[]}"""),
        ];
        _incus.PoolObjects =
        [
            Obj("""
                {"name":"fast","driver":"zfs","description":"SSD","status":"Created","locations":["none"],"used_by":["/1.0/profiles/web?project=own"],
                 "config":{"source":"tank/incus","zfs.pool_name":"tank/incus","volatile.initial_source":"/dev/sdb"}}
                """),
        ];
        _incus.NetworkObjects["default"] =
        [
            Obj("""
                {"name":"br0","type":"bridge","project":"default","managed":true,"status":"Created","locations":["none"],"used_by":[],"description":"",
                 "config":{"ipv4.address":"10.0.0.1/24","volatile.bridge.hwaddr":"00:16:3e:00:00:01"}}
                """),
            Obj("""{"name":"eth0","type":"physical","project":"default","managed":false,"status":"","locations":null,"used_by":[],"description":"","config":{}}"""),
        ];
        _incus.NetworkObjects["own"] =
        [
            Obj("""{"name":"ovn1","type":"ovn","project":"own","managed":true,"status":"Created","locations":["none"],"used_by":[],"description":"","config":{"network":"br0"}}"""),
            // Listed in the project, but the default project's.
            Obj("""{"name":"br0","type":"bridge","project":"default","managed":true,"status":"Created","locations":["none"],"used_by":[],"description":"","config":{}}"""),
        ];
        _incus.NetworkObjects["shared"] = [Obj("""{"name":"br0","type":"bridge","project":"default","managed":true,"config":{}}""")];
        _incus.ProfileObjects["default"] =
        [
            Obj("""{"name":"default","project":"default","description":"Default Incus profile","config":{},"devices":{"root":{"type":"disk","path":"/","pool":"fast"}},"used_by":["/1.0/instances/c1"]}"""),
        ];
        _incus.ProfileObjects["own"] =
        [
            Obj("""{"name":"web","project":"own","description":"","config":{"limits.cpu":"2","volatile.x":"1"},"devices":{"eth0":{"type":"nic","network":"ovn1"}},"used_by":[]}"""),
        ];
        _incus.ProfileObjects["shared"] = [Obj("""{"name":"never","project":"shared","description":"","config":{},"devices":{},"used_by":[]}""")];
        _incus.Info.Config = new()
        {
            ["core.https_address"] = JsonSerializer.SerializeToElement(":8443"),
            ["images.compression_algorithm"] = JsonSerializer.SerializeToElement("zstd"),
            ["core.trust_password"] = JsonSerializer.SerializeToElement("true"),
            ["user.site"] = JsonSerializer.SerializeToElement("lab"),
            ["cluster.https_address"] = JsonSerializer.SerializeToElement("10.0.0.1:8443"),
        };
    }

    [Fact]
    public async Task ReadAsync_WholeServer_KeepsTheWritableFieldsOfEverything()
    {
        var snapshot = await ConfigReader.ReadAsync(_incus, null, None);

        Assert.Equal(
            ["Project:default", "Project:own", "Project:shared", "StoragePool:fast", "Network:default/br0", "Network:own/ovn1",
             "Profile:default/default", "Profile:own/web", "Server:server"],
            snapshot.Resources.Select(r => r.Key));
        Assert.Equal(
            [
                Canon("""{"name":"default","description":"Default Incus project","config":{"features.images":"true","features.profiles":"true"}}"""),
                Canon("""{"name":"own","description":"","config":{"features.profiles":"true","features.networks":"true","user.note":"n"}}"""),
                Canon("""{"name":"shared","description":"Shared","config":{"features.profiles":"false"}}"""),
                Canon("""{"name":"fast","driver":"zfs","description":"SSD","config":{"source":"tank/incus","zfs.pool_name":"tank/incus"}}"""),
                Canon("""{"name":"br0","type":"bridge","project":"default","description":"","config":{"ipv4.address":"10.0.0.1/24"}}"""),
                Canon("""{"name":"ovn1","type":"ovn","project":"own","description":"","config":{"network":"br0"}}"""),
                Canon("""{"name":"default","project":"default","description":"Default Incus profile","config":{},"devices":{"root":{"type":"disk","path":"/","pool":"fast"}}}"""),
                Canon("""{"name":"web","project":"own","description":"","config":{"limits.cpu":"2"},"devices":{"eth0":{"type":"nic","network":"ovn1"}}}"""),
                Canon("""{"config":{"core.https_address":":8443","images.compression_algorithm":"zstd"}}"""),
            ],
            snapshot.Resources.Select(r => Canon(r.Body)));
    }

    [Fact]
    public async Task ReadAsync_ReadsProfilesAndNetworks_OnlyInProjectsThatHaveTheirOwn()
    {
        await ConfigReader.ReadAsync(_incus, null, None);

        Assert.Equal(["projects", "storage-pools", "networks default", "profiles default", "networks own", "profiles own"], _incus.ObjectListings);
    }

    [Fact]
    public async Task ReadAsync_OneProject_HasThatProjectItsOwnProfilesAndNetworks_ButNoServerKeys_NorPoolsItDoesNotUse()
    {
        var snapshot = await ConfigReader.ReadAsync(_incus, "own", None);

        Assert.Equal(["Project:own", "Network:own/ovn1", "Profile:own/web"], snapshot.Resources.Select(r => r.Key));
    }

    [Fact]
    public async Task ReadAsync_OneProject_HasThePoolsThatHoldItsCustomVolumes()
    {
        _incus.AddVolume("own", "fast", "data");

        var snapshot = await ConfigReader.ReadAsync(_incus, "own", None);

        Assert.Equal(["Project:own", "StoragePool:fast", "Network:own/ovn1", "Profile:own/web"], snapshot.Resources.Select(r => r.Key));
    }

    [Fact]
    public async Task ReadAsync_AProjectWithoutItsOwnProfiles_HasItselfAndThePoolsOfTheDefaultProjectsProfiles()
    {
        var snapshot = await ConfigReader.ReadAsync(_incus, "shared", None);

        // Its instances take the default project's profiles, whose root disk is on fast.
        Assert.Equal(["Project:shared", "StoragePool:fast"], snapshot.Resources.Select(r => r.Key));
        Assert.Equal(["projects", "storage-pools", "profiles default"], _incus.ObjectListings);
    }

    [Fact]
    public async Task ReadAsync_AServerThatSetsNoneOfTheKeys_HasAnEmptyServerResource()
    {
        _incus.Info.Config = new() { ["user.site"] = JsonSerializer.SerializeToElement("lab") };

        var snapshot = await ConfigReader.ReadAsync(_incus, null, None);

        Assert.Equal("""{"config":{}}""", Canon(snapshot.Resources.Single(r => r.Kind == ConfigKind.Server).Body));
    }

    [Fact]
    public async Task ReadAsync_AProjectWithoutItsOwnNetworks_TakesAlongTheDefaultProjectsManagedNetworksItsNicsUse()
    {
        _incus.ProjectObjects!.Add(Obj("""{"name":"plain","description":"","config":{"features.profiles":"true"},"used_by":[]}"""));
        _incus.ProfileObjects["plain"] =
        [
            Obj("""{"name":"web","project":"plain","description":"","config":{},"devices":{"eth0":{"type":"nic","network":"br0"}},"used_by":[]}"""),
        ];
        _incus.NetworkObjects["default"].Add(Obj("""{"name":"br1","type":"bridge","project":"default","managed":true,"description":"","config":{}}"""));
        _incus.NetworkObjects["default"].Add(Obj("""{"name":"unused","type":"bridge","project":"default","managed":true,"description":"","config":{}}"""));
        // An instance's own NICs count too; eth0 is not managed: Incus cannot create it, so it is not config to restore.
        // Its root disk is on fast: the pool comes along too.
        var c1 = _incus.AddInstance("plain", "c1", pool: "fast");
        c1.ExpandedDevices!["uplink"] = new() { ["type"] = "nic", ["network"] = "br1" };
        c1.ExpandedDevices["phys"] = new() { ["type"] = "nic", ["network"] = "eth0" };

        var snapshot = await ConfigReader.ReadAsync(_incus, "plain", None);

        // In dependency order: the networks before the profile that plugs into them.
        Assert.Equal(["Project:plain", "StoragePool:fast", "Network:default/br0", "Network:default/br1", "Profile:plain/web"],
            snapshot.Resources.Select(r => r.Key));
        Assert.Equal(
            Canon("""{"name":"br0","type":"bridge","project":"default","description":"","config":{"ipv4.address":"10.0.0.1/24"}}"""),
            Canon(snapshot.Resources.First(r => r.Kind == ConfigKind.Network).Body));
    }

    [Fact]
    public async Task ReadAsync_AProjectTheServerLacks_StillReadsTheDefaultNetworksAndPoolsABackupOfItHolds()
    {
        // A comparison with a backup of a deleted project: its network must be found as Unchanged, not Create.
        var snapshot = await ConfigReader.ReadAsync(_incus, "gone", None, ["br0"], ["fast"]);

        Assert.Equal(["StoragePool:fast", "Network:default/br0"], snapshot.Resources.Select(r => r.Key));
    }
}
