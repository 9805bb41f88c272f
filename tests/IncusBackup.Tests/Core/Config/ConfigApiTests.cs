using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using IncusBackup.Config;
using IncusBackup.Incus;
using IncusBackup.Tests.Core.Incus;
using IncusBackup.Tests.Fakes;
using Xunit;
using static IncusBackup.Tests.Core.Config.ConfigJson;

namespace IncusBackup.Tests.Core.Config;

/// <summary>
/// The config API on the wire (docs/incus-api.md §6): which path each kind goes to, the ETag read from GET and sent
/// back as If-Match, PUT for resources and PATCH for the server's keys.
/// </summary>
public sealed class ConfigApiTests : FakeServerTest
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>Each write the fake received: "METHOD path?query If-Match=... body".</summary>
    private readonly ConcurrentQueue<string> _writes = new();

    public ConfigApiTests()
    {
        _server.Handlers.Add(async (ctx, pathAndQuery) =>
        {
            var method = ctx.Request.HttpMethod;
            if (method is "PUT" or "PATCH" or "POST")
            {
                var body = method == "POST" ? _server.BodyOf(ctx) : await FakeReplies.ReadBody(ctx.Request);
                _writes.Enqueue($"{method} {pathAndQuery} If-Match={ctx.Request.Headers["If-Match"] ?? "(none)"} {Canon(body)}");
                if (ctx.Request.Headers["If-Match"] == "\"stale\"")
                    await FakeIncusServer.SendError(ctx.Response, 412, "ETag doesn't match: \"fresh\" vs \"stale\"");
                else if (method == "POST")
                    await FakeIncusServer.SendSync(ctx.Response, null, 201);
                else
                    await _server.SendAsyncDone(ctx.Response);
                return true;
            }
            if (method == "GET" && pathAndQuery is "/1.0/profiles/my%20web?project=p" or "/1.0")
            {
                ctx.Response.Headers["ETag"] = "\"fresh\"";
                await FakeIncusServer.SendSync(ctx.Response, pathAndQuery == "/1.0"
                    ? Obj("""{"config":{"core.https_address":":8443"},"environment":{"server_version":"6.0.4"}}""")
                    : Obj("""{"name":"my web","project":"p","config":{"limits.cpu":"2"},"devices":{},"used_by":[]}"""));
                return true;
            }
            return false;
        });
    }

    [Fact]
    public async Task GetAsync_ReturnsTheObjectAndItsETag()
    {
        var (value, etag) = await _client.Config.GetAsync(ConfigKind.Profile, "p", "my web", None);

        Assert.Equal(Canon("""{"name":"my web","project":"p","config":{"limits.cpu":"2"},"devices":{},"used_by":[]}"""), Canon(value));
        Assert.Equal("\"fresh\"", etag);
    }

    [Fact]
    public async Task GetAsync_OfWhatTheServerDoesNotHave_IsNothing()
    {
        var (value, etag) = await _client.Config.GetAsync(ConfigKind.Network, "p", "br0", None);

        Assert.Null(value);
        Assert.Null(etag);
        Assert.Contains("GET /1.0/networks/br0?project=p", _server.Requests);
    }

    [Fact]
    public async Task GetAsync_OfTheServer_ReadsSlash10()
    {
        var (value, etag) = await _client.Config.GetAsync(ConfigKind.Server, null, "server", None);

        Assert.Equal(":8443", value!["config"]!["core.https_address"]!.GetValue<string>());
        Assert.Equal("\"fresh\"", etag);
    }

    [Fact]
    public async Task CreateAsync_PostsToTheCollectionOfEachKind()
    {
        await _client.Config.CreateAsync(ConfigKind.Project, null, Obj("""{"name":"p","config":{}}"""), None);
        await _client.Config.CreateAsync(ConfigKind.StoragePool, null, Obj("""{"name":"fast","driver":"dir","config":{}}"""), None);
        await _client.Config.CreateAsync(ConfigKind.Network, null, Obj("""{"name":"br0","type":"bridge","config":{}}"""), None);
        await _client.Config.CreateAsync(ConfigKind.Profile, "my project", Obj("""{"name":"web","config":{},"devices":{}}"""), None);

        Assert.Equal(
            [
                """POST /1.0/projects If-Match=(none) {"config":{},"name":"p"}""",
                """POST /1.0/storage-pools If-Match=(none) {"config":{},"driver":"dir","name":"fast"}""",
                """POST /1.0/networks?project=default If-Match=(none) {"config":{},"name":"br0","type":"bridge"}""",
                """POST /1.0/profiles?project=my%20project If-Match=(none) {"config":{},"devices":{},"name":"web"}""",
            ],
            _writes);
    }

    [Fact]
    public async Task UpdateAsync_PutsTheResource_WithIfMatch()
    {
        await _client.Config.UpdateAsync(ConfigKind.Profile, "p", "my web", Obj("""{"description":"","config":{"limits.cpu":"2"},"devices":{}}"""), "\"fresh\"", None);
        await _client.Config.UpdateAsync(ConfigKind.StoragePool, null, "fast", Obj("""{"description":"","config":{}}"""), null, None);

        Assert.Equal(
            [
                """PUT /1.0/profiles/my%20web?project=p If-Match="fresh" {"config":{"limits.cpu":"2"},"description":"","devices":{}}""",
                """PUT /1.0/storage-pools/fast If-Match=(none) {"config":{},"description":""}""",
            ],
            _writes);
    }

    [Fact]
    public async Task UpdateAsync_OfTheServer_PatchesSlash10()
    {
        await _client.Config.UpdateAsync(ConfigKind.Server, null, "server", Obj("""{"config":{"core.https_address":""}}"""), "\"fresh\"", None);

        Assert.Equal(["""PATCH /1.0 If-Match="fresh" {"config":{"core.https_address":""}}"""], _writes);
    }

    [Fact]
    public async Task UpdateAsync_WithAStaleETag_IsTheServers412()
    {
        var e = await Assert.ThrowsAsync<IncusApiException>(() =>
            _client.Config.UpdateAsync(ConfigKind.Project, null, "p", new JsonObject { ["config"] = new JsonObject() }, "\"stale\"", None));

        Assert.Equal(412, e.StatusCode);
        Assert.Equal("ETag doesn't match: \"fresh\" vs \"stale\"", e.Message);
    }
}
