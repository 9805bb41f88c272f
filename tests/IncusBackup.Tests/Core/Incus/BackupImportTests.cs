using System.Collections.Concurrent;
using System.Net;
using System.Text;
using IncusBackup.Incus;
using IncusBackup.Tests.Core.Archive;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>Uploading an archive to create an instance or a custom volume: headers, exact body, returned operation, errors.</summary>
public sealed class BackupImportTests : FakeServerTest
{
    private readonly ConcurrentQueue<Received> _received = new();

    // The fake reads POST bodies as UTF-8 text, so the payload keeps to ASCII (every byte value 0-127) to come back exact.
    // Larger than the 1 MiB copy buffer of the upload, and not a multiple of it.
    private readonly byte[] _archive = Enumerable.Range(0, (3 << 20) + 4321).Select(i => (byte)((i * 31 + i / 977) & 0x7F)).ToArray();

    private sealed record Received(string PathAndQuery, string? ContentType, string? ContentLength, string? TransferEncoding, string? Name, string? Pool, string Body);

    /// <summary>Records the upload and answers it with a finished async operation.</summary>
    private void AcceptUploads() =>
        _server.Handlers.Add(async (ctx, pathAndQuery) =>
        {
            if (ctx.Request.HttpMethod != "POST") return false;
            var headers = ctx.Request.Headers;
            _received.Enqueue(new Received(pathAndQuery, headers["Content-Type"], headers["Content-Length"], headers["Transfer-Encoding"],
                headers["X-Incus-name"], headers["X-Incus-pool"], _server.BodyOf(ctx)));
            await _server.SendAsyncDone(ctx.Response);
            return true;
        });

    [Fact]
    public async Task FakeServer_InstanceImport_SendsTheArchiveWithNameAndPoolHeaders_AndReturnsTheOperation()
    {
        AcceptUploads();
        var upload = new BackupUpload { Body = new MemoryStream(_archive), Length = _archive.Length, Name = "web", Pool = "fast" };

        var operation = await _client.Instances.StartImportAsync("p", upload, CancellationToken.None);

        Assert.Equal("/1.0/operations/op-1", operation);
        var got = Assert.Single(_received);
        Assert.Equal("/1.0/instances?project=p", got.PathAndQuery);
        Assert.Equal("application/octet-stream", got.ContentType);
        Assert.Equal(_archive.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), got.ContentLength);
        Assert.Equal("web", got.Name);
        Assert.Equal("fast", got.Pool);
        Assert.Equal(_archive, Encoding.UTF8.GetBytes(got.Body));
        // Starting does not wait: the caller waits with progress.
        Assert.DoesNotContain(_server.Requests, r => r.Contains("/wait", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FakeServer_InstanceImportWithoutPool_SendsNoPoolHeader()
    {
        AcceptUploads();

        await _client.Instances.StartImportAsync("default", new BackupUpload { Body = new MemoryStream(_archive), Length = _archive.Length, Name = "web" }, CancellationToken.None);

        Assert.Null(Assert.Single(_received).Pool);
    }

    [Fact]
    public async Task FakeServer_VolumeImport_PostsToThePoolsVolumes_AndNeverSendsAPoolHeader()
    {
        AcceptUploads();
        var upload = new BackupUpload { Body = new MemoryStream(_archive), Length = _archive.Length, Name = "data", Pool = "ignored" };

        var operation = await _client.StorageVolumes.StartImportAsync("p", "fast pool", upload, CancellationToken.None);

        Assert.Equal("/1.0/operations/op-1", operation);
        var got = Assert.Single(_received);
        Assert.Equal("/1.0/storage-pools/fast%20pool/volumes/custom?project=p", got.PathAndQuery);
        Assert.Equal("application/octet-stream", got.ContentType);
        Assert.Equal("data", got.Name);
        Assert.Null(got.Pool);
        Assert.Equal(_archive, Encoding.UTF8.GetBytes(got.Body));
    }

    [Fact]
    public async Task FakeServer_ImportOfUnknownLength_IsSentChunkedWithoutContentLength()
    {
        AcceptUploads();
        var body = new ForwardOnlyStream(new MemoryStream(_archive));

        await _client.Instances.StartImportAsync("p", new BackupUpload { Body = body, Name = "web" }, CancellationToken.None);

        var got = Assert.Single(_received);
        Assert.Null(got.ContentLength);
        Assert.Equal("chunked", got.TransferEncoding);
        Assert.Equal(_archive, Encoding.UTF8.GetBytes(got.Body));
        Assert.Equal(_archive.Length, body.BytesRead);
    }

    [Fact]
    public async Task FakeServer_ImportRefused_ThrowsTheServersError()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (ctx.Request.HttpMethod != "POST") return false;
            await FakeIncusServer.SendError(ctx.Response, 400, "Backup file is not a valid tarball");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() =>
            _client.Instances.StartImportAsync("p", new BackupUpload { Body = new MemoryStream(_archive), Length = _archive.Length, Name = "web" }, CancellationToken.None));

        Assert.Equal(400, e.StatusCode);
        Assert.Equal("Backup file is not a valid tarball", e.Message);
    }

    [Fact]
    public async Task FakeServer_ImportAnsweredSync_IsAnError_NotAnEmptyOperationPath()
    {
        // A sync envelope always carries "operation":"" (docs/incus-api.md §0); an import has no operation to wait on then.
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (ctx.Request.HttpMethod != "POST") return false;
            await FakeIncusServer.SendSync(ctx.Response, null);
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() =>
            _client.StorageVolumes.StartImportAsync("p", "fast", new BackupUpload { Body = new MemoryStream(_archive), Length = _archive.Length, Name = "data" }, CancellationToken.None));

        Assert.Contains("did not start an import", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FakeServer_ImportAnsweredWithPlainText_IsAnApiErrorWithTheStatus()
    {
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (ctx.Request.HttpMethod != "POST") return false;
            await FakeReplies.SendRaw(ctx.Response, (int)HttpStatusCode.RequestEntityTooLarge, "text/plain", "request entity too large");
            return true;
        });

        var e = await Assert.ThrowsAsync<IncusApiException>(() =>
            _client.Instances.StartImportAsync("p", new BackupUpload { Body = new MemoryStream(_archive), Length = _archive.Length, Name = "web" }, CancellationToken.None));

        Assert.Equal(413, e.StatusCode);
        Assert.Contains("request entity too large", e.Message, StringComparison.Ordinal);
    }
}
