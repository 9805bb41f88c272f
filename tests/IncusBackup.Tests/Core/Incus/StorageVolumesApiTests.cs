using System.Text.Json.Nodes;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>Custom volume listings: snapshots and non-custom volumes left out, snapshot names without their volume prefix.</summary>
public sealed class StorageVolumesApiTests : FakeServerTest
{
    private static JsonObject Volume(string name, string type = "custom", string createdAt = "2026-01-01T00:00:00Z") => new()
    {
        ["name"] = name, ["type"] = type, ["content_type"] = "filesystem", ["config"] = new JsonObject(),
        ["used_by"] = new JsonArray(), ["created_at"] = createdAt,
    };

    private void Answer(string pathAndQuery, JsonNode metadata) =>
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", pathAndQuery)) return false;
            await FakeIncusServer.SendSync(ctx.Response, metadata);
            return true;
        });

    [Fact]
    public async Task FakeServer_ListCustom_DropsSnapshotsAndNonCustomVolumes()
    {
        Answer("/1.0/storage-pools/default/volumes/custom?recursion=1&project=p", new JsonArray(
            Volume("data"), Volume("data/snap0"), Volume("c1", type: "container"), Volume("abc123", type: "image"),
            Volume("logs"), Volume("logs/daily-1")));

        var volumes = await _client.StorageVolumes.ListCustomAsync("p", "default", CancellationToken.None);

        Assert.Equal(["data", "logs"], volumes.Select(v => v.Name));
        Assert.All(volumes, v => Assert.Equal("filesystem", v.ContentType));
    }

    [Fact]
    public async Task FakeServer_ListCustomOfEveryProject_AsksForAllProjects()
    {
        var inP2 = Volume("data");
        inP2["project"] = "p2";
        Answer("/1.0/storage-pools/my%20pool/volumes/custom?recursion=1&all-projects=true", new JsonArray(Volume("data"), inP2, Volume("data/s")));

        var volumes = await _client.StorageVolumes.ListCustomAsync(null, "my pool", CancellationToken.None);

        Assert.Equal([null, "p2"], volumes.Select(v => v.Project));
    }

    [Fact]
    public async Task FakeServer_ListSnapshotNames_StripsTheVolumePrefix_OldestFirst()
    {
        Answer("/1.0/storage-pools/default/volumes/custom/data/snapshots?recursion=1&project=p", new JsonArray(
            Volume("data/weekly", createdAt: "2026-03-01T00:00:00Z"),
            Volume("data/first", createdAt: "2026-01-01T00:00:00Z"),
            Volume("data/second", createdAt: "2026-02-01T00:00:00+05:00")));

        var names = await _client.StorageVolumes.ListSnapshotNamesAsync("p", "default", "data", CancellationToken.None);

        Assert.Equal(["first", "second", "weekly"], names);
    }

    [Fact]
    public async Task FakeServer_ListSnapshotNames_KeepsNamesThatHaveNoPrefix()
    {
        Answer("/1.0/storage-pools/default/volumes/custom/data/snapshots?recursion=1&project=default",
            new JsonArray(Volume("snap1", createdAt: "2026-01-02T00:00:00Z"), Volume("snap0")));

        var names = await _client.StorageVolumes.ListSnapshotNamesAsync("default", "default", "data", CancellationToken.None);

        Assert.Equal(["snap0", "snap1"], names);
    }

    [Fact]
    public async Task FakeServer_TryGetState_ReadsUsage_OrNullWhenTheVolumeIsGone()
    {
        Answer("/1.0/storage-pools/default/volumes/custom/data/state?project=p", new JsonObject { ["usage"] = new JsonObject { ["used"] = 12345 } });

        var state = await _client.StorageVolumes.TryGetStateAsync("p", "default", "data", CancellationToken.None);
        var gone = await _client.StorageVolumes.TryGetStateAsync("p", "default", "gone", CancellationToken.None);

        Assert.Equal(12345, state!.Usage!.Used);
        Assert.Null(gone);
    }

    [Fact]
    public async Task FakeServer_RenameAndDelete_UseTheVolumePath()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "POST", "/1.0/storage-pools/default/volumes/custom/data?project=p")) return false;
            await _server.SendAsyncDone(ctx.Response);
            return true;
        });

        await _client.StorageVolumes.RenameAsync("p", "default", "data", "data-old", CancellationToken.None);
        await _client.StorageVolumes.DeleteAsync("p", "default", "data-old", CancellationToken.None);

        Assert.Equal("""{"name":"data-old"}""", Assert.Single(_server.PostBodies));
        Assert.Equal(
        [
            "POST /1.0/storage-pools/default/volumes/custom/data?project=p",
            "GET /1.0/operations/op-1/wait?timeout=1",
            "DELETE /1.0/storage-pools/default/volumes/custom/data-old?project=p",
            "GET /1.0/operations/op-2/wait?timeout=1",
        ], _server.Requests);
    }
}
