using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;
using IncusBackup.Repository.Directory;
using IncusBackup.Restore;
using IncusBackup.Tests.Core.Incus;
using IncusBackup.Tests.Core.Restore;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Cluster;

/// <summary>
/// A three-member cluster faked over HTTP (a real cluster cannot run on one machine): m1 answers, m2 holds
/// instance a1 and volume local/v1, m3 is offline. Backups list and take resources of every member through the one
/// address, record the member, and aim every request about a volume at its member (?target=); restores aim the
/// import at the recorded member, at -TargetMember, or at nobody when the recorded member is gone.
/// </summary>
public sealed class FakeClusterTests : IDisposable
{
    private readonly FakeIncusServer _server = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-cluster-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<(string Request, string Sha256)> _imports = new();
    private readonly ConcurrentQueue<string> _moves = new();

    /// <summary>Set once an import of a1 arrived: a1 then exists on m1, the member that answers.</summary>
    private volatile bool _a1Imported;
    private IIncusServer? _client;

    /// <summary>Where v1 lives (a test moves it to the offline member).</summary>
    private string _v1Member = "m2";

    /// <summary>One client for a test: a plan holds the server it was made with, and the execution uses it.</summary>
    private IIncusServer Client => _client ??= FakeReplies.Connect(_server);

    public FakeClusterTests()
    {
        _server.Extensions.Add("clustering");
        _server.Handlers.Add(ServeClusterAsync);
    }

    public void Dispose()
    {
        _client?.Dispose();
        _server.Dispose();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task FakeCluster_ListsInstancesAndVolumesOfEveryMember()
    {
        using var server = FakeReplies.Connect(_server);
        var selector = new ResourceSelector(server);

        var instances = await selector.SelectInstancesAsync([], null, CancellationToken.None);
        var volumes = await selector.SelectVolumesAsync([], null, "p", CancellationToken.None);

        Assert.Equal(["p/a1@m2", "p/web@m1"], instances.Targets.Select(s => $"{s}@{s.Member}"));
        Assert.Equal(["p/local/v1@m2", "p/local/v2@m3"], volumes.Targets.Select(s => $"{s}@{s.Member}"));
    }

    [Fact]
    public async Task FakeCluster_VolumeBackup_AimsEveryVolumeRequestAtItsMember_AndRecordsIt()
    {
        var record = await BackupVolumeAsync();

        Assert.Equal("m2", record.Member);
        Assert.Equal("m2", (await ManifestAsync(record)).Server.Member);
        Assert.True((await ManifestAsync(record)).Server.Clustered);
        var volumeRequests = _server.Requests.Where(r => r.Contains("/volumes/custom/v1", StringComparison.Ordinal)).ToList();
        Assert.Contains(volumeRequests, r => r.StartsWith("POST /1.0/storage-pools/local/volumes/custom/v1/backups?project=p&target=m2", StringComparison.Ordinal));
        Assert.Contains(volumeRequests, r => r.Contains("/export?project=p&target=m2", StringComparison.Ordinal));
        Assert.All(volumeRequests, r => Assert.EndsWith("target=m2", r));
        // Operations are found by the cluster itself: never aimed.
        Assert.All(_server.Requests.Where(r => r.Contains("/1.0/operations/", StringComparison.Ordinal)), r => Assert.DoesNotContain("target=", r));
        Assert.Equal(RestoreFixture.VolumeArchive, await ArchiveBytesAsync(record));
    }

    [Fact]
    public async Task FakeCluster_InstanceBackup_RecordsTheMemberItRanOn()
    {
        var record = await BackupInstanceAsync();

        Assert.Equal("m2", record.Member);
        Assert.Equal("m2", (await ManifestAsync(record)).Server.Member);
        Assert.Equal("m1", record.ServerName);
        Assert.Contains(_server.Requests, r => r.StartsWith("POST /1.0/instances/a1/backups?project=p&target=m2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FakeCluster_VolumeRestore_AimsEveryRequestAtTheRecordedMember()
    {
        var volume = await BackupVolumeAsync();

        var plan = await PlanAsync(new RestoreRequest { Backup = volume }, BackupKind.Volume);
        await ExecuteAsync(plan);

        Assert.Equal("m2", plan.Target.Member);
        Assert.StartsWith("p/local/v1 on member m2 from ", plan.Steps.Single().Target);
        Assert.Equal(["POST /1.0/storage-pools/local/volumes/custom?project=p&target=m2"], _imports.Select(i => i.Request));
        Assert.Equal([RestoreFixture.Sha256(RestoreFixture.VolumeArchive)], _imports.Select(i => i.Sha256));
        Assert.Contains(_server.Requests, r => r == "GET /1.0/storage-pools/local/volumes/custom/v1?project=p&target=m2");
    }

    [Fact]
    public async Task FakeCluster_InstanceRestore_ImportsWhereConnected_ThenMovesItToTheRecordedMember()
    {
        var instance = await BackupInstanceAsync();

        var plan = await PlanAsync(new RestoreRequest { Backup = instance }, BackupKind.Instance);
        await ExecuteAsync(plan);

        Assert.Equal("m2", plan.Target.Member);
        // Incus imports an instance on the member that answers, whatever ?target= says: the plan says so, and moves it.
        Assert.Equal(["Restore instance", "Move instance to member"], plan.Steps.Select(s => s.Action));
        Assert.Equal("p/a1 to m2", plan.Steps[1].Target);
        Assert.Equal(["POST /1.0/instances?project=p"], _imports.Select(i => i.Request));
        Assert.Equal([RestoreFixture.Sha256(RestoreFixture.InstanceArchive)], _imports.Select(i => i.Sha256));
        Assert.Equal(["POST /1.0/instances/a1?project=p&target=m2 {\"name\":\"a1\",\"migration\":true,\"live\":false}"], _moves);
        // Nothing else about the instance is aimed: an instance POST with ?target= moves it.
        Assert.DoesNotContain(_server.Requests, r => r.StartsWith("GET /1.0/instances/a1?", StringComparison.Ordinal) && r.Contains("target=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FakeCluster_InstanceRestore_OnTheMemberThatAnswers_IsNotMoved()
    {
        var instance = await BackupInstanceAsync();

        var plan = await PlanAsync(new RestoreRequest { Backup = instance, TargetMember = "m1" }, BackupKind.Instance);
        await ExecuteAsync(plan);

        Assert.Equal(["POST /1.0/instances?project=p"], _imports.Select(i => i.Request));
        Assert.Empty(_moves);
    }

    [Fact]
    public async Task FakeCluster_Restore_TargetMemberOverridesTheRecordedOne()
    {
        var volume = await BackupVolumeAsync();

        var plan = await PlanAsync(new RestoreRequest { Backup = volume, TargetMember = "m1" }, BackupKind.Volume);
        await ExecuteAsync(plan);

        Assert.Equal("m1", plan.Target.Member);
        Assert.Equal(["POST /1.0/storage-pools/local/volumes/custom?project=p&target=m1"], _imports.Select(i => i.Request));
    }

    [Fact]
    public async Task FakeCluster_Restore_OfABackupFromAMemberThatIsOffline_LetsTheClusterPlaceIt()
    {
        _v1Member = "m3";
        var record = await BackupVolumeAsync();
        Assert.Equal("m3", record.Member);

        var plan = await PlanAsync(new RestoreRequest { Backup = record }, BackupKind.Volume);
        await ExecuteAsync(plan);

        Assert.Null(plan.Target.Member);
        Assert.Equal(["POST /1.0/storage-pools/local/volumes/custom?project=p"], _imports.Select(i => i.Request));
    }

    [Fact]
    public async Task FakeCluster_Restore_ToAMemberTheClusterLacks_GivesClusterMemberNotFoundBeforeAnyChange()
    {
        var volume = await BackupVolumeAsync();

        var error = await Assert.ThrowsAsync<IncusBackupException>(() => PlanAsync(new RestoreRequest { Backup = volume, TargetMember = "m9" }, BackupKind.Volume));

        Assert.Equal(ErrorIds.ClusterMemberNotFound, error.ErrorId);
        Assert.Contains("m1, m2, m3", error.Message, StringComparison.Ordinal);
        Assert.Empty(_imports);
    }

    [Fact]
    public async Task FakeStandaloneServer_TargetMember_GivesServerNotClustered()
    {
        var volume = await BackupVolumeAsync();
        using var standalone = new FakeIncusServer();
        using var server = FakeReplies.Connect(standalone);

        var error = await Assert.ThrowsAsync<IncusBackupException>(() =>
            new RestorePlanner(server).PlanAsync(DirectoryRepository.OpenExisting(_root), new RestoreRequest { Backup = volume, TargetMember = "m1" }, BackupKind.Volume, CancellationToken.None));

        Assert.Equal(ErrorIds.ServerNotClustered, error.ErrorId);
        Assert.DoesNotContain(standalone.Requests, r => r.StartsWith("POST", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FakeCluster_ConfigBackup_SavesThePoolAndNetworkKeysOfEachOnlineMember()
    {
        using var server = FakeReplies.Connect(_server);

        var snapshot = await IncusBackup.Config.ConfigReader.ReadAsync(server, null, CancellationToken.None);

        var pool = snapshot.Resources.Single(r => r.Kind == IncusBackup.Config.ConfigKind.StoragePool);
        Assert.Equal("""{"m1":{"source":"/srv/m1","size":"10GiB"},"m2":{"source":"/srv/m2","size":"20GiB"}}""", pool.Body["member_config"]!.ToJsonString());
        Assert.Equal("""{"rsync.bwlimit":"10MiB"}""", pool.Body["config"]!.ToJsonString());
        var network = snapshot.Resources.Single(r => r.Kind == IncusBackup.Config.ConfigKind.Network);
        Assert.Equal("""{"m1":{"bridge.external_interfaces":"eth-m1"},"m2":{"bridge.external_interfaces":"eth-m2"}}""", network.Body["member_config"]!.ToJsonString());
        Assert.DoesNotContain(_server.Requests, r => r.Contains("target=m3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FakeCluster_ConfigRestore_DefinesAPoolOnEveryMember_WithTheKeysTheBackupHasForIt_ThenCreatesItForTheCluster()
    {
        using var server = FakeReplies.Connect(_server);
        var backup = await IncusBackup.Config.ConfigReader.ReadAsync(server, null, CancellationToken.None);
        var pool = backup.Resources.Single(r => r.Kind == IncusBackup.Config.ConfigKind.StoragePool);
        var body = (JsonObject)pool.Body.DeepClone();
        body["name"] = "gone";
        var missing = pool with { Name = "gone", Body = body };
        var comparison = IncusBackup.Config.ConfigDiff.Compare(new IncusBackup.Config.ConfigSnapshot([missing]), new IncusBackup.Config.ConfigSnapshot([]), wholeServer: false).Single();
        var before = _server.PostBodies.Count;

        var failure = await new IncusBackup.Config.ConfigApplier(server).ApplyAsync(comparison, new HashSet<string>(), CancellationToken.None);

        Assert.Null(failure);
        Assert.Equal(
            ["POST /1.0/storage-pools?target=m1", "POST /1.0/storage-pools?target=m2", "POST /1.0/storage-pools?target=m3", "POST /1.0/storage-pools"],
            _server.Requests.Where(r => r.StartsWith("POST /1.0/storage-pools", StringComparison.Ordinal)));
        Assert.Equal(
            [
                """{"name":"gone","config":{"source":"/srv/m1","size":"10GiB"},"driver":"dir"}""",
                """{"name":"gone","config":{"source":"/srv/m2","size":"20GiB"},"driver":"dir"}""",
                """{"name":"gone","config":{},"driver":"dir"}""",
                """{"name":"gone","driver":"dir","description":"","config":{"rsync.bwlimit":"10MiB"}}""",
            ],
            _server.PostBodies.Skip(before));
    }

    [Fact]
    public void Transport_AimsEverythingButOperationsAndTheServerItself()
    {
        using var server = FakeReplies.Connect(_server);
        var aimed = (IncusServer)server.UseTarget("m 2");
        var transport = typeof(IncusServer).GetField("_transport", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(aimed) as IncusTransport;

        Assert.Equal("/1.0/instances?project=p&target=m%202", transport!.Targeted("/1.0/instances?project=p"));
        Assert.Equal("/1.0/storage-pools/local?target=m%202", transport.Targeted("/1.0/storage-pools/local"));
        Assert.Equal("/1.0/x?target=m1", transport.Targeted("/1.0/x?target=m1"));
        Assert.Equal("/1.0/operations/abc/wait?timeout=2", transport.Targeted("/1.0/operations/abc/wait?timeout=2"));
        Assert.Equal("/1.0", transport.Targeted("/1.0"));
    }

    private async Task<BackupRecord> BackupVolumeAsync() =>
        await BackupAsync((await new ResourceSelector(Client).SelectVolumesAsync(["v1"], "local", "p", CancellationToken.None)).Targets.Single(),
            new BackupOptions { Compression = "gzip" });

    private async Task<BackupRecord> BackupInstanceAsync() =>
        await BackupAsync((await new ResourceSelector(Client).SelectInstancesAsync(["a1"], "p", CancellationToken.None)).Targets.Single(),
            new BackupOptions { Compression = "gzip", Consistency = ConsistencyMode.None });

    private Task<BackupRecord> BackupAsync(IBackupSource source, BackupOptions options) =>
        new BackupEngine(Client, DirectoryRepository.OpenForWrite(_root, "test"), "test") { Journal = null }
            .BackupAsync(source, options, new RecordingReporter(), CancellationToken.None);

    private async Task<RestorePlan> PlanAsync(RestoreRequest request, BackupKind kind) =>
        await new RestorePlanner(Client).PlanAsync(DirectoryRepository.OpenExisting(_root), request, kind, CancellationToken.None);

    private async Task ExecuteAsync(RestorePlan plan)
    {
        var journal = Path.Combine(_root, "journal");
        await new RestoreExecutor { Journal = new RestoreJournal(journal) }.ExecuteAsync(plan, new RecordingReporter(), CancellationToken.None);
    }

    private async Task<BackupManifest> ManifestAsync(BackupRecord record) =>
        (await BackupVerifier.ReadSealAsync(DirectoryRepository.OpenExisting(_root), record, CancellationToken.None)).Manifest;

    private async Task<byte[]> ArchiveBytesAsync(BackupRecord record)
    {
        await using var stream = await DirectoryRepository.OpenExisting(_root).OpenReadAsync(record, record.ArchiveName, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>The cluster's answers; anything else falls through to the fake's defaults (404, empty lists, DELETE done).</summary>
    private async Task<bool> ServeClusterAsync(HttpListenerContext context, string pathAndQuery)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Url!.AbsolutePath;
        // A volume of a local pool lives on one member: its own endpoints answer only when aimed there.
        if (path.StartsWith("/1.0/storage-pools/local/volumes/custom/v1/", StringComparison.Ordinal) && request.QueryString["target"] != _v1Member)
        {
            await FakeIncusServer.SendError(response, 404, "Storage volume not found");
            return true;
        }
        switch (request.HttpMethod, path)
        {
            case ("GET", "/1.0"):
                await FakeIncusServer.SendSync(response, new JsonObject
                {
                    ["api_extensions"] = new JsonArray(_server.Extensions.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
                    ["auth"] = "trusted",
                    ["environment"] = new JsonObject { ["server_version"] = "6.0.99-fake", ["server_name"] = "m1", ["server_clustered"] = true },
                });
                return true;
            case ("GET", "/1.0/cluster/members"):
                await FakeIncusServer.SendSync(response, new JsonArray(Member("m1", "Online"), Member("m2", "Online"), Member("m3", "Offline")));
                return true;
            case ("GET", "/1.0/instances"):
                var all = new[] { Instance("a1", "m2"), Instance("web", "m1") };
                await FakeIncusServer.SendSync(response, new JsonArray([.. all]));
                return true;
            case ("GET", "/1.0/storage-pools"):
                await FakeIncusServer.SendSync(response, new JsonArray(Pool(null)));
                return true;
            case ("GET", "/1.0/storage-pools/local/volumes/custom"):
                await FakeIncusServer.SendSync(response, new JsonArray(Volume("v1", _v1Member), Volume("v2", "m3")));
                return true;
            case ("GET", "/1.0/storage-pools/local/volumes/custom/v1/snapshots"):
            case ("GET", "/1.0/storage-pools/local/volumes/custom/v2/snapshots"):
                await FakeIncusServer.SendSync(response, new JsonArray(new JsonObject { ["name"] = "vs1", ["type"] = "custom", ["created_at"] = "2026-01-01T00:00:00Z" }));
                return true;
            case ("GET", "/1.0/instances/a1/snapshots"):
                await FakeIncusServer.SendSync(response, new JsonArray(new JsonObject { ["name"] = "s1", ["created_at"] = "2026-01-01T00:00:00Z" }));
                return true;
            case ("POST", "/1.0/instances/a1/backups"):
            case ("POST", "/1.0/storage-pools/local/volumes/custom/v1/backups"):
            case ("POST", "/1.0/storage-pools/local/volumes/custom/v2/backups"):
                await _server.SendAsyncDone(response);
                return true;
            case ("POST", "/1.0/instances"):
            case ("POST", "/1.0/storage-pools/local/volumes/custom"):
                _imports.Enqueue(($"POST {pathAndQuery}", RestoreFixture.Sha256(_server.RawBodyOf(context))));
                _a1Imported |= path == "/1.0/instances";
                await _server.SendAsyncDone(response);
                return true;
            case ("GET", "/1.0/instances/a1") when _a1Imported:
                await FakeIncusServer.SendSync(response, Instance("a1", "m1"));
                return true;
            case ("POST", "/1.0/instances/a1") when request.QueryString["target"] is not null:
                _moves.Enqueue($"POST {pathAndQuery} {_server.BodyOf(context)}");
                await _server.SendAsyncDone(response);
                return true;
        }
        if (request.HttpMethod == "GET" && path.EndsWith("/export", StringComparison.Ordinal))
        {
            await FakeReplies.SendBytes(response, 200, path.StartsWith("/1.0/instances/", StringComparison.Ordinal) ? RestoreFixture.InstanceArchive : RestoreFixture.VolumeArchive);
            return true;
        }
        // Config: one project of its own networks and profiles, pool local and network br0 with keys per member.
        if (request.HttpMethod == "GET" && path == "/1.0/projects")
        {
            await FakeIncusServer.SendSync(response, new JsonArray(new JsonObject
            {
                ["name"] = "default", ["description"] = "", ["config"] = new JsonObject { ["features.networks"] = "true", ["features.profiles"] = "true" },
            }));
            return true;
        }
        if (request.HttpMethod == "GET" && path is "/1.0/networks" or "/1.0/profiles")
        {
            await FakeIncusServer.SendSync(response, path == "/1.0/profiles" ? new JsonArray() : new JsonArray(Network(null)));
            return true;
        }
        if (request.HttpMethod == "GET" && path is "/1.0/storage-pools/local" or "/1.0/networks/br0")
        {
            var member = request.QueryString["target"];
            await FakeIncusServer.SendSync(response, path.EndsWith("br0", StringComparison.Ordinal) ? Network(member) : Pool(member));
            return true;
        }
        if (request.HttpMethod == "POST" && path == "/1.0/storage-pools")
        {
            await FakeIncusServer.SendSync(response, null);
            return true;
        }
        // What a restore checks: the pools, networks and profiles the backup refers to exist; the target does not.
        if (request.HttpMethod == "GET" && (path.StartsWith("/1.0/networks/", StringComparison.Ordinal) || path.StartsWith("/1.0/profiles/", StringComparison.Ordinal)
            || path is "/1.0/storage-pools/default" or "/1.0/storage-pools/fast" or "/1.0/projects/p"))
        {
            await FakeIncusServer.SendSync(response, new JsonObject { ["name"] = path.Split('/')[^1], ["driver"] = "dir", ["managed"] = true, ["type"] = "bridge" });
            return true;
        }
        return false;
    }

    /// <summary>Pool local as a GET shows it: the global keys without ?target=, and a member's own with it.</summary>
    private static JsonObject Pool(string? member) => new()
    {
        ["name"] = "local", ["driver"] = "dir", ["description"] = "", ["status"] = "Created",
        ["config"] = member is null
            ? new JsonObject { ["rsync.bwlimit"] = "10MiB" }
            : new JsonObject { ["rsync.bwlimit"] = "10MiB", ["source"] = $"/srv/{member}", ["size"] = member == "m1" ? "10GiB" : "20GiB", ["volatile.initial_source"] = "/x" },
    };

    private static JsonObject Network(string? member) => new()
    {
        ["name"] = "br0", ["type"] = "bridge", ["managed"] = true, ["project"] = "default", ["description"] = "",
        ["config"] = member is null
            ? new JsonObject { ["ipv4.address"] = "10.0.0.1/24" }
            : new JsonObject { ["ipv4.address"] = "10.0.0.1/24", ["bridge.external_interfaces"] = $"eth-{member}" },
    };

    private static JsonObject Member(string name, string status) => new() { ["server_name"] = name, ["status"] = status, ["url"] = $"https://{name}:8443" };

    private static JsonObject Instance(string name, string location)
    {
        var instance = FakeIncusServer.InstanceJson(name);
        instance["project"] = "p";
        instance["location"] = location;
        return instance;
    }

    private static JsonObject Volume(string name, string location) => new()
    {
        ["name"] = name, ["type"] = "custom", ["content_type"] = "filesystem", ["project"] = "p", ["location"] = location,
        ["config"] = new JsonObject(), ["used_by"] = new JsonArray(), ["created_at"] = "2026-01-01T00:00:00Z",
    };
}
