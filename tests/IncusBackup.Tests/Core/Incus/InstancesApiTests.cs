using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>What the instance calls put on the wire (method, escaped path, project, body) and how they wait.</summary>
public sealed class InstancesApiTests : FakeServerTest
{
    [Fact]
    public async Task FakeServer_Rename_PostsTheNewNameAndWaitsForTheOperation()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "POST", "/1.0/instances/a?project=p")) return false;
            await _server.SendAsyncDone(ctx.Response);
            return true;
        });

        await _client.Instances.RenameAsync("p", "a", "b", CancellationToken.None);

        Assert.Equal("""{"name":"b"}""", Assert.Single(_server.PostBodies));
        Assert.Equal(["POST /1.0/instances/a?project=p", "GET /1.0/operations/op-1/wait?timeout=1"], _server.Requests);
    }

    [Fact]
    public async Task FakeServer_RenameWhoseOperationFails_Throws()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "POST", "/1.0/instances/a?project=p")) return false;
            await _server.SendAsyncDone(ctx.Response);
            _server.FinishedOperations["op-1"] = FakeIncusServer.Operation("op-1", 400, "Failure", err: "Name \"b\" already in use");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.RenameAsync("p", "a", "b", CancellationToken.None));

        Assert.Equal(ErrorIds.IncusOperationFailed, e.ErrorId);
        Assert.Equal("Name \"b\" already in use", e.Message);
    }

    [Fact]
    public async Task FakeServer_RenameRefusedAtOnce_ThrowsTheErrorEnvelope()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "POST", "/1.0/instances/a?project=p")) return false;
            await FakeIncusServer.SendError(ctx.Response, 409, "Name \"b\" already in use");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.RenameAsync("p", "a", "b", CancellationToken.None));

        Assert.Equal(409, e.StatusCode);
        Assert.Equal(ErrorKind.ResourceExists, e.Kind);
        Assert.DoesNotContain(_server.Requests, r => r.Contains("/wait", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(InstanceAction.Start, "start")]
    [InlineData(InstanceAction.Stop, "stop")]
    [InlineData(InstanceAction.Freeze, "freeze")]
    [InlineData(InstanceAction.Unfreeze, "unfreeze")]
    public async Task FakeServer_ChangeState_PutsTheLowercaseActionWithTimeoutAndForce(InstanceAction action, string wire)
    {
        var bodies = new ConcurrentQueue<string>();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "PUT", "/1.0/instances/c1/state?project=p")) return false;
            bodies.Enqueue(await FakeReplies.ReadBody(ctx.Request));
            await _server.SendAsyncDone(ctx.Response);
            return true;
        });

        await _client.Instances.ChangeStateAsync("p", "c1", action, CancellationToken.None, force: true, timeoutSeconds: 17);

        var body = FakeIncusServer.ParseBody(Assert.Single(bodies));
        Assert.Equal(wire, body.GetProperty("action").GetString());
        Assert.Equal(17, body.GetProperty("timeout").GetInt32());
        Assert.True(body.GetProperty("force").GetBoolean());
        Assert.Contains("GET /1.0/operations/op-1/wait?timeout=1", _server.Requests);
    }

    [Fact]
    public async Task FakeServer_ChangeState_DefaultsToThirtySecondsWithoutForce()
    {
        var bodies = new ConcurrentQueue<string>();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "PUT", "/1.0/instances/c1/state?project=default")) return false;
            bodies.Enqueue(await FakeReplies.ReadBody(ctx.Request));
            await _server.SendAsyncDone(ctx.Response);
            return true;
        });

        await _client.Instances.ChangeStateAsync("default", "c1", InstanceAction.Stop, CancellationToken.None);

        Assert.Equal("""{"action":"stop","timeout":30,"force":false}""", Assert.Single(bodies));
    }

    [Fact]
    public async Task FakeServer_DeleteAnsweredSync_DoesNotWait()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "DELETE", "/1.0/instances/c1?project=p")) return false;
            await FakeIncusServer.SendSync(ctx.Response, null);
            return true;
        });

        await _client.Instances.DeleteAsync("p", "c1", CancellationToken.None);

        Assert.Equal(["DELETE /1.0/instances/c1?project=p"], _server.Requests);
    }

    [Fact]
    public async Task FakeServer_DeleteAnsweredAsync_WaitsForTheOperation()
    {
        // The fake answers every unscripted DELETE with a finished async operation.
        await _client.Instances.DeleteAsync("p", "c1", CancellationToken.None);

        Assert.Equal(["DELETE /1.0/instances/c1?project=p", "GET /1.0/operations/op-1/wait?timeout=1"], _server.Requests);
    }

    [Fact]
    public async Task FakeServer_DeleteWhoseOperationFails_Throws()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "DELETE", "/1.0/instances/c1?project=p")) return false;
            await _server.SendAsyncDone(ctx.Response);
            _server.FinishedOperations["op-1"] = FakeIncusServer.Operation("op-1", 400, "Failure", err: "Instance is running");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.DeleteAsync("p", "c1", CancellationToken.None));

        Assert.Equal("Instance is running", e.Message);
    }

    [Fact]
    public async Task FakeServer_NamesAndProjectsWithSpacesOrSlashes_AreEscapedInThePath()
    {
        var rawUrls = new ConcurrentQueue<string>();
        _server.Handlers.Add(async (ctx, _) =>
        {
            rawUrls.Enqueue($"{ctx.Request.HttpMethod} {ctx.Request.RawUrl}");
            if (ctx.Request.HttpMethod == "GET" && ctx.Request.Url!.AbsolutePath.Contains("/wait", StringComparison.Ordinal)) return false;
            await _server.SendAsyncDone(ctx.Response);
            return true;
        });

        await _client.Instances.RenameAsync("my proj", "web 1/x", "b", CancellationToken.None);
        await _client.Instances.ChangeStateAsync("a/b", "c?d", InstanceAction.Freeze, CancellationToken.None);
        await _client.Instances.DeleteAsync("p&q=r", "c#1", CancellationToken.None);

        Assert.Equal(
        [
            "POST /1.0/instances/web%201%2Fx?project=my%20proj",
            "GET /1.0/operations/op-1/wait?timeout=1",
            "PUT /1.0/instances/c%3Fd/state?project=a%2Fb",
            "GET /1.0/operations/op-2/wait?timeout=1",
            "DELETE /1.0/instances/c%231?project=p%26q%3Dr",
            "GET /1.0/operations/op-3/wait?timeout=1",
        ], rawUrls);
    }

    [Fact]
    public async Task FakeServer_ListOfEveryProject_AsksForAllProjects()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/instances?recursion=1&all-projects=true")) return false;
            var other = FakeIncusServer.InstanceJson("c2");
            other["project"] = "p2";
            await FakeIncusServer.SendSync(ctx.Response, new JsonArray(FakeIncusServer.InstanceJson("c1"), other));
            return true;
        });

        var all = await _client.Instances.ListAsync(null, CancellationToken.None);

        Assert.Equal([("default", "c1"), ("p2", "c2")], all.Select(i => (i.Project, i.Name)));
    }

    [Fact]
    public async Task FakeServer_ListSnapshots_OrdersThemOldestFirst()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/instances/c1/snapshots?recursion=1&project=p")) return false;
            await FakeIncusServer.SendSync(ctx.Response, new JsonArray(
                new JsonObject { ["name"] = "new", ["created_at"] = "2026-03-01T00:00:00Z" },
                new JsonObject { ["name"] = "old", ["created_at"] = "2026-01-01T00:00:00Z" },
                new JsonObject { ["name"] = "mid", ["created_at"] = "2026-02-01T00:00:00Z" }));
            return true;
        });

        var snapshots = await _client.Instances.ListSnapshotsAsync("p", "c1", CancellationToken.None);

        Assert.Equal(["old", "mid", "new"], snapshots.Select(s => s.Name));
    }

    [Fact]
    public async Task FakeServer_Update_PutsTheWritableFields()
    {
        var bodies = new ConcurrentQueue<string>();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "PUT", "/1.0/instances/c1?project=p")) return false;
            bodies.Enqueue(await FakeReplies.ReadBody(ctx.Request));
            await FakeIncusServer.SendSync(ctx.Response, null);
            return true;
        });
        var instance = JsonSerializer.Deserialize(FakeIncusServer.InstanceJson("c1").ToJsonString(), IncusJsonContext.Default.IncusInstance)!;
        instance.Config["limits.memory"] = "1GiB";

        await _client.Instances.UpdateAsync("p", "c1", instance.ToUpdate(), CancellationToken.None);

        var body = FakeIncusServer.ParseBody(Assert.Single(bodies));
        Assert.Equal("1GiB", body.GetProperty("config").GetProperty("limits.memory").GetString());
        Assert.Equal("default", body.GetProperty("profiles")[0].GetString());
        Assert.False(body.TryGetProperty("name", out _));
        Assert.False(body.TryGetProperty("expanded_devices", out _));
    }
}
