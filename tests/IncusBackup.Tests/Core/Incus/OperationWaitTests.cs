using System.Text.Json.Nodes;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>
/// Operations.WaitAsync against the /wait quirks of docs/incus-api.md §0: every answer comes as HTTP 200, a timeout is
/// an error envelope "context deadline exceeded", a failure is an error envelope, and a forgotten operation is a 404.
/// </summary>
public sealed class OperationWaitTests : FakeServerTest
{
    private const string Op = "/1.0/operations/op-x";

    [Fact]
    public async Task FakeServer_WaitTimesOutOnce_ProgressGetsTheOperation_ThenTheNextWaitSucceeds()
    {
        var waits = 0;
        _server.Handlers.Add(async (ctx, path) =>
        {
            if (path == Op + "/wait?timeout=1")
            {
                if (Interlocked.Increment(ref waits) == 1)
                    await FakeReplies.SendErrorAtHttp200(ctx.Response, 500, "context deadline exceeded");
                else
                    await FakeIncusServer.SendSync(ctx.Response, FakeIncusServer.Operation("op-x", 200, "Success"));
                return true;
            }
            if (path == Op)
            {
                var running = FakeIncusServer.Operation("op-x", 103, "Running");
                running["metadata"] = new JsonObject { ["create_backup_progress"] = "117.21MB (29.21MB/s)" };
                await FakeIncusServer.SendSync(ctx.Response, running);
                return true;
            }
            return false;
        });
        var progress = new List<IncusOperation>();

        var done = await _client.Operations.WaitAsync(Op, progress.Add, CancellationToken.None);

        Assert.Equal(200, done.StatusCode);
        Assert.Equal("Success", done.Status);
        var reported = Assert.Single(progress);
        Assert.Equal("op-x", reported.Id);
        Assert.Equal(103, reported.StatusCode);
        Assert.Equal("117.21MB (29.21MB/s)", reported.MetadataText("create_backup_progress"));
        Assert.Equal([$"GET {Op}/wait?timeout=1", $"GET {Op}", $"GET {Op}/wait?timeout=1"], _server.Requests);
    }

    [Fact]
    public async Task FakeServer_WaitTimesOut_WithoutProgressCallback_DoesNotReadTheOperation()
    {
        var waits = 0;
        _server.Handlers.Add(async (ctx, path) =>
        {
            if (path != Op + "/wait?timeout=1") return false;
            if (Interlocked.Increment(ref waits) == 1)
                await FakeReplies.SendErrorAtHttp200(ctx.Response, 500, "context deadline exceeded");
            else
                await FakeIncusServer.SendSync(ctx.Response, FakeIncusServer.Operation("op-x", 200, "Success"));
            return true;
        });

        var done = await _client.Operations.WaitAsync(Op, null, CancellationToken.None);

        Assert.Equal(200, done.StatusCode);
        Assert.Equal([$"GET {Op}/wait?timeout=1", $"GET {Op}/wait?timeout=1"], _server.Requests);
    }

    [Fact]
    public async Task FakeServer_WaitReturnsARunningOperation_ReportsItAndWaitsAgain()
    {
        var waits = 0;
        _server.Handlers.Add(async (ctx, path) =>
        {
            if (path != Op + "/wait?timeout=1") return false;
            var first = Interlocked.Increment(ref waits) == 1;
            await FakeIncusServer.SendSync(ctx.Response, first ? FakeIncusServer.Operation("op-x", 103, "Running") : FakeIncusServer.Operation("op-x", 200, "Success"));
            return true;
        });
        var progress = new List<IncusOperation>();

        var done = await _client.Operations.WaitAsync(Op, progress.Add, CancellationToken.None);

        Assert.Equal(200, done.StatusCode);
        Assert.Equal("Running", Assert.Single(progress).Status);
        Assert.Equal(2, waits);
    }

    [Fact]
    public async Task FakeServer_OperationPathWithProject_WaitsOnThePathWithoutTheQuery()
    {
        _server.FinishedOperations["op-x"] = FakeIncusServer.Operation("op-x", 200, "Success");

        await _client.Operations.WaitAsync(Op + "?project=p", null, CancellationToken.None);

        Assert.Equal([$"GET {Op}/wait?timeout=1"], _server.Requests);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(500)]
    public async Task FakeServer_FailedOperation_IsOperationFailed_NotInvalidArgument(int httpStatus)
    {
        _server.Handlers.Add(async (ctx, path) =>
        {
            if (path != Op + "/wait?timeout=1") return false;
            if (httpStatus == 200)
                await FakeReplies.SendErrorAtHttp200(ctx.Response, 500, "Create instance from backup: no space left on device");
            else
                await FakeIncusServer.SendError(ctx.Response, 500, "Create instance from backup: no space left on device");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Operations.WaitAsync(Op, null, CancellationToken.None));

        Assert.Equal(ErrorIds.IncusOperationFailed, e.ErrorId);
        Assert.Equal(ErrorKind.OperationFailed, e.Kind);
        Assert.Equal("Create instance from backup: no space left on device", e.Message);
    }

    [Fact]
    public async Task FakeServer_FailedOperationFromTheFakesTable_IsOperationFailed()
    {
        _server.FinishedOperations["op-x"] = FakeIncusServer.Operation("op-x", 400, "Failure", err: "Backup storage: exit status 1");

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Operations.WaitAsync(Op, null, CancellationToken.None));

        Assert.Equal(ErrorIds.IncusOperationFailed, e.ErrorId);
        Assert.Equal(ErrorKind.OperationFailed, e.Kind);
        Assert.Equal("Backup storage: exit status 1", e.Message);
    }

    [Fact]
    public async Task FakeServer_SyncAnswerWithAFailedOperation_IsOperationFailedWithItsErr()
    {
        _server.Handlers.Add(async (ctx, path) =>
        {
            if (path != Op + "/wait?timeout=1") return false;
            await FakeIncusServer.SendSync(ctx.Response, FakeIncusServer.Operation("op-x", 400, "Failure", err: "tar: write error"));
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Operations.WaitAsync(Op, null, CancellationToken.None));

        Assert.Equal(ErrorIds.IncusOperationFailed, e.ErrorId);
        Assert.Equal(ErrorKind.OperationFailed, e.Kind);
        Assert.Equal("tar: write error", e.Message);
    }

    [Fact]
    public async Task FakeServer_CancelledOperation_Throws()
    {
        _server.FinishedOperations["op-x"] = FakeIncusServer.Operation("op-x", 401, "Cancelled");

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Operations.WaitAsync(Op, null, CancellationToken.None));

        Assert.Equal(ErrorIds.IncusOperationFailed, e.ErrorId);
        Assert.Equal(ErrorKind.OperationFailed, e.Kind);
        Assert.Equal("Cancelled", e.Message);
    }

    [Fact]
    public async Task FakeServer_ForgottenOperation_IsLost()
    {
        // Nothing in FinishedOperations: the fake answers /wait with 404 "Operation not found".
        var e = await Assert.ThrowsAsync<IncusOperationLostException>(() => _client.Operations.WaitAsync(Op, null, CancellationToken.None));

        Assert.Equal(ErrorIds.IncusOperationFailed, e.ErrorId);
        Assert.Equal(ErrorKind.OperationFailed, e.Kind);
        Assert.Contains(Op, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FakeServer_OperationForgottenWhileTimingOut_IsLost()
    {
        _server.Handlers.Add(async (ctx, path) =>
        {
            if (path != Op + "/wait?timeout=1" || _server.Requests.Count > 1) return false;
            await FakeReplies.SendErrorAtHttp200(ctx.Response, 500, "context deadline exceeded");
            return true;
        });
        var progress = new List<IncusOperation>();

        await Assert.ThrowsAsync<IncusOperationLostException>(() => _client.Operations.WaitAsync(Op, progress.Add, CancellationToken.None));

        Assert.Empty(progress);
        Assert.Equal([$"GET {Op}/wait?timeout=1", $"GET {Op}", $"GET {Op}/wait?timeout=1"], _server.Requests);
    }

    [Fact]
    public async Task FakeServer_CancelledToken_SendsNoRequest()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.Operations.WaitAsync(Op, null, cancelled.Token));

        Assert.Empty(_server.Requests);
    }
}
