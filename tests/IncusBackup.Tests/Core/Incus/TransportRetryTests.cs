using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>
/// The transport's retries against the fake server, for faults a real incusd does not make on demand: 5xx answers,
/// connections closed before the answer, a download broken off half-way. Only GETs are repeated, and only until their
/// answer's headers arrive; each retry is a trace line. The fake's request log counts the attempts.
/// </summary>
public sealed class TransportRetryTests : IDisposable
{
    private const string Projects = "/1.0/projects?recursion=1";
    private const string Op = "/1.0/operations/op-x";

    private readonly FakeIncusServer _server = new();
    private readonly List<string> _trace = [];
    private readonly IncusTransport _transport;
    private readonly IIncusServer _client;

    public TransportRetryTests()
    {
        _transport = Transport(_server.BaseAddress, FakeReplies.ImmediateRetries);
        _client = new IncusServer(_transport);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    private IncusTransport Transport(Uri address, RetryPolicy retry) =>
        new(new SocketsHttpHandler(), address, address.ToString()) { Trace = Record, Retry = retry, WaitPollSeconds = 1 };

    private void Record(string line)
    {
        lock (_trace) _trace.Add(line);
    }

    private List<string> Retries()
    {
        lock (_trace) return [.. _trace.Where(l => l.Contains(": retry ", StringComparison.Ordinal))];
    }

    private int Count(string request) => _server.Requests.Count(r => r == request);

    /// <summary>Answers <paramref name="pathAndQuery"/> with each status in turn (then 200 with an empty list), counting the calls.</summary>
    private void Answer(string method, string pathAndQuery, params int[] statuses)
    {
        var calls = 0;
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, method, pathAndQuery)) return false;
            var call = Interlocked.Increment(ref calls);
            if (call <= statuses.Length)
                await FakeIncusServer.SendError(ctx.Response, statuses[call - 1], $"fake {statuses[call - 1]} (call {call})");
            else
                await FakeIncusServer.SendSync(ctx.Response, new JsonArray());
            return true;
        });
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task FakeServer_5xxThenOk_GetIsRetried(int status)
    {
        Answer("GET", Projects, status);

        var projects = await _client.Projects.ListAsync(CancellationToken.None);

        Assert.Empty(projects);
        Assert.Equal(2, Count("GET " + Projects));
        var retry = Assert.Single(Retries());
        Assert.Equal($"GET {Projects}: retry 1 of 3 in 0 ms after HTTP {status}: fake {status} (call 1)", retry);
    }

    [Fact]
    public async Task FakeServer_503TwiceThenOk_GetSucceeds_AndTheTraceShowsTwoRetries()
    {
        Answer("GET", Projects, 503, 503);

        await _client.Projects.ListAsync(CancellationToken.None);

        Assert.Equal(3, Count("GET " + Projects));
        Assert.Collection(Retries(),
            l => Assert.StartsWith($"GET {Projects}: retry 1 of 3 in ", l, StringComparison.Ordinal),
            l => Assert.StartsWith($"GET {Projects}: retry 2 of 3 in ", l, StringComparison.Ordinal));
        // Every attempt keeps its own line too: three answers, then the retries between them.
        Assert.Equal(3, _trace.Count(l => l.StartsWith($"GET {Projects} -> ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task FakeServer_KeepsAnswering500_GetFailsAfterFourAttempts_WithTheServersLastError()
    {
        Answer("GET", Projects, 500, 500, 500, 500, 500);

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Projects.ListAsync(CancellationToken.None));

        Assert.Equal(500, e.StatusCode);
        Assert.Equal("fake 500 (call 4)", e.Message);
        Assert.Equal(4, Count("GET " + Projects));
        Assert.Equal(3, Retries().Count);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(501)]
    public async Task FakeServer_AnswerThatIsNotTransient_IsNotRetried(int status)
    {
        Answer("GET", Projects, status);

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Projects.ListAsync(CancellationToken.None));

        Assert.Equal(status, e.StatusCode);
        Assert.Equal(1, Count("GET " + Projects));
        Assert.Empty(Retries());
    }

    [Fact]
    public async Task FakeServer_404_IsNotRetried_AndTryGetReturnsNull()
    {
        Assert.Null(await _client.Instances.TryGetAsync("default", "missing", CancellationToken.None));

        Assert.Equal(["GET /1.0/instances/missing?project=default"], _server.Requests);
        Assert.Empty(Retries());
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    public async Task FakeServer_500OnARequestThatChangesSomething_IsSentExactlyOnce(string method)
    {
        Answer(method, "/1.0/instances/c1?project=p", 500);

        var e = await Assert.ThrowsAsync<IncusApiException>(() =>
            _transport.SendObjectAsync(new HttpMethod(method), "/1.0/instances/c1?project=p", new JsonObject { ["name"] = "c2" }, null, CancellationToken.None));

        Assert.Equal(500, e.StatusCode);
        Assert.Equal([$"{method} /1.0/instances/c1?project=p"], _server.Requests);
        Assert.Empty(Retries());
    }

    [Fact]
    public async Task FakeServer_500OnDelete_IsSentExactlyOnce()
    {
        Answer("DELETE", "/1.0/instances/c1/backups/b1?project=p", 500);

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.Backups("p", "c1").DeleteAsync("b1", CancellationToken.None));

        Assert.Equal(500, e.StatusCode);
        Assert.Equal(["DELETE /1.0/instances/c1/backups/b1?project=p"], _server.Requests);
    }

    [Fact]
    public async Task FakeServer_ResetsTheConnectionBeforeAnswering_GetIsRetried()
    {
        using var dropping = new FakeDroppingServer(drops: 1, reset: true);
        using var transport = Transport(dropping.BaseAddress, FakeReplies.ImmediateRetries);

        var projects = await transport.GetObjectsAsync(Projects, CancellationToken.None);

        Assert.Empty(projects);
        Assert.Equal(2, dropping.Requests);
        var retry = Assert.Single(Retries());
        Assert.Equal($"GET {Projects}: retry 1 of 3 in 0 ms after Connection reset by peer", retry);
    }

    [Fact]
    public async Task FakeServer_KeepsResettingTheConnection_GetFailsAfterFourAttempts_AsUnreachable()
    {
        using var dropping = new FakeDroppingServer(drops: 100, reset: true);
        using var transport = Transport(dropping.BaseAddress, FakeReplies.ImmediateRetries);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => transport.GetObjectsAsync(Projects, CancellationToken.None));

        Assert.Equal(ErrorIds.IncusUnreachable, e.ErrorId);
        Assert.Contains("Connection reset by peer", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, dropping.Requests);
        Assert.Equal(3, Retries().Count);
    }

    /// <summary>
    /// A connection closed (FIN) before any answer is first retried by SocketsHttpHandler itself, on new connections;
    /// what it gives up on ("The response ended prematurely") is then retried here.
    /// </summary>
    [Fact]
    public async Task FakeServer_KeepsClosingTheConnectionBeforeAnswering_GetIsRetried_ThenUnreachable()
    {
        using var dropping = new FakeDroppingServer(drops: 1000, reset: false);
        using var transport = Transport(dropping.BaseAddress, FakeReplies.ImmediateRetries);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => transport.GetObjectsAsync(Projects, CancellationToken.None));

        Assert.Equal(ErrorIds.IncusUnreachable, e.ErrorId);
        Assert.Equal(3, Retries().Count);
        Assert.All(Retries(), l => Assert.Contains("after The response ended prematurely", l, StringComparison.Ordinal));
        Assert.True(dropping.Requests >= 4, $"{dropping.Requests} requests");
    }

    [Fact]
    public async Task FakeServer_DropsTheConnectionOfAPost_ItIsSentExactlyOnce()
    {
        using var dropping = new FakeDroppingServer(drops: 100, reset: true);
        using var transport = Transport(dropping.BaseAddress, FakeReplies.ImmediateRetries);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() =>
            transport.SendObjectAsync(HttpMethod.Post, "/1.0/instances", new JsonObject { ["name"] = "c1" }, null, CancellationToken.None));

        Assert.Equal(ErrorIds.IncusUnreachable, e.ErrorId);
        Assert.Equal(1, dropping.Requests);
        Assert.Empty(Retries());
    }

    [Fact]
    public async Task ClosedPort_ConnectionRefused_GetIsRetried_ThenUnreachable()
    {
        var port = FreePort();
        using var transport = Transport(new Uri($"http://127.0.0.1:{port}/"), FakeReplies.ImmediateRetries);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => transport.GetObjectsAsync(Projects, CancellationToken.None));

        Assert.Equal(ErrorIds.IncusUnreachable, e.ErrorId);
        Assert.Equal(3, Retries().Count);
        Assert.All(Retries(), l => Assert.Contains("refused", l, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task MissingSocket_FailsAtOnce_WithoutRetrying()
    {
        using var scratch = new TempDirectory();
        var socket = scratch.Combine("no-such.socket");
        // Were it retried, the first wait alone would outlast the test's limit.
        using var client = IncusConnection.Open(new IncusConnectionOptions
        {
            SocketPath = socket, Trace = Record, Retry = new RetryPolicy { FirstDelay = TimeSpan.FromMinutes(10), UseJitter = false },
        });

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => client.Projects.ListAsync(CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ErrorIds.IncusUnreachable, e.ErrorId);
        Assert.Contains($"There is no Incus socket at {socket}", e.Message, StringComparison.Ordinal);
        Assert.Empty(Retries());
    }

    [Fact]
    public async Task FakeServer_503_ThenTheCallerCancels_StopsTheWaitBeforeTheRetry()
    {
        Answer("GET", Projects, 503, 503, 503, 503);
        using var cts = new CancellationTokenSource();
        using var transport = new IncusTransport(new SocketsHttpHandler(), _server.BaseAddress, _server.BaseAddress.ToString())
        {
            Retry = new RetryPolicy { FirstDelay = TimeSpan.FromMinutes(10), UseJitter = false },
            Trace = line =>
            {
                Record(line);
                if (line.Contains(": retry 1 of 3", StringComparison.Ordinal)) cts.CancelAfter(TimeSpan.FromMilliseconds(100));
            },
        };
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transport.GetObjectsAsync(Projects, cts.Token)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal(1, Count("GET " + Projects));
        Assert.Single(Retries());
    }

    [Fact]
    public async Task FakeServer_WaitAnswers502_ThenTheOperation_TheWaitIsRetried()
    {
        var waits = 0;
        _server.Handlers.Add(async (ctx, path) =>
        {
            if (path != Op + "/wait?timeout=1") return false;
            if (Interlocked.Increment(ref waits) == 1)
                await FakeReplies.SendRaw(ctx.Response, 502, "text/html", "<html>Bad Gateway</html>");
            else
                await FakeIncusServer.SendSync(ctx.Response, FakeIncusServer.Operation("op-x", 200, "Success"));
            return true;
        });

        var done = await _client.Operations.WaitAsync(Op, null, CancellationToken.None);

        Assert.Equal(200, done.StatusCode);
        Assert.Equal([$"GET {Op}/wait?timeout=1", $"GET {Op}/wait?timeout=1"], _server.Requests);
        Assert.Contains("after HTTP 502", Assert.Single(Retries()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FakeServer_WaitReportsAFailedOperationInAnHttp200_IsNotRetried()
    {
        _server.FinishedOperations["op-x"] = FakeIncusServer.Operation("op-x", 400, "Failure", err: "Create backup: exit status 1");

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Operations.WaitAsync(Op, null, CancellationToken.None));

        Assert.Equal(ErrorIds.IncusOperationFailed, e.ErrorId);
        Assert.Equal("Create backup: exit status 1", e.Message);
        Assert.Equal([$"GET {Op}/wait?timeout=1"], _server.Requests);
        Assert.Empty(Retries());
    }

    [Fact]
    public async Task FakeServer_Export503ThenOk_TheDownloadIsRetried_WithItsRangeHeader()
    {
        const string Export = "/1.0/instances/c1/backups/b1/export?project=p";
        var ranges = new List<string?>();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", Export)) return false;
            lock (ranges) ranges.Add(ctx.Request.Headers["Range"]);
            if (ranges.Count == 1)
            {
                await FakeIncusServer.SendError(ctx.Response, 503, "busy");
                return true;
            }
            ctx.Response.Headers["Content-Range"] = "bytes 2-4/5";
            await FakeReplies.SendBytes(ctx.Response, 206, "cde"u8.ToArray());
            return true;
        });

        using var download = await _client.Instances.Backups("p", "c1").DownloadAsync("b1", 2, CancellationToken.None);
        using var body = new StreamReader(download.Body);

        Assert.Equal("cde", await body.ReadToEndAsync());
        Assert.Equal(2, download.Offset);
        Assert.Equal(["bytes=2-", "bytes=2-"], ranges);
        Assert.Equal($"GET {Export}: retry 1 of 3 in 0 ms after HTTP 503 Service Unavailable", Assert.Single(Retries()));
        Assert.Equal(2, _trace.Count(l => l.StartsWith($"GET {Export} -> ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task FakeServer_ExportBreaksOffMidBody_IsNotRetriedByTheTransport()
    {
        const string Export = "/1.0/instances/c1/backups/b1/export?project=p";
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", Export)) return false;
            ctx.Response.ContentType = "application/octet-stream";
            ctx.Response.ContentLength64 = 1024 * 1024;
            await ctx.Response.OutputStream.WriteAsync(new byte[64 * 1024]);
            await ctx.Response.OutputStream.FlushAsync();
            ctx.Response.Abort();
            return true;
        });

        using var download = await _client.Instances.Backups("p", "c1").DownloadAsync("b1", 0, CancellationToken.None);

        await Assert.ThrowsAnyAsync<IOException>(() => download.Body.CopyToAsync(Stream.Null));
        Assert.Equal(1, Count("GET " + Export));
        Assert.Empty(Retries());
    }

    [Fact]
    public async Task FakeServer_500OnAStreamedPost_IsSentExactlyOnce()
    {
        Answer("POST", "/1.0/instances/c1/backups?project=p", 500);

        var e = await Assert.ThrowsAsync<IncusApiException>(() =>
            _client.Instances.Backups("p", "c1").ExportDirectAsync(new ServerBackupRequest { Compression = "zstd" }, CancellationToken.None));

        Assert.Equal(500, e.StatusCode);
        Assert.Equal(["POST /1.0/instances/c1/backups?project=p"], _server.Requests);
        Assert.Empty(Retries());
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
