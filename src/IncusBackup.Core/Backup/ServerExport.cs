using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Backup;

/// <summary>Where one resource's backups live in the API, and how to ask for one.</summary>
internal sealed record ExportSource(
    string Display,
    string BackupsPath,
    Func<string, string> BackupPath,
    Func<string?, DateTimeOffset?, string> RequestJson);

/// <summary>
/// Gets one export from the server into a <see cref="HashingFileWriter"/>. With the <c>direct_backup</c> API
/// extension the server streams the tarball in the POST response and keeps nothing. Without it (Incus 6.0.4) the
/// server writes a backup file first: we name it recognisably, give it an expiry as a safety net, download it with
/// Range resume, and delete it whatever happens (failure and Ctrl+C included).
/// </summary>
internal sealed class ServerExport(IncusClient client, IBackupReporter reporter)
{
    /// <summary>Prefix of every server-side backup this module creates, so leftovers are recognisable.</summary>
    public const string ServerBackupPrefix = "incusbackup-";

    private const int BufferSize = 1 << 20;
    private const int MaxDownloadAttempts = 5;
    private static readonly TimeSpan CleanupWaitLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan InterruptedWriteSettle = TimeSpan.FromSeconds(10);

    /// <summary>Retry delays for an interrupted download; tests shorten them.</summary>
    internal TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Exports <paramref name="source"/> into <paramref name="writer"/>. <paramref name="whileServerReads"/> is
    /// disposed as soon as the server has finished reading the source (the end of backup creation, or of the
    /// stream for a direct export), so an instance frozen for consistency is thawed as early as possible.
    /// Returns the export method used.
    /// </summary>
    public async Task<string> ExportAsync(ExportSource source, TimeSpan lifetime, HashingFileWriter writer, IAsyncDisposable whileServerReads, CancellationToken ct)
    {
        if (await client.HasExtensionAsync("direct_backup", ct).ConfigureAwait(false))
        {
            await using (whileServerReads.ConfigureAwait(false))
            {
                await DirectExportAsync(source, writer, ct).ConfigureAwait(false);
            }
            return "Direct";
        }
        await ServerBackupExportAsync(source, lifetime, writer, whileServerReads, ct).ConfigureAwait(false);
        return "ServerBackup";
    }

    /// <summary>Deletes server-side backups of ours that a killed run left behind (its process is gone).</summary>
    public async Task CleanupLeftoversAsync(ExportSource source, CancellationToken ct)
    {
        List<ServerBackup>? backups;
        try
        {
            backups = await client.TryGetAsync(WithRecursion(source.BackupsPath), IncusJsonContext.Default.ListServerBackup, ct).ConfigureAwait(false);
        }
        catch (IncusApiException)
        {
            return; // Listing is a courtesy; the backup itself will report real problems.
        }
        foreach (var backup in backups ?? [])
        {
            if (!IsLeftover(backup, DateTimeOffset.UtcNow)) continue;
            reporter.Verbose($"Removing server-side backup {backup.Name} of {source.Display} left by an interrupted run.");
            try
            {
                await client.DeleteAsync(source.BackupPath(backup.Name), ct).ConfigureAwait(false);
            }
            catch (IncusApiException e)
            {
                reporter.Warning($"Could not remove leftover server-side backup {backup.Name} of {source.Display}: {e.Message}");
            }
        }
    }

    /// <summary>Ours, and either its process is gone (names carry the pid) or it has outlived its expiry.</summary>
    internal static bool IsLeftover(ServerBackup backup, DateTimeOffset now)
    {
        if (!backup.Name.StartsWith(ServerBackupPrefix, StringComparison.Ordinal)) return false;
        if (backup.ExpiresAt.Year > 1 && backup.ExpiresAt < now) return true;
        var parts = backup.Name[ServerBackupPrefix.Length..].Split('-');
        return parts.Length >= 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && pid != Environment.ProcessId && !Posix.ProcessExists(pid);
    }

    internal static string NewServerBackupName() =>
        $"{ServerBackupPrefix}{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task ServerBackupExportAsync(ExportSource source, TimeSpan lifetime, HashingFileWriter writer, IAsyncDisposable whileServerReads, CancellationToken ct)
    {
        var name = NewServerBackupName();
        var created = false;
        string? operation = null;
        try
        {
            await using (whileServerReads.ConfigureAwait(false))
            {
                var body = new StringContent(source.RequestJson(name, DateTimeOffset.UtcNow + lifetime), Encoding.UTF8, "application/json");
                operation = await StartOperationAsync(source.BackupsPath, body, ct).ConfigureAwait(false);
                reporter.Verbose($"Server is writing backup {name} of {source.Display}.");
                try
                {
                    await client.WaitAsync(operation, op => reporter.Progress(new ItemProgress(source.Display, "Creating server backup", 0, null, CreateProgress(op))), ct).ConfigureAwait(false);
                }
                catch (IncusOperationLostException)
                {
                    // The operation ended and expired before we read it; the backup row tells whether it worked.
                    if (await client.TryGetAsync(source.BackupPath(name), IncusJsonContext.Default.ServerBackup, ct).ConfigureAwait(false) is null) throw;
                }
                created = true;
            }
            await DownloadAsync(source, IncusPath.Append(source.BackupPath(name), "/export"), writer, ct).ConfigureAwait(false);
        }
        finally
        {
            if (operation is not null)
                await DeleteServerBackupAsync(source, name, operation, created).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts the server-side backup. Not cancellable once sent: the server answers at once, and a Ctrl+C between
    /// its creating the backup and our reading the answer would leave a backup we never learnt the name of.
    /// </summary>
    private async Task<string> StartOperationAsync(string path, HttpContent body, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        using var answerTimeout = new CancellationTokenSource(CleanupWaitLimit);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await client.SendStreamingAsync(request, answerTimeout.Token).ConfigureAwait(false);
        var envelope = await IncusClient.ReadEnvelopeAsync(response, answerTimeout.Token).ConfigureAwait(false);
        return envelope.Operation ?? throw new IncusApiException(500, $"The server did not start a backup operation for {path}.");
    }

    /// <summary>
    /// Always removes our server-side backup. When we were interrupted while the server was still writing it, we
    /// delete it at once (Incus accepts that and drops the half-written file, measured on 6.0.4), give the
    /// write a moment to end, and delete again in case anything was left, so Ctrl+C returns in seconds rather
    /// than after the server's compression finishes.
    /// </summary>
    private async Task DeleteServerBackupAsync(ExportSource source, string name, string operation, bool created)
    {
        using var timeout = new CancellationTokenSource(CleanupWaitLimit);
        try
        {
            if (!created)
            {
                await TryDeleteAsync(source.BackupPath(name), timeout.Token).ConfigureAwait(false);
                using var settle = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
                settle.CancelAfter(InterruptedWriteSettle);
                try
                {
                    await client.WaitAsync(operation, null, settle.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IncusBackupException or OperationCanceledException)
                {
                    // Failed (expected: its file is gone), forgotten, or still running: the delete below decides.
                }
            }
            await TryDeleteAsync(source.BackupPath(name), timeout.Token).ConfigureAwait(false);
            reporter.Verbose($"Removed server-side backup {name} of {source.Display}.");
        }
        catch (Exception e) when (e is IncusBackupException or OperationCanceledException)
        {
            reporter.Warning($"Could not remove server-side backup {name} of {source.Display} ({e.Message}); the server deletes it when it expires.");
        }
    }

    private async Task TryDeleteAsync(string path, CancellationToken ct)
    {
        try
        {
            await client.DeleteAsync(path, ct).ConfigureAwait(false);
        }
        catch (IncusApiException e) when (e.IsNotFound)
        {
            // Never created, or already gone.
        }
    }

    private async Task DirectExportAsync(ExportSource source, HashingFileWriter writer, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, source.BackupsPath)
        {
            Content = new StringContent(source.RequestJson(null, null), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/octet-stream"));
        using var response = await client.SendStreamingAsync(request, ct).ConfigureAwait(false);
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
            throw new IncusApiException(500, $"The server answered a streamed backup request for {source.Display} with JSON instead of the archive.");
        await CopyBodyAsync(source, response, writer, response.Content.Headers.ContentLength, ct).ConfigureAwait(false);
    }

    /// <summary>Downloads an export, resuming with a Range request when the connection breaks or the server errs.</summary>
    private async Task DownloadAsync(ExportSource source, string exportPath, HashingFileWriter writer, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, exportPath);
                if (writer.Length > 0) request.Headers.Range = new RangeHeaderValue(writer.Length, null);
                using var response = await client.SendStreamingAsync(request, ct).ConfigureAwait(false);
                long? total;
                if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == writer.Length)
                {
                    total = response.Content.Headers.ContentRange.Length;
                }
                else
                {
                    if (writer.Length > 0) writer.Reset(); // The server sent the whole file again.
                    total = response.Content.Headers.ContentLength;
                }
                await CopyBodyAsync(source, response, writer, total, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested && attempt < MaxDownloadAttempts)
            {
                reporter.Warning($"Download of {source.Display} interrupted at {Bytes.Format(writer.Length)} ({e.Message}); resuming (attempt {attempt + 1} of {MaxDownloadAttempts}).");
                await Task.Delay(RetryDelay * attempt, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
            {
                throw new IncusBackupException(ErrorIds.DownloadFailed, ErrorKind.ConnectionError,
                    $"Download of {source.Display} failed after {MaxDownloadAttempts} attempts: {e.Message}", source.Display, inner: e);
            }
        }
    }

    private async Task CopyBodyAsync(ExportSource source, HttpResponseMessage response, HashingFileWriter writer, long? total, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var lastReport = 0L;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), ct).ConfigureAwait(false)) > 0)
            {
                try
                {
                    await writer.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    throw new TargetWriteException(e);
                }
                if (writer.Length - lastReport >= BufferSize * 4L || writer.Length == total)
                {
                    lastReport = writer.Length;
                    reporter.Progress(new ItemProgress(source.Display, "Downloading", writer.Length, total));
                }
            }
            if (total is not null && writer.Length != total)
                throw new IOException($"The server closed the download at {writer.Length} of {total} bytes.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsTransient(Exception e) => e switch
    {
        TargetWriteException => false,
        IncusApiException api => api.StatusCode >= 500,
        IncusBackupException other => other.ErrorId == ErrorIds.IncusUnreachable,
        HttpRequestException or IOException => true,
        _ => false,
    };

    private static string? CreateProgress(IncusOperation op) =>
        op.Metadata.ValueKind == JsonValueKind.Object && op.Metadata.TryGetProperty("create_backup_progress", out var p) ? p.GetString() : null;

    private static string WithRecursion(string path) =>
        path.Contains('?') ? path.Replace("?", "?recursion=1&", StringComparison.Ordinal) : path + "?recursion=1";
}

/// <summary>Writing to the repository failed (full disk, I/O error): never retried as a network fault.</summary>
internal sealed class TargetWriteException(IOException inner) : IOException(inner.Message, inner)
{
    /// <summary>ENOSPC (28) or EDQUOT (122).</summary>
    public bool DiskFull => inner.HResult is 28 or 122 || inner.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
}
