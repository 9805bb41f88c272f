using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;
using IncusBackup.Repository.Directory;
using IncusBackup.Tests.Core.Incus;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Backup;

/// <summary>
/// Backup engine against a fake Incus HTTP server, for the failures a real incusd cannot be made to produce on
/// demand: a connection dropped mid-download, a 500 on the export, a server without zstd, and the direct_backup
/// streaming extension that Incus 6.0.4 lacks.
/// </summary>
public sealed class ExportAgainstFakeServerTests : IDisposable
{
    private readonly FakeIncusServer _server = new();
    private readonly string _repoDir = Path.Combine(Path.GetTempPath(), "ib-fake-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _archive = MakeArchive(3 * 1024 * 1024 + 123);

    public void Dispose()
    {
        _server.Dispose();
        if (Directory.Exists(_repoDir)) Directory.Delete(_repoDir, recursive: true);
    }

    [Fact]
    public async Task FakeServer_DropsConnectionMidDownload_ResumesWithRangeAndKeepsEveryByte()
    {
        var exportCalls = 0;
        ServeBackupCreation();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!ctx.Request.Url!.AbsolutePath.EndsWith("/export", StringComparison.Ordinal)) return false;
            var call = Interlocked.Increment(ref exportCalls);
            var range = ctx.Request.Headers["Range"];
            if (call == 1)
            {
                // Promise everything, send 1 MiB, then drop the connection.
                ctx.Response.ContentType = "application/octet-stream";
                ctx.Response.ContentLength64 = _archive.Length;
                await ctx.Response.OutputStream.WriteAsync(_archive.AsMemory(0, 1024 * 1024));
                await ctx.Response.OutputStream.FlushAsync();
                ctx.Response.Abort();
                return true;
            }
            Assert.StartsWith("bytes=", range);
            var from = long.Parse(range!["bytes=".Length..].TrimEnd('-'));
            ctx.Response.StatusCode = 206;
            ctx.Response.ContentType = "application/octet-stream";
            ctx.Response.Headers["Content-Range"] = $"bytes {from}-{_archive.Length - 1}/{_archive.Length}";
            ctx.Response.ContentLength64 = _archive.Length - from;
            await ctx.Response.OutputStream.WriteAsync(_archive.AsMemory((int)from));
            ctx.Response.Close();
            return true;
        });

        var reporter = new RecordingReporter();
        var record = await BackupAsync(reporter);

        Assert.Equal(_archive, await ArchiveBytesAsync(record));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_archive)), record.Sha256);
        Assert.True(exportCalls >= 2);
        Assert.Contains(reporter.Warnings, w => w.Contains("interrupted", StringComparison.Ordinal));
        Assert.Contains(_server.Requests, r => r.StartsWith("DELETE /1.0/instances/c1/backups/incusbackup-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FakeServer_Answers500OnFirstExport_RetriesAndSucceeds()
    {
        var exportCalls = 0;
        ServeBackupCreation();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!ctx.Request.Url!.AbsolutePath.EndsWith("/export", StringComparison.Ordinal)) return false;
            if (Interlocked.Increment(ref exportCalls) == 1)
            {
                await FakeIncusServer.SendError(ctx.Response, 500, "simulated failure");
                return true;
            }
            await SendWhole(ctx.Response);
            return true;
        });

        var record = await BackupAsync(new RecordingReporter());

        Assert.Equal(_archive, await ArchiveBytesAsync(record));
        Assert.Equal(2, exportCalls);
    }

    [Fact]
    public async Task FakeServer_KeepsFailingDownload_GivesDownloadFailedAndLeavesNothing()
    {
        ServeBackupCreation();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!ctx.Request.Url!.AbsolutePath.EndsWith("/export", StringComparison.Ordinal)) return false;
            await FakeIncusServer.SendError(ctx.Response, 500, "disk on fire");
            return true;
        });

        var error = await Assert.ThrowsAsync<IncusBackupException>(() => BackupAsync(new RecordingReporter()));

        Assert.Equal(ErrorIds.DownloadFailed, error.ErrorId);
        Assert.Empty((await DirectoryRepository.OpenExisting(_repoDir).ListAsync(null, CancellationToken.None)).Records);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_repoDir, DirectoryRepository.IncompleteFolder)));
        Assert.Contains(_server.Requests, r => r.StartsWith("DELETE /1.0/instances/c1/backups/incusbackup-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FakeServer_WithoutZstd_FallsBackToGzipWithAWarning()
    {
        ServeBackupCreation(rejectCompression: "zstd");
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (!ctx.Request.Url!.AbsolutePath.EndsWith("/export", StringComparison.Ordinal)) return false;
            await SendWhole(ctx.Response);
            return true;
        });
        var reporter = new RecordingReporter();

        var record = await BackupAsync(reporter);

        var bodies = _server.PostBodies.Select(FakeIncusServer.ParseBody).ToList();
        Assert.Equal(["zstd", "gzip"], bodies.Select(b => b.GetProperty("compression_algorithm").GetString()));
        Assert.Contains(reporter.Warnings, w => w.Contains("zstd", StringComparison.Ordinal) && w.Contains("gzip", StringComparison.Ordinal));
        var manifest = await ManifestAsync(record);
        Assert.Equal("gzip", manifest.Options.Compression);
        Assert.Equal("gzip", manifest.Options.DetectedCompression);
        Assert.Equal("export.tar.gz", record.ArchiveName);
    }

    [Fact]
    public async Task FakeServer_WithoutChosenCompression_GivesCompressionUnsupported()
    {
        ServeBackupCreation(rejectCompression: "xz");

        var error = await Assert.ThrowsAsync<IncusBackupException>(() => BackupAsync(new RecordingReporter(), new BackupOptions { Compression = "xz" }));

        Assert.Equal(ErrorIds.CompressionUnsupported, error.ErrorId);
        Assert.Single(_server.PostBodies);
    }

    [Fact]
    public async Task FakeServer_WithDirectBackupExtension_StreamsWithoutServerSideBackup()
    {
        _server.Extensions.Add("direct_backup");
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (ctx.Request.HttpMethod != "POST" || !ctx.Request.Url!.AbsolutePath.EndsWith("/backups", StringComparison.Ordinal)) return false;
            Assert.Contains("application/octet-stream", ctx.Request.Headers["Accept"]);
            await SendWhole(ctx.Response);
            return true;
        });

        var record = await BackupAsync(new RecordingReporter());

        Assert.Equal(_archive, await ArchiveBytesAsync(record));
        Assert.Equal("Direct", (await ManifestAsync(record)).Options.ExportMethod);
        Assert.DoesNotContain(_server.Requests, r => r.StartsWith("DELETE", StringComparison.Ordinal) || r.Contains("/export", StringComparison.Ordinal));
        Assert.DoesNotContain("\"name\":", _server.PostBodies.Single());
    }

    [Fact]
    public async Task FakeServer_CancelledWhileServerWritesBackup_DeletesIt()
    {
        var created = new TaskCompletionSource();
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (ctx.Request.HttpMethod != "POST" || !ctx.Request.Url!.AbsolutePath.EndsWith("/backups", StringComparison.Ordinal)) return false;
            var response = ctx.Response;
            response.Headers["Location"] = "/1.0/operations/slow";
            var body = new JsonObject
            {
                ["type"] = "async", ["status"] = "Operation created", ["status_code"] = 100, ["operation"] = "/1.0/operations/slow",
                ["metadata"] = FakeIncusServer.Operation("slow", 103, "Running"),
            };
            var bytes = System.Text.Encoding.UTF8.GetBytes(body.ToJsonString());
            response.StatusCode = 202;
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(bytes);
            response.Close();
            created.TrySetResult();
            return true;
        });
        _server.Handlers.Add(async (ctx, path) =>
        {
            if (!path.StartsWith("/1.0/operations/slow", StringComparison.Ordinal)) return false;
            // Still running at the first waits; finished once the client has been cancelled.
            if (_server.Requests.Count(r => r.StartsWith("GET /1.0/operations/slow/wait", StringComparison.Ordinal)) < 3)
            {
                await Task.Delay(200);
                await FakeReplies.SendErrorAtHttp200(ctx.Response, 500, "context deadline exceeded");
            }
            else
            {
                await FakeIncusServer.SendSync(ctx.Response, FakeIncusServer.Operation("slow", 200, "Success"));
            }
            return true;
        });
        using var cts = new CancellationTokenSource();
        var backup = BackupAsync(new RecordingReporter(), ct: cts.Token);
        await created.Task.WaitAsync(TimeSpan.FromSeconds(10));
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backup);

        var requests = _server.Requests.ToList();
        var delete = requests.FindIndex(r => r.StartsWith("DELETE /1.0/instances/c1/backups/incusbackup-", StringComparison.Ordinal));
        Assert.True(delete > 0, string.Join("\n", requests));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_repoDir, DirectoryRepository.IncompleteFolder)));
    }

    private async Task<BackupRecord> BackupAsync(RecordingReporter reporter, BackupOptions? options = null, CancellationToken ct = default)
    {
        using var server = IncusConnection.Open(new IncusConnectionOptions
        {
            HttpAddress = _server.BaseAddress, WaitPollSeconds = 1, Retry = FakeReplies.ImmediateRetries,
        });
        var repository = DirectoryRepository.OpenForWrite(_repoDir, "test");
        var engine = new BackupEngine(server, repository, "test") { DownloadRetryDelay = TimeSpan.FromMilliseconds(10) };
        var instance = System.Text.Json.JsonSerializer.Deserialize(FakeIncusServer.InstanceJson("c1").ToJsonString(), IncusJsonContext.Default.IncusInstance)!;
        return await engine.BackupAsync(new InstanceBackupSource(instance), options ?? new BackupOptions(), reporter, ct);
    }

    private async Task<byte[]> ArchiveBytesAsync(BackupRecord record)
    {
        await using var stream = await DirectoryRepository.OpenExisting(_repoDir).OpenReadAsync(record, record.ArchiveName, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private async Task<BackupManifest> ManifestAsync(BackupRecord record) =>
        (await BackupVerifier.ReadSealAsync(DirectoryRepository.OpenExisting(_repoDir), record, CancellationToken.None)).Manifest;

    /// <summary>POST .../backups answers with a finished operation, or a sync 400 for a rejected compressor.</summary>
    private void ServeBackupCreation(string? rejectCompression = null) =>
        _server.Handlers.Add(async (ctx, _) =>
        {
            if (ctx.Request.HttpMethod != "POST" || !ctx.Request.Url!.AbsolutePath.EndsWith("/backups", StringComparison.Ordinal)) return false;
            var body = FakeIncusServer.ParseBody(_server.BodyOf(ctx));
            var compression = body.GetProperty("compression_algorithm").GetString();
            if (compression == rejectCompression)
            {
                await FakeIncusServer.SendError(ctx.Response, 400, $"Compression algorithm \"{compression}\" isn't currently supported");
                return true;
            }
            await _server.SendAsyncDone(ctx.Response);
            return true;
        });

    private async Task SendWhole(HttpListenerResponse response)
    {
        response.ContentType = "application/octet-stream";
        response.ContentLength64 = _archive.Length;
        await response.OutputStream.WriteAsync(_archive);
        response.Close();
    }

    /// <summary>Random bytes behind a gzip magic, so the repository names the file .tar.gz.</summary>
    private static byte[] MakeArchive(int length)
    {
        var bytes = RandomNumberGenerator.GetBytes(length);
        bytes[0] = 0x1f;
        bytes[1] = 0x8b;
        return bytes;
    }
}
