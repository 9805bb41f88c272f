using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>
/// The server-side backups of instances and custom volumes: the create request each family spells its own way,
/// delete that tolerates a missing backup, Range downloads, and the streamed export of direct_backup.
/// </summary>
public sealed class ServerBackupsApiTests : FakeServerTest
{
    private static readonly DateTimeOffset Expiry = new(2026, 5, 6, 7, 8, 9, TimeSpan.Zero);
    private static readonly ServerBackupRequest FullRequest = new()
    {
        Name = "incusbackup-1", ExpiresAt = Expiry, WithoutSnapshots = true, Optimized = true, Compression = "zstd",
    };

    private readonly byte[] _file = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();

    private void AnswerAsync(string method, string pathAndQuery) =>
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, method, pathAndQuery)) return false;
            await _server.SendAsyncDone(ctx.Response);
            return true;
        });

    private static async Task<byte[]> ReadAllAsync(Stream body)
    {
        using var copy = new MemoryStream();
        await body.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task FakeServer_InstanceBackupCreate_SendsInstanceOnlyInSnakeCase_AndReturnsTheOperation()
    {
        AnswerAsync("POST", "/1.0/instances/c1/backups?project=p");

        var operation = await _client.Instances.Backups("p", "c1").StartCreateAsync(FullRequest, CancellationToken.None);

        Assert.Equal("/1.0/operations/op-1", operation);
        var body = FakeIncusServer.ParseBody(Assert.Single(_server.PostBodies));
        Assert.Equal("incusbackup-1", body.GetProperty("name").GetString());
        Assert.Equal(Expiry, body.GetProperty("expires_at").GetDateTimeOffset());
        Assert.True(body.GetProperty("instance_only").GetBoolean());
        Assert.True(body.GetProperty("optimized_storage").GetBoolean());
        Assert.Equal("zstd", body.GetProperty("compression_algorithm").GetString());
        Assert.False(body.TryGetProperty("volume_only", out _));
        Assert.Equal(["name", "expires_at", "instance_only", "optimized_storage", "compression_algorithm"],
            body.EnumerateObject().Select(p => p.Name));
        // Starting does not wait: the caller waits with progress.
        Assert.Equal(["POST /1.0/instances/c1/backups?project=p"], _server.Requests);
    }

    [Fact]
    public async Task FakeServer_VolumeBackupCreate_SendsVolumeOnlyInsteadOfInstanceOnly()
    {
        AnswerAsync("POST", "/1.0/storage-pools/fast/volumes/custom/data/backups?project=p");

        var operation = await _client.StorageVolumes.Backups("p", "fast", "data").StartCreateAsync(FullRequest, CancellationToken.None);

        Assert.Equal("/1.0/operations/op-1", operation);
        var body = FakeIncusServer.ParseBody(Assert.Single(_server.PostBodies));
        Assert.True(body.GetProperty("volume_only").GetBoolean());
        Assert.False(body.TryGetProperty("instance_only", out _));
        Assert.Equal(["name", "expires_at", "volume_only", "optimized_storage", "compression_algorithm"],
            body.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task FakeServer_BackupCreateWithDefaults_LeavesNullFieldsOut()
    {
        AnswerAsync("POST", "/1.0/instances/c1/backups?project=default");

        await _client.Instances.Backups("default", "c1").StartCreateAsync(new ServerBackupRequest { Name = "b" }, CancellationToken.None);

        Assert.Equal("""{"name":"b","instance_only":false,"optimized_storage":false}""", Assert.Single(_server.PostBodies));
    }

    [Fact]
    public async Task FakeServer_BackupCreateAnsweredSync_IsAnError()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "POST", "/1.0/instances/c1/backups?project=p")) return false;
            await FakeIncusServer.SendSync(ctx.Response, null);
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.Backups("p", "c1").StartCreateAsync(FullRequest, CancellationToken.None));

        Assert.Contains("did not start an operation", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FakeServer_BackupCreateRefused_ThrowsTheServersError()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "POST", "/1.0/instances/c1/backups?project=p")) return false;
            await FakeIncusServer.SendError(ctx.Response, 400, "Invalid compression algorithm \"bogus\"");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.Backups("p", "c1").StartCreateAsync(FullRequest with { Compression = "bogus" }, CancellationToken.None));

        Assert.Equal(400, e.StatusCode);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public async Task FakeServer_BackupCreate_WithAlreadyCancelledToken_SendsNothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.Instances.Backups("p", "c1").StartCreateAsync(FullRequest, cancelled.Token));

        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task FakeServer_DeleteOfAMissingBackup_IsNotAnError()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (ctx.Request.HttpMethod != "DELETE") return false;
            await FakeIncusServer.SendError(ctx.Response, 404, "Instance backup not found");
            return true;
        });

        await _client.Instances.Backups("p", "c1").DeleteAsync("gone", CancellationToken.None);
        await _client.StorageVolumes.Backups("p", "fast", "data").DeleteAsync("gone", CancellationToken.None);

        Assert.Equal(
            ["DELETE /1.0/instances/c1/backups/gone?project=p", "DELETE /1.0/storage-pools/fast/volumes/custom/data/backups/gone?project=p"],
            _server.Requests);
    }

    [Fact]
    public async Task FakeServer_DeleteOfABackup_WaitsForTheOperation()
    {
        await _client.Instances.Backups("p", "c1").DeleteAsync("b 1", CancellationToken.None);

        Assert.Equal(["DELETE /1.0/instances/c1/backups/b%201?project=p", "GET /1.0/operations/op-1/wait?timeout=1"], _server.Requests);
    }

    [Fact]
    public async Task FakeServer_DeleteThatFailsOtherwise_Throws()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (ctx.Request.HttpMethod != "DELETE") return false;
            await FakeIncusServer.SendError(ctx.Response, 500, "Failed to delete backup");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.Backups("p", "c1").DeleteAsync("b1", CancellationToken.None));

        Assert.Equal(500, e.StatusCode);
    }

    [Fact]
    public async Task FakeServer_TryList_ReturnsTheBackups_OrNullWhenTheResourceIsGone()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/instances/c1/backups?recursion=1&project=p")) return false;
            await FakeIncusServer.SendSync(ctx.Response, new JsonArray(
                new JsonObject { ["name"] = "b1", ["created_at"] = "2026-01-01T00:00:00Z", ["expires_at"] = "2026-01-02T00:00:00Z" }));
            return true;
        });
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/storage-pools/fast/volumes/custom/gone/backups?recursion=1&project=p")) return false;
            await FakeIncusServer.SendError(ctx.Response, 404, "Storage volume not found");
            return true;
        });

        var list = await _client.Instances.Backups("p", "c1").TryListAsync(CancellationToken.None);
        var gone = await _client.StorageVolumes.Backups("p", "fast", "gone").TryListAsync(CancellationToken.None);

        Assert.Equal("b1", Assert.Single(list!).Name);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero), list![0].ExpiresAt);
        Assert.Null(gone);
        Assert.Contains("GET /1.0/storage-pools/fast/volumes/custom/gone/backups?recursion=1&project=p", _server.Requests);
    }

    [Fact]
    public async Task FakeServer_DownloadFromOffset_SendsRange_AndA206ResumesThere()
    {
        var ranges = new ConcurrentQueue<string?>();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/instances/c1/backups/b1/export?project=p")) return false;
            ranges.Enqueue(ctx.Request.Headers["Range"]);
            await FakeReplies.SendBytes(ctx.Response, 206, _file.AsMemory(100),
                h => h["Content-Range"] = $"bytes 100-{_file.Length - 1}/{_file.Length}");
            return true;
        });

        using var download = await _client.Instances.Backups("p", "c1").DownloadAsync("b1", 100, CancellationToken.None);

        Assert.Equal("bytes=100-", Assert.Single(ranges));
        Assert.Equal(100, download.Offset);
        Assert.Equal(_file.Length, download.TotalLength);
        Assert.Equal(_file[100..], await ReadAllAsync(download.Body));
    }

    [Fact]
    public async Task FakeServer_DownloadFromOffset_WhenTheServerIgnoresRange_StartsAtZeroWithContentLength()
    {
        var ranges = new ConcurrentQueue<string?>();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/storage-pools/fast/volumes/custom/data/backups/b1/export?project=p")) return false;
            ranges.Enqueue(ctx.Request.Headers["Range"]);
            await FakeReplies.SendBytes(ctx.Response, 200, _file);
            return true;
        });

        using var download = await _client.StorageVolumes.Backups("p", "fast", "data").DownloadAsync("b1", 100, CancellationToken.None);

        Assert.Equal("bytes=100-", Assert.Single(ranges));
        Assert.Equal(0, download.Offset);
        Assert.Equal(_file.Length, download.TotalLength);
        Assert.Equal(_file, await ReadAllAsync(download.Body));
    }

    [Fact]
    public async Task FakeServer_DownloadFromOffset_A206FromTheStartOfTheFile_CountsAsTheWholeFile()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/instances/c1/backups/b1/export?project=p")) return false;
            await FakeReplies.SendBytes(ctx.Response, 206, _file, h => h["Content-Range"] = $"bytes 0-{_file.Length - 1}/{_file.Length}");
            return true;
        });

        using var download = await _client.Instances.Backups("p", "c1").DownloadAsync("b1", 100, CancellationToken.None);

        Assert.Equal(0, download.Offset);
        Assert.Equal(_file.Length, download.TotalLength);
        Assert.Equal(_file, await ReadAllAsync(download.Body));
    }

    [Fact]
    public async Task FakeServer_DownloadFromOffset_A206FromAnotherOffset_IsNotTakenForTheWholeFile()
    {
        // Asked for bytes=100-, the server sends bytes 50-999: the body starts at byte 50 of the file.
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/instances/c1/backups/b1/export?project=p")) return false;
            await FakeReplies.SendBytes(ctx.Response, 206, _file.AsMemory(50), h => h["Content-Range"] = $"bytes 50-{_file.Length - 1}/{_file.Length}");
            return true;
        });

        // Taking it for the whole file (Offset 0, TotalLength 950) makes the caller store bytes 50-999 as the archive,
        // and hash and seal them as if they were right. The answer must be refused (and the download retried).
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var download = await _client.Instances.Backups("p", "c1").DownloadAsync("b1", 100, CancellationToken.None);
        });
    }

    [Fact]
    public async Task FakeServer_DownloadFromTheStart_SendsNoRange()
    {
        var ranges = new ConcurrentQueue<string?>();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "GET", "/1.0/instances/c1/backups/b1/export?project=p")) return false;
            ranges.Enqueue(ctx.Request.Headers["Range"]);
            await FakeReplies.SendBytes(ctx.Response, 200, _file);
            return true;
        });

        using var download = await _client.Instances.Backups("p", "c1").DownloadAsync("b1", 0, CancellationToken.None);

        Assert.Null(Assert.Single(ranges));
        Assert.Equal(0, download.Offset);
        Assert.Equal(_file.Length, download.TotalLength);
    }

    [Fact]
    public async Task FakeServer_DownloadOfAMissingBackup_ThrowsNotFound()
    {
        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.Backups("p", "c1").DownloadAsync("gone", 0, CancellationToken.None));

        Assert.Equal(404, e.StatusCode);
        Assert.Contains("/1.0/instances/c1/backups/gone/export?project=p", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FakeServer_ExportDirect_AsksForOctetStream_WithoutNameOrExpiry()
    {
        var accepts = new ConcurrentQueue<string?>();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "POST", "/1.0/instances/c1/backups?project=p")) return false;
            accepts.Enqueue(ctx.Request.Headers["Accept"]);
            await FakeReplies.SendBytes(ctx.Response, 200, _file);
            return true;
        });

        using var download = await _client.Instances.Backups("p", "c1").ExportDirectAsync(FullRequest, CancellationToken.None);

        Assert.Equal("application/octet-stream", Assert.Single(accepts));
        var body = FakeIncusServer.ParseBody(Assert.Single(_server.PostBodies));
        Assert.False(body.TryGetProperty("name", out _));
        Assert.False(body.TryGetProperty("expires_at", out _));
        Assert.True(body.GetProperty("instance_only").GetBoolean());
        Assert.True(body.GetProperty("optimized_storage").GetBoolean());
        Assert.Equal("zstd", body.GetProperty("compression_algorithm").GetString());
        Assert.Equal(0, download.Offset);
        Assert.Equal(_file.Length, download.TotalLength);
        Assert.Equal(_file, await ReadAllAsync(download.Body));
    }

    [Fact]
    public async Task FakeServer_ExportDirectOfAVolume_SendsVolumeOnly()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "POST", "/1.0/storage-pools/fast/volumes/custom/data/backups?project=p")) return false;
            await FakeReplies.SendBytes(ctx.Response, 200, _file);
            return true;
        });

        using var download = await _client.StorageVolumes.Backups("p", "fast", "data").ExportDirectAsync(FullRequest, CancellationToken.None);

        Assert.Equal("""{"volume_only":true,"optimized_storage":true,"compression_algorithm":"zstd"}""", Assert.Single(_server.PostBodies));
    }

    [Fact]
    public async Task FakeServer_ExportDirectAnsweredWithJson_IsAnError()
    {
        // A server without direct_backup starts an ordinary backup and answers with its operation.
        AnswerAsync("POST", "/1.0/instances/c1/backups?project=p");

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.Backups("p", "c1").ExportDirectAsync(FullRequest, CancellationToken.None));

        Assert.Contains("JSON instead of the archive", e.Message, StringComparison.Ordinal);
        Assert.Contains("/1.0/instances/c1/backups?project=p", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FakeServer_ExportDirectRefused_ThrowsTheServersError()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!FakeReplies.Is(ctx, "POST", "/1.0/instances/c1/backups?project=p")) return false;
            await FakeIncusServer.SendError(ctx.Response, 400, "Unknown compression");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() => _client.Instances.Backups("p", "c1").ExportDirectAsync(FullRequest, CancellationToken.None));

        Assert.Equal(400, e.StatusCode);
        Assert.Equal("Unknown compression", e.Message);
    }

    [Fact]
    public void BackupRequests_SerializeWithTheirOwnSnapshotField()
    {
        var instance = JsonSerializer.Serialize(new InstanceBackupRequest { InstanceOnly = true }, IncusJsonContext.Default.InstanceBackupRequest);
        var volume = JsonSerializer.Serialize(new VolumeBackupRequest { VolumeOnly = true }, IncusJsonContext.Default.VolumeBackupRequest);

        Assert.Equal("""{"instance_only":true,"optimized_storage":false}""", instance);
        Assert.Equal("""{"volume_only":true,"optimized_storage":false}""", volume);
    }
}
