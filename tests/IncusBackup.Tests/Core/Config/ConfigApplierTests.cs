using IncusBackup.Config;
using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;
using Xunit;
using static IncusBackup.Tests.Core.Config.ConfigJson;

namespace IncusBackup.Tests.Core.Config;

/// <summary>
/// Making the server's config what a backup holds, against the in-memory config API: the POST and PUT bodies, the
/// ETag sent back, the server's volatile.* keys kept, the server keys PATCHed, what is skipped when what it needs
/// failed, and that Unchanged and Extra resources are never written.
/// </summary>
public sealed class ConfigApplierTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly InMemoryIncus _incus = new();
    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);

    private ConfigApplier Applier => new(_incus);

    /// <summary>Puts an object on the server as its GET returns it.</summary>
    private void OnServer(string key, string json) => _incus.ConfigObjects[key] = Obj(json);

    /// <summary>The comparisons of a backup with the server's config (the fields a reader keeps of <see cref="InMemoryIncus.ConfigObjects"/>).</summary>
    private IReadOnlyList<ConfigComparison> Compare(params ConfigResource[] backup)
    {
        var current = _incus.ConfigObjects.Select(o =>
        {
            var kind = Enum.Parse<ConfigKind>(o.Key[..o.Key.IndexOf(':')]);
            var path = o.Key[(o.Key.IndexOf(':') + 1)..];
            var slash = path.IndexOf('/');
            var body = (System.Text.Json.Nodes.JsonObject)o.Value.DeepClone();
            foreach (var field in new[] { "used_by", "status", "locations", "managed" }) body.Remove(field);
            return new ConfigResource(kind, slash < 0 ? null : path[..slash], slash < 0 ? path : path[(slash + 1)..], body);
        });
        return ConfigDiff.Compare(new ConfigSnapshot(backup), new ConfigSnapshot(current), wholeServer: true);
    }

    /// <summary>Applies every comparison in order, as Restore-IncusConfig -Apply does; the result of each, by resource.</summary>
    private async Task<List<string>> ApplyAllAsync(IEnumerable<ConfigComparison> comparisons)
    {
        var results = new List<string>();
        foreach (var c in comparisons)
            results.Add($"{c.Change}: {await Applier.ApplyAsync(c, _failed, None) ?? "ok"}");
        return results;
    }

    [Fact]
    public async Task Create_PostsTheBackupsBody_WithoutProject_InItsProject()
    {
        var web = Profile("p", "web", """{"name":"web","project":"p","description":"Web","config":{"limits.cpu":"2"},"devices":{"root":{"type":"disk","path":"/","pool":"fast"}}}""");
        var c = Assert.Single(Compare(web));

        Assert.Null(await Applier.ApplyAsync(c, _failed, None));

        var (call, body, etag) = Assert.Single(_incus.ConfigWrites);
        Assert.Equal("create Profile p/web", call);
        Assert.Equal(Canon("""{"name":"web","description":"Web","config":{"limits.cpu":"2"},"devices":{"root":{"type":"disk","path":"/","pool":"fast"}}}"""), Canon(body));
        Assert.Null(etag);
        Assert.Equal("p", web.Text("project"));
    }

    [Fact]
    public async Task Update_OfAPool_PutsDescriptionAndConfig_KeepingTheServersVolatileKeys_WithTheETagItRead()
    {
        OnServer("StoragePool:fast", """
            {"name":"fast","driver":"zfs","description":"","status":"Created","locations":["none"],"used_by":[],
             "config":{"source":"tank","volatile.initial_source":"/dev/sdb","user.a":"2","user.b":"3"}}
            """);
        var (_, etagRead) = await _incus.Config.GetAsync(ConfigKind.StoragePool, null, "fast", None);
        var c = Assert.Single(Compare(Pool("fast", """{"name":"fast","driver":"zfs","description":"SSD","config":{"source":"tank","user.a":"1"}}""")));
        Assert.Equal(ConfigAction.Update, c.Change.Action);

        Assert.Null(await Applier.ApplyAsync(c, _failed, None));

        var (call, body, etag) = Assert.Single(_incus.ConfigWrites);
        Assert.Equal("update StoragePool fast", call);
        Assert.Equal(Canon("""{"description":"SSD","config":{"source":"tank","user.a":"1","volatile.initial_source":"/dev/sdb"}}"""), Canon(body));
        Assert.Equal("\"StoragePool:fast#0\"", etagRead);
        Assert.Equal(etagRead, etag);
        Assert.Equal(Canon("""
            {"name":"fast","driver":"zfs","description":"SSD","status":"Created","locations":["none"],"used_by":[],
             "config":{"source":"tank","user.a":"1","volatile.initial_source":"/dev/sdb"}}
            """), Canon(_incus.ConfigObjects["StoragePool:fast"]));
    }

    [Fact]
    public async Task Update_OfAProfile_PutsItsDevicesToo_AndNoDescriptionIsAnEmptyOne()
    {
        OnServer("Profile:p/web", """
            {"name":"web","project":"p","description":"Changed","used_by":[],"config":{"limits.cpu":"4","user.x":"new"},
             "devices":{"eth0":{"type":"nic","network":"br0","name":"eth1"},"gpu":{"type":"gpu"}}}
            """);
        var c = Assert.Single(Compare(Profile("p", "web", """{"name":"web","project":"p","config":{"limits.cpu":"2"},"devices":{"eth0":{"type":"nic","network":"br0","name":"eth0"}}}""")));

        Assert.Null(await Applier.ApplyAsync(c, _failed, None));

        var (call, body, etag) = Assert.Single(_incus.ConfigWrites);
        Assert.Equal("update Profile p/web", call);
        Assert.Equal(Canon("""{"description":"","config":{"limits.cpu":"2"},"devices":{"eth0":{"type":"nic","network":"br0","name":"eth0"}}}"""), Canon(body));
        Assert.Equal("\"Profile:p/web#0\"", etag);
    }

    [Fact]
    public async Task Update_OfAProject_PutsItsWholeConfig_WithoutDevices()
    {
        OnServer("Project:p", """{"name":"p","description":"","used_by":[],"config":{"features.images":"true","features.profiles":"true","user.note":"changed","user.new":"x"}}""");
        var c = Assert.Single(Compare(Project("p", """{"name":"p","description":"","config":{"features.images":"true","features.profiles":"true","user.note":"hi"}}""")));

        Assert.Null(await Applier.ApplyAsync(c, _failed, None));

        var (call, body, _) = Assert.Single(_incus.ConfigWrites);
        Assert.Equal("update Project p", call);
        Assert.Equal(Canon("""{"description":"","config":{"features.images":"true","features.profiles":"true","user.note":"hi"}}"""), Canon(body));
    }

    [Fact]
    public async Task Update_OfAResourceChangedSinceItWasRead_FailsOnTheETag_AndLeavesTheOtherChange()
    {
        OnServer("Profile:p/web", """{"name":"web","project":"p","description":"","config":{"limits.cpu":"4"},"devices":{}}""");
        var c = Assert.Single(Compare(Profile("p", "web", """{"name":"web","project":"p","description":"","config":{"limits.cpu":"2"},"devices":{}}""")));
        var raced = false;
        _incus.FailOn = call =>
        {
            if (call != "update Profile p/web" || raced) return null;
            // Someone else changes the profile between the applier's GET and its PUT.
            raced = true;
            _incus.Config.UpdateAsync(ConfigKind.Profile, "p", "web", Obj("""{"config":{"limits.cpu":"8"}}"""), null, None).GetAwaiter().GetResult();
            return null;
        };

        var error = await Applier.ApplyAsync(c, _failed, None);

        Assert.Equal("ETag doesn't match: \"Profile:p/web#1\" vs \"Profile:p/web#0\"", error);
        Assert.Equal(["profile p/web"], _failed);
        Assert.Equal("8", _incus.ConfigObjects["Profile:p/web"]["config"]!["limits.cpu"]!.GetValue<string>());
    }

    [Fact]
    public async Task Server_PatchesTheKeysThatDiffer_AndEmptyForKeysTheBackupDoesNotHave()
    {
        OnServer("Server:server", """
            {"config":{"images.compression_algorithm":"zstd","core.https_address":":8443","storage.images_volume":"default/images","user.site":"lab"}}
            """);
        var c = Assert.Single(Compare(Server("""{"config":{"images.compression_algorithm":"gzip","storage.images_volume":"default/images","backups.compression_algorithm":"xz"}}""")));
        Assert.Equal(ConfigAction.Update, c.Change.Action);

        Assert.Null(await Applier.ApplyAsync(c, _failed, None));

        var (call, body, etag) = Assert.Single(_incus.ConfigWrites);
        Assert.Equal("update Server server", call);
        Assert.Equal(Canon("""{"config":{"backups.compression_algorithm":"xz","images.compression_algorithm":"gzip","core.https_address":""}}"""), Canon(body));
        Assert.Equal("\"Server:server#0\"", etag);
        // user.site is no key a config backup keeps, so it stays.
        Assert.Equal(Canon("""{"config":{"backups.compression_algorithm":"xz","images.compression_algorithm":"gzip","storage.images_volume":"default/images","user.site":"lab"}}"""),
            Canon(_incus.ConfigObjects["Server:server"]));
    }

    [Fact]
    public async Task Create_OfTheDefaultProfileOfAProjectJustCreated_UpdatesTheOneIncusMadeWithIt()
    {
        var comparisons = Compare(
            Project("p", """{"name":"p","description":"","config":{"features.profiles":"true"}}"""),
            Profile("p", "default", """{"name":"default","project":"p","description":"Mine","config":{},"devices":{"root":{"type":"disk","path":"/","pool":"default"}}}"""));
        Assert.Equal(["Create Project p", "Create Profile p/default"], comparisons.Select(c => c.Change.ToString()));

        var results = await ApplyAllAsync(comparisons);

        Assert.Equal(["Create Project p: ok", "Create Profile p/default: ok"], results);
        Assert.Equal(["create Project p", "update Profile p/default"], _incus.Calls);
        Assert.Equal(Canon("""{"name":"default","description":"Mine","config":{},"devices":{"root":{"type":"disk","path":"/","pool":"default"}}}"""),
            Canon(_incus.ConfigObjects["Profile:p/default"]));
    }

    [Fact]
    public async Task AFailedProjectCreate_SkipsItsNetworksAndProfiles_AndTheRestGoesOn()
    {
        _incus.FailOn = call => call == "create Project p" ? new IncusApiException(400, "Invalid project name") : null;

        var results = await ApplyAllAsync(Compare(
            Project("p", """{"name":"p","description":"","config":{"features.profiles":"true","features.networks":"true"}}"""),
            Project("q", """{"name":"q","description":"","config":{}}"""),
            Network("p", "ovn1", """{"name":"ovn1","type":"ovn","project":"p","config":{}}"""),
            Profile("p", "web", """{"name":"web","project":"p","config":{},"devices":{}}"""),
            Profile("default", "web", """{"name":"web","project":"default","config":{},"devices":{}}""")));

        Assert.Equal(
            [
                "Create Project p: Invalid project name",
                "Create Project q: ok",
                "Create Network p/ovn1: skipped: project p could not be restored",
                "Create Profile default/web: ok",
                "Create Profile p/web: skipped: project p could not be restored",
            ],
            results);
        Assert.Equal(["create Project q", "create Profile default/web"], _incus.Calls);
        Assert.Equal(["project p"], _failed);
    }

    [Fact]
    public async Task AFailedPool_SkipsTheProfilesWhoseDisksUseIt()
    {
        _incus.FailOn = call => call == "create StoragePool fast" ? new IncusApiException(500, "Failed to create the pool: no such device") : null;

        var results = await ApplyAllAsync(Compare(
            Pool("fast", """{"name":"fast","driver":"zfs","config":{"source":"/dev/sdz"}}"""),
            Profile("default", "db", """{"name":"db","project":"default","config":{},"devices":{"data":{"type":"disk","path":"/data","pool":"fast","source":"v"}}}"""),
            Profile("default", "web", """{"name":"web","project":"default","config":{},"devices":{"root":{"type":"disk","path":"/","pool":"default"}}}""")));

        Assert.Equal(
            [
                "Create StoragePool fast: Failed to create the pool: no such device",
                "Create Profile default/db: skipped: storage pool fast could not be restored",
                "Create Profile default/web: ok",
            ],
            results);
        Assert.Equal(["storage pool fast"], _failed);
    }

    [Fact]
    public async Task AFailedNetwork_SkipsTheProfilesOfItsProjectWhoseNicsUseIt()
    {
        OnServer("Network:default/br0", """{"name":"br0","type":"bridge","project":"default","description":"","config":{"ipv4.address":"10.0.0.1/24"}}""");
        _incus.FailOn = call => call == "update Network default/br0" ? new IncusApiException(400, "Invalid value for ipv4.address") : null;

        var results = await ApplyAllAsync(Compare(
            Network("default", "br0", """{"name":"br0","type":"bridge","project":"default","description":"","config":{"ipv4.address":"bogus"}}"""),
            Profile("default", "web", """{"name":"web","project":"default","config":{},"devices":{"eth0":{"type":"nic","network":"br0"}}}"""),
            Profile("default", "lan", """{"name":"lan","project":"default","config":{},"devices":{"eth0":{"type":"nic","nictype":"bridged","parent":"br0"}}}"""),
            Profile("default", "db", """{"name":"db","project":"default","config":{},"devices":{}}""")));

        Assert.Equal(
            [
                "Update Network default/br0: Invalid value for ipv4.address",
                "Create Profile default/db: ok",
                "Create Profile default/lan: skipped: network br0 could not be restored",
                "Create Profile default/web: skipped: network br0 could not be restored",
            ],
            results);
    }

    [Fact]
    public async Task AFailedNetworkOfTheDefaultProject_SkipsTheProfilesOfProjectsThatUseTheDefaultProjectsNetworks()
    {
        _incus.FailOn = call => call == "create Network default/br0" ? new IncusApiException(400, "Network address conflict") : null;

        var results = await ApplyAllAsync(Compare(
            Project("p", """{"name":"p","description":"","config":{"features.profiles":"true"}}"""),
            Network("default", "br0", """{"name":"br0","type":"bridge","project":"default","config":{}}"""),
            Profile("p", "web", """{"name":"web","project":"p","config":{},"devices":{"eth0":{"type":"nic","network":"br0"}}}""")));

        Assert.Equal("Create Profile p/web: skipped: network br0 could not be restored", results[2]);
    }

    [Fact]
    public async Task UnchangedAndExtraResources_AreNeverWritten()
    {
        OnServer("Profile:p/web", """{"name":"web","project":"p","description":"","config":{"limits.cpu":"2"},"devices":{}}""");
        OnServer("Profile:p/extra", """{"name":"extra","project":"p","description":"","config":{},"devices":{}}""");
        var comparisons = Compare(Profile("p", "web", """{"name":"web","project":"p","description":"","config":{"limits.cpu":"2"},"devices":{}}"""));
        Assert.Equal(["Unchanged Profile p/web", "Extra Profile p/extra"], comparisons.Select(c => c.Change.ToString()));
        // Even a failure recorded for their project does not make them "skipped".
        _failed.Add("project p");

        var results = await ApplyAllAsync(comparisons);

        Assert.Equal(["Unchanged Profile p/web: ok", "Extra Profile p/extra: ok"], results);
        Assert.Empty(_incus.Calls);
        Assert.Equal(["Profile:p/extra", "Profile:p/web"], _incus.ConfigObjects.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AWholeRestore_IsAppliedInDependencyOrder()
    {
        OnServer("Server:server", """{"config":{}}""");

        var results = await ApplyAllAsync(Compare(
            Server("""{"config":{"images.compression_algorithm":"gzip"}}"""),
            Profile("p", "web", """{"name":"web","project":"p","config":{},"devices":{"root":{"type":"disk","path":"/","pool":"fast"},"eth0":{"type":"nic","network":"br0"}}}"""),
            Network("default", "br0", """{"name":"br0","type":"bridge","project":"default","config":{}}"""),
            Pool("fast", """{"name":"fast","driver":"dir","config":{}}"""),
            Project("p", """{"name":"p","description":"","config":{"features.profiles":"true"}}""")));

        Assert.All(results, r => Assert.EndsWith(": ok", r));
        Assert.Equal(["create Project p", "create StoragePool fast", "create Network default/br0", "create Profile p/web", "update Server server"], _incus.Calls);
    }
}
