using System.Text.Json.Nodes;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>The transport's envelopes against the fake HTTP server: sync answers, error answers, answers that are not JSON, and GET /1.0.</summary>
public sealed class IncusTransportTests : FakeServerTest
{
    [Fact]
    public async Task FakeServer_SyncEnvelope_IsDeserializedFromSnakeCase()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/instances/c1?project=p")) return false;
            var instance = FakeIncusServer.InstanceJson("c1", "Running");
            instance["project"] = "p";
            instance["expanded_config"] = new JsonObject { ["limits.cpu"] = "2" };
            await FakeIncusServer.SendSync(ctx.Response, instance);
            return true;
        });

        var instance = await _client.Instances.TryGetAsync("p", "c1", CancellationToken.None);

        Assert.NotNull(instance);
        Assert.Equal("c1", instance.Name);
        Assert.Equal("p", instance.Project);
        Assert.Equal("Running", instance.Status);
        Assert.Equal(103, instance.StatusCode);
        Assert.True(instance.IsActive);
        Assert.Equal("default", instance.RootPool);
        Assert.Equal(["default"], instance.Profiles);
        Assert.Equal("2", instance.ExpandedConfig!["limits.cpu"]);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), instance.CreatedAt);
    }

    [Fact]
    public async Task FakeServer_ListOfObjects_IsDeserialized()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/storage-pools?recursion=1")) return false;
            await FakeIncusServer.SendSync(ctx.Response, new JsonArray(
                new JsonObject { ["name"] = "default", ["driver"] = "dir", ["status"] = "Created", ["config"] = new JsonObject { ["source"] = "/var/lib/incus/storage-pools/default" } },
                new JsonObject { ["name"] = "fast", ["driver"] = "zfs", ["config"] = new JsonObject() }));
            return true;
        });

        var pools = await _client.StoragePools.ListAsync(CancellationToken.None);

        Assert.Equal(["default", "fast"], pools.Select(p => p.Name));
        Assert.Equal(["dir", "zfs"], pools.Select(p => p.Driver));
        Assert.Equal("/var/lib/incus/storage-pools/default", pools[0].Config["source"]);
    }

    [Fact]
    public async Task FakeServer_ErrorEnvelope404_MakesTryGetReturnNull()
    {
        // The fake answers every unscripted GET with an error envelope 404.
        Assert.Null(await _client.Instances.TryGetAsync("default", "missing", CancellationToken.None));
        Assert.Null(await _client.StorageVolumes.TryGetCustomAsync("default", "default", "missing", CancellationToken.None));
        Assert.Null(await _client.Profiles.TryGetAsync("default", "missing", CancellationToken.None));
        Assert.Null(await _client.Projects.TryGetAsync("missing", CancellationToken.None));
        Assert.Contains("GET /1.0/instances/missing?project=default", _server.Requests);
    }

    [Fact]
    public async Task FakeServer_ErrorEnvelope404_MakesGetThrowNotFound()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/instances?recursion=1&project=gone")) return false;
            await FakeIncusServer.SendError(ctx.Response, 404, "Project not found");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.ListAsync("gone", CancellationToken.None));

        Assert.Equal(404, e.StatusCode);
        Assert.True(e.IsNotFound);
        Assert.Equal(ErrorKind.NotFound, e.Kind);
        Assert.Equal(ErrorIds.IncusApiError, e.ErrorId);
        Assert.Equal("Project not found", e.Message);
    }

    [Theory]
    [InlineData(400, ErrorKind.InvalidArgument)]
    [InlineData(403, ErrorKind.PermissionDenied)]
    [InlineData(409, ErrorKind.ResourceExists)]
    [InlineData(500, ErrorKind.OperationFailed)]
    public async Task FakeServer_ErrorEnvelope_MapsItsCodeToAnErrorKind(int code, ErrorKind kind)
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/projects?recursion=1")) return false;
            await FakeIncusServer.SendError(ctx.Response, code, $"error {code} from the fake");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Projects.ListAsync(CancellationToken.None));

        Assert.Equal(code, e.StatusCode);
        Assert.Equal(kind, e.Kind);
        Assert.Equal($"error {code} from the fake", e.Message);
    }

    [Fact]
    public async Task FakeServer_ErrorEnvelopeWithoutErrorCode_TakesTheHttpStatus()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/projects?recursion=1")) return false;
            await FakeReplies.SendRaw(ctx.Response, 400, "application/json", """{"type":"error","error_code":0,"error":"bad filter","metadata":null}""");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Projects.ListAsync(CancellationToken.None));

        Assert.Equal(400, e.StatusCode);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
    }

    [Theory]
    [InlineData(502)]
    [InlineData(200)]
    public async Task FakeServer_NonJsonAnswer_IsAnApiErrorQuotingTheStatusAndTheStartOfTheBody(int status)
    {
        var body = "<html><body>Bad Gateway</body></html>" + new string('x', 500);
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/projects?recursion=1")) return false;
            await FakeReplies.SendRaw(ctx.Response, status, "text/html", body);
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Projects.ListAsync(CancellationToken.None));

        Assert.Equal(status, e.StatusCode);
        Assert.Contains($"({status})", e.Message, StringComparison.Ordinal);
        Assert.Contains("<html><body>Bad Gateway</body></html>", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(body, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FakeServer_SyncEnvelopeWithNullMetadata_IsAnApiErrorForGet()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/projects?recursion=1")) return false;
            await FakeIncusServer.SendSync(ctx.Response, null);
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Projects.ListAsync(CancellationToken.None));

        Assert.Contains("Empty response from /1.0/projects?recursion=1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FakeServer_GetServer_ReadsSlash10Once()
    {
        var first = await _client.GetServerAsync(CancellationToken.None);
        var second = await _client.GetServerAsync(CancellationToken.None);

        Assert.Same(first, second);
        Assert.Single(_server.Requests, r => r == "GET /1.0");
        Assert.Equal("6.0.99-fake", first.Environment.ServerVersion);
        Assert.Equal("fake", first.Environment.ServerName);
        Assert.False(first.Environment.ServerClustered);
        Assert.Equal("trusted", first.Auth);
        Assert.Equal(_server.BaseAddress.ToString(), _client.Endpoint);
    }

    [Fact]
    public async Task FakeServer_UntrustedClient_GivesIncusPermissionDenied()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0")) return false;
            await FakeIncusServer.SendSync(ctx.Response, new JsonObject
            {
                ["api_extensions"] = new JsonArray(), ["auth"] = "untrusted",
                ["environment"] = new JsonObject { ["server_version"] = "6.0.4" },
            });
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _client.GetServerAsync(CancellationToken.None));

        Assert.IsNotType<IncusApiException>(e);
        Assert.Equal(ErrorIds.IncusPermissionDenied, e.ErrorId);
        Assert.Equal(ErrorKind.PermissionDenied, e.Kind);
        Assert.Contains("untrusted", e.Message, StringComparison.Ordinal);
        Assert.Contains("incus-admin", e.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FakeServer_HasExtension_AnswersFromTheServersList_ReadOnce()
    {
        _server.Extensions.Add("direct_backup");

        Assert.True(await _client.HasExtensionAsync("container_backup", CancellationToken.None));
        Assert.True(await _client.HasExtensionAsync("direct_backup", CancellationToken.None));
        Assert.False(await _client.HasExtensionAsync("backup_s3_upload", CancellationToken.None));
        Assert.False(await _client.HasExtensionAsync("Container_Backup", CancellationToken.None));
        Assert.Single(_server.Requests, r => r == "GET /1.0");
    }

    [Fact]
    public async Task FakeServer_EveryCall_IsTraced()
    {
        var lines = new List<string>();
        using var traced = IncusConnection.Open(new IncusConnectionOptions
        {
            HttpAddress = _server.BaseAddress, WaitPollSeconds = 1, Trace = line => { lock (lines) lines.Add(line); },
        });

        await traced.GetServerAsync(CancellationToken.None);
        await traced.Instances.TryGetAsync("default", "missing", CancellationToken.None);

        Assert.Collection(lines,
            l => Assert.StartsWith("GET /1.0 -> 200 sync", l, StringComparison.Ordinal),
            l =>
            {
                Assert.StartsWith("GET /1.0/instances/missing?project=default -> 404 error", l, StringComparison.Ordinal);
                Assert.EndsWith(": not found (fake): /1.0/instances/missing?project=default", l, StringComparison.Ordinal);
            });
    }
}
