using System.Buffers;
using System.Globalization;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.IO;
using IncusBackup.Reporting;
using IncusBackup.Running;


namespace IncusBackup.Backup;

/// <summary>
/// Gets one export from the server into a <see cref="HashingStream"/>. With the <c>direct_backup</c> API
/// extension the server streams the tarball in the POST response and keeps nothing. Without it (Incus 6.0.4) the
/// server writes a backup file first: we name it recognisably, give it an expiry as a safety net, download it with
/// Range resume, and delete it whatever happens (failure and Ctrl+C included).
/// </summary>
internal sealed class ServerExport(IIncusServer server, IReporter reporter)
{
    /// <summary>Prefix of every server-side backup this module creates, so leftovers are recognisable.</summary>
    public const string ServerBackupPrefix = "incusbackup-";

    private const int BufferSize = 1 << 20;
    private const int MaxDownloadAttempts = 5;
    private static readonly TimeSpan CleanupWaitLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan InterruptedWriteSettle = TimeSpan.FromSeconds(10);

    /// <summary>Retry delays for an interrupted download; tests shorten them.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Exports into <paramref name="writer"/>. <paramref name="whileServerReads"/> is disposed as soon as the
    /// server has finished reading the source (the end of backup creation, or of the stream for a direct export),
    /// so an instance frozen for consistency is thawed as early as possible. Returns the export method used.
    /// </summary>
    /// <param name="readLimit">Cancelled when the server has read too long (a freeze's limit): stops the export like
    /// <paramref name="ct"/> while the server reads, and not after.</param>
    public async Task<string> ExportAsync(string display, IServerBackups backups, ServerBackupRequest request, TimeSpan lifetime,
        HashingStream writer, IAsyncDisposable whileServerReads, CancellationToken ct, CancellationToken readLimit = default)
    {
        if (await server.HasExtensionAsync("direct_backup", ct).ConfigureAwait(false))
        {
            await using (whileServerReads.ConfigureAwait(false))
            {
                using var reading = CancellationTokenSource.CreateLinkedTokenSource(ct, readLimit);
                using var download = await backups.ExportDirectAsync(request, reading.Token).ConfigureAwait(false);
                await CopyBodyAsync(display, download, writer, reading.Token).ConfigureAwait(false);
            }
            return "Direct";
        }
        await ServerBackupExportAsync(display, backups, request, lifetime, writer, whileServerReads, ct, readLimit).ConfigureAwait(false);
        return "ServerBackup";
    }

    /// <summary>Deletes server-side backups of ours that a killed run left behind (its process is gone).</summary>
    public async Task CleanupLeftoversAsync(string display, IServerBackups backups, CancellationToken ct)
    {
        List<ServerBackup>? existing;
        try
        {
            existing = await backups.TryListAsync(ct).ConfigureAwait(false);
        }
        catch (IncusApiException)
        {
            return; // Listing is a courtesy; the backup itself will report real problems.
        }
        foreach (var backup in existing ?? [])
        {
            if (!IsLeftover(backup, DateTimeOffset.UtcNow)) continue;
            reporter.Verbose($"Removing server-side backup {backup.Name} of {display} left by an interrupted run.");
            try
            {
                await backups.DeleteAsync(backup.Name, ct).ConfigureAwait(false);
            }
            catch (IncusApiException e)
            {
                reporter.Warning($"Could not remove leftover server-side backup {backup.Name} of {display}: {e.Message}");
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

    private async Task ServerBackupExportAsync(string display, IServerBackups backups, ServerBackupRequest request, TimeSpan lifetime,
        HashingStream writer, IAsyncDisposable whileServerReads, CancellationToken ct, CancellationToken readLimit)
    {
        var name = NewServerBackupName();
        var created = false;
        string? operation = null;
        try
        {
            await using (whileServerReads.ConfigureAwait(false))
            {
                using var reading = CancellationTokenSource.CreateLinkedTokenSource(ct, readLimit);
                operation = await backups.StartCreateAsync(request with { Name = name, ExpiresAt = DateTimeOffset.UtcNow + lifetime }, reading.Token).ConfigureAwait(false);
                reporter.Verbose($"Server is writing backup {name} of {display}.");
                try
                {
                    await server.Operations.WaitAsync(operation,
                        op => reporter.Progress(new ItemProgress(display, "Creating server backup", 0, null, op.MetadataText("create_backup_progress"))), reading.Token).ConfigureAwait(false);
                }
                catch (IncusOperationLostException)
                {
                    // The operation ended and expired before we read it; the backup row tells whether it worked.
                    if (await backups.TryGetAsync(name, reading.Token).ConfigureAwait(false) is null) throw;
                }
                created = true;
            }
            await DownloadAsync(display, backups, name, writer, ct).ConfigureAwait(false);
        }
        finally
        {
            if (operation is not null) await DeleteServerBackupAsync(display, backups, name, operation, created).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Always removes our server-side backup. When we were interrupted while the server was still writing it, we
    /// delete it at once (Incus accepts that and drops the half-written file, measured on 6.0.4), give the
    /// write a moment to end, and delete again in case anything was left, so Ctrl+C returns in seconds rather
    /// than after the server's compression finishes.
    /// </summary>
    private async Task DeleteServerBackupAsync(string display, IServerBackups backups, string name, string operation, bool created)
    {
        using var timeout = new CancellationTokenSource(CleanupWaitLimit);
        try
        {
            if (!created)
            {
                await backups.DeleteAsync(name, timeout.Token).ConfigureAwait(false);
                using var settle = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
                settle.CancelAfter(InterruptedWriteSettle);
                try
                {
                    await server.Operations.WaitAsync(operation, null, settle.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IncusBackupException or OperationCanceledException)
                {
                    // Failed (expected: its file is gone), forgotten, or still running: the delete below decides.
                }
            }
            await backups.DeleteAsync(name, timeout.Token).ConfigureAwait(false);
            reporter.Verbose($"Removed server-side backup {name} of {display}.");
        }
        catch (Exception e) when (e is IncusBackupException or OperationCanceledException)
        {
            reporter.Warning($"Could not remove server-side backup {name} of {display} ({e.Message}); the server deletes it when it expires.");
        }
    }

    /// <summary>Downloads an export, resuming with a Range request when the connection breaks or the server errs.</summary>
    private async Task DownloadAsync(string display, IServerBackups backups, string name, HashingStream writer, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var download = await backups.DownloadAsync(name, writer.Length, ct).ConfigureAwait(false);
                if (download.Offset != writer.Length) writer.Reset(); // The server sent the whole file again.
                await CopyBodyAsync(display, download, writer, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested && attempt < MaxDownloadAttempts)
            {
                reporter.Warning($"Download of {display} interrupted at {Bytes.Format(writer.Length)} ({e.Message}); resuming (attempt {attempt + 1} of {MaxDownloadAttempts}).");
                await Task.Delay(RetryDelay * attempt, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
            {
                throw new IncusBackupException(ErrorIds.DownloadFailed, ErrorKind.ConnectionError,
                    $"Download of {display} failed after {MaxDownloadAttempts} attempts: {e.Message}", display, inner: e);
            }
        }
    }

    /// <summary>
    /// Copies the body with two buffers: the next part is read from the connection (and decrypted, over HTTPS) while
    /// the last one is hashed and written, so the network and the disk work at the same time instead of taking
    /// turns. A failure waits for the write in flight, so that a resumed download starts at the right byte.
    /// </summary>
    private async Task CopyBodyAsync(string display, BackupDownload download, HashingStream writer, CancellationToken ct)
    {
        var total = download.TotalLength;
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(BufferSize), ArrayPool<byte>.Shared.Rent(BufferSize)];
        var writing = Task.CompletedTask;
        try
        {
            var lastReport = 0L;
            var current = 0;
            int read;
            while ((read = await download.Body.ReadAsync(buffers[current].AsMemory(0, BufferSize), ct).ConfigureAwait(false)) > 0)
            {
                await writing.ConfigureAwait(false);
                if (writer.Length - lastReport >= BufferSize * 4L)
                {
                    lastReport = writer.Length;
                    reporter.Progress(new ItemProgress(display, "Downloading", writer.Length, total));
                }
                writing = WriteAsync(writer, buffers[current].AsMemory(0, read), ct);
                current ^= 1;
            }
            await writing.ConfigureAwait(false);
            reporter.Progress(new ItemProgress(display, "Downloading", writer.Length, total));
            if (total is not null && writer.Length != total)
                throw new IOException($"The server closed the download at {writer.Length} of {total} bytes.");
        }
        catch (Exception) when (!writing.IsCompletedSuccessfully)
        {
            // The read failed while a write ran, or after one failed: let it end before anything reuses its buffer
            // or resumes after it. A failed write (a full disk) is never resumed: it says more than the read that
            // failed beside it, and the bytes it counted may not be on disk.
            if (await TaskOutcome.FailureOfAsync(writing).ConfigureAwait(false) is TargetWriteException writeFailure)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(writeFailure);
            throw;
        }
        finally
        {
            foreach (var buffer in buffers) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Hashes and writes one part on a pool thread; a write error becomes a <see cref="TargetWriteException"/>.</summary>
    private static Task WriteAsync(HashingStream writer, ReadOnlyMemory<byte> part, CancellationToken ct) =>
        Task.Run(async () =>
        {
            try
            {
                await writer.WriteAsync(part, ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new TargetWriteException(e);
            }
        }, CancellationToken.None);

    private static bool IsTransient(Exception e) => e switch
    {
        TargetWriteException => false,
        IncusApiException api => api.StatusCode >= 500,
        IncusBackupException other => other.ErrorId == ErrorIds.IncusUnreachable,
        HttpRequestException or IOException => true,
        _ => false,
    };
}

/// <summary>Writing to the repository failed (full disk, I/O error): never retried as a network fault.</summary>
internal sealed class TargetWriteException(IOException inner) : IOException(inner.Message, inner)
{
    /// <summary>ENOSPC (28) or EDQUOT (122).</summary>
    public bool DiskFull => inner.HResult is 28 or 122 || inner.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    /// <summary>The error the operator sees: TargetFull for a full disk, TargetNotWritable for anything else.</summary>
    public IncusBackupException ToError(string repository, string display) => DiskFull
        ? new IncusBackupException(ErrorIds.TargetFull, ErrorKind.WriteError,
            $"The backup repository '{repository}' ran out of space while writing {display}; the partial backup was removed.",
            repository, "Free some space or choose another -Target.", this)
        : new IncusBackupException(ErrorIds.TargetNotWritable, ErrorKind.WriteError,
            $"Writing the backup of {display} to '{repository}' failed: {Message}", repository, inner: this);
}
