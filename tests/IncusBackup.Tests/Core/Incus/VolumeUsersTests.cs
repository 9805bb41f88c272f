using System.Text.Json.Nodes;
using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>Who uses a custom volume: its used_by URLs, and the instances behind the profiles it lists.</summary>
public sealed class VolumeUsersTests
{
    private static StorageVolume UsedBy(params string[] urls) => new() { Name = "data", Type = "custom", UsedBy = [.. urls] };

    [Fact]
    public void InstanceUsers_ParseProjectsFromTheQuery_AndFallBackToTheDefault()
    {
        var volume = UsedBy("/1.0/instances/c1", "/1.0/instances/c2?project=p2", "/1.0/profiles/shared?project=p3");

        Assert.Equal([("def", "c1"), ("p2", "c2")], volume.InstanceUsers("def"));
    }

    [Fact]
    public void InstanceUsers_SkipInstanceSnapshots()
    {
        var volume = UsedBy("/1.0/instances/c1/snapshots/s", "/1.0/instances/c1/snapshots/s?project=p", "/1.0/instances/c2");

        Assert.Equal([("default", "c2")], volume.InstanceUsers("default"));
    }

    [Fact]
    public void InstanceUsers_UnescapeNamesAndProjects()
    {
        var volume = UsedBy("/1.0/instances/my%20web?project=my%20proj", "/1.0/instances/caf%C3%A9?project=a%26b");

        Assert.Equal([("my proj", "my web"), ("a&b", "café")], volume.InstanceUsers("default"));
    }

    [Fact]
    public void ProfileUsers_AreOnlyTheProfiles()
    {
        var volume = UsedBy("/1.0/instances/c1", "/1.0/profiles/shared", "/1.0/profiles/other%20one?project=p", "/1.0/storage-pools/default");

        Assert.Equal([("default", "shared"), ("p", "other one")], volume.ProfileUsers("default"));
    }

    [Fact]
    public void NobodyUsesTheVolume_NoUsers()
    {
        var volume = UsedBy();

        Assert.Empty(volume.InstanceUsers("default"));
        Assert.Empty(volume.ProfileUsers("default"));
    }

    [Fact]
    public async Task FakeServer_RunningUsers_FollowProfilesAndKeepOnlyRunningOrFrozen()
    {
        using var server = new FakeIncusServer();
        var states = new Dictionary<string, string>
        {
            ["/1.0/instances/direct-running?project=default"] = "Running",
            ["/1.0/instances/direct-stopped?project=default"] = "Stopped",
            ["/1.0/instances/via-profile-frozen?project=p"] = "Frozen",
            ["/1.0/instances/via-profile-stopped?project=p"] = "Stopped",
            ["/1.0/instances/elsewhere?project=p2"] = "Running",
        };
        server.Handlers.Add(async (ctx, path) =>
        {
            if (ctx.Request.HttpMethod != "GET") return false;
            if (path == "/1.0/profiles/shared?project=p")
            {
                await FakeIncusServer.SendSync(ctx.Response, new JsonObject
                {
                    ["name"] = "shared", ["config"] = new JsonObject(), ["devices"] = new JsonObject(),
                    ["used_by"] = new JsonArray("/1.0/instances/via-profile-frozen", "/1.0/instances/via-profile-stopped",
                        "/1.0/instances/elsewhere?project=p2", "/1.0/instances/direct-running?project=default"),
                });
                return true;
            }
            if (!states.TryGetValue(path, out var status)) return false;
            await FakeIncusServer.SendSync(ctx.Response, FakeIncusServer.InstanceJson(ctx.Request.Url!.AbsolutePath.Split('/')[^1], status));
            return true;
        });
        using var client = FakeReplies.Connect(server);
        var volume = UsedBy("/1.0/instances/direct-running", "/1.0/instances/direct-stopped", "/1.0/instances/vanished",
            "/1.0/instances/direct-running/snapshots/s1", "/1.0/profiles/shared?project=p", "/1.0/profiles/missing");

        var running = await client.RunningUsersAsync(volume, "default", CancellationToken.None);

        Assert.Equal(["direct-running", "via-profile-frozen", "elsewhere"], running.Select(i => i.Name));
        Assert.Single(server.Requests, r => r == "GET /1.0/instances/direct-running?project=default");
        Assert.Contains("GET /1.0/instances/vanished?project=default", server.Requests);
        Assert.Contains("GET /1.0/profiles/missing?project=default", server.Requests);
        Assert.DoesNotContain(server.Requests, r => r.Contains("snapshots", StringComparison.Ordinal));
    }
}
