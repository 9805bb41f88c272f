using System.Diagnostics;
using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.IO;
using IncusBackup.Reporting;

namespace IncusBackup.Backup;

/// <summary>
/// Snapshot consistency on copy-on-write pools: copy the running source (the driver snapshots it atomically; the
/// source keeps running), export the stopped copy, and stream that export through the archive rewriter, which gives
/// it back the original's name and identity, into the repository compressed. The copy is deleted whatever happens.
/// One copy of the whole instance carries its user snapshots as they are, so a restore brings back exactly what a
/// direct export would, and no temporary snapshot of ours ever exists on the original.
/// </summary>
internal sealed class SnapshotExport(IIncusServer server, ServerExport exporter, IReporter reporter)
{
    private static readonly TimeSpan CleanupWaitLimit = TimeSpan.FromSeconds(60);

    /// <summary>Exports <paramref name="copier"/>'s source into <paramref name="writer"/>, compressed as the request says; returns the export method.</summary>
    public async Task<string> ExportAsync(string display, ISourceCopier copier, ServerBackupRequest request, TimeSpan lifetime,
        HashingStream writer, CancellationToken ct)
    {
        await TemporaryCopies.SweepOnceAsync(server, copier, reporter, ct).ConfigureAwait(false);
        var identity = await copier.ReadIdentityAsync(ct).ConfigureAwait(false);
        var name = TemporaryCopies.NewName();
        string? operation = null;
        try
        {
            var clock = Stopwatch.StartNew();
            try
            {
                operation = await copier.StartCopyAsync(name, TemporaryCopies.Marker(identity.Name), ct).ConfigureAwait(false);
                await server.Operations.WaitAsync(operation, null, ct).ConfigureAwait(false);
            }
            catch (IncusApiException e)
            {
                throw new SnapshotCopyFailedException($"The server could not copy {display}: {e.Message}", e);
            }
            reporter.Verbose($"Copied {display} to temporary {copier.Noun} {name} in {clock.Elapsed.TotalSeconds:0.00} s (copy-on-write; {display} kept running).");
            clock.Restart();
            var method = await ExportCopyAsync(display, copier.BackupsOf(name), new CloneIdentityEdit(identity), request, lifetime, writer, ct).ConfigureAwait(false);
            reporter.Verbose($"Exported the copy of {display} in {clock.Elapsed.TotalSeconds:0.00} s.");
            return "Copy" + method;
        }
        finally
        {
            if (operation is not null) await DeleteCopyAsync(display, copier, name, operation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The server's export of the copy runs into a pipe; the rewriter reads it from there and writes the compressed
    /// result into the repository, so the archive is never on disk twice. Either side failing stops the other.
    /// </summary>
    private async Task<string> ExportCopyAsync(string display, IServerBackups backups, IArchiveEdit edit, ServerBackupRequest request,
        TimeSpan lifetime, HashingStream writer, CancellationToken ct)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pipe = StreamingPipe.Create();
        var produce = Task.Run(async () =>
        {
            try
            {
                var into = new HashingStream(pipe.Writer.AsStream(leaveOpen: true));
                var method = await exporter.ExportAsync(display, backups, request, lifetime, into, NothingHeld.Instance, failed.Token).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                return method;
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e).ConfigureAwait(false);
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);
        var consume = Task.Run(async () =>
        {
            try
            {
                await using var compressor = ArchiveCompressor.Open(writer, request.Compression ?? "zstd");
                await ArchiveRewriter.RewriteAsync(pipe.Reader.AsStream(leaveOpen: true), compressor, edit, failed.Token).ConfigureAwait(false);
            }
            catch
            {
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                await pipe.Reader.CompleteAsync().ConfigureAwait(false);
            }
        }, CancellationToken.None);
        try
        {
            await Task.WhenAll(produce, consume).ConfigureAwait(false);
        }
        catch when (RealFailure(produce, consume) is { } cause)
        {
            // One side stopped only because the other failed: report the failure, not the cancellation it caused.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
        }
        return await produce.ConfigureAwait(false);
    }

    private static Exception? RealFailure(params Task[] tasks) =>
        tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);

    /// <summary>Waits (bounded) for the copy to finish, so it is not being created while we delete it, then deletes it.</summary>
    private async Task DeleteCopyAsync(string display, ISourceCopier copier, string name, string operation)
    {
        using var timeout = new CancellationTokenSource(CleanupWaitLimit);
        try
        {
            try
            {
                await server.Operations.WaitAsync(operation, null, timeout.Token).ConfigureAwait(false);
            }
            catch (IncusBackupException)
            {
                // Failed or forgotten: the delete below finds out whether there is anything to remove.
            }
            await copier.DeleteAsync(name, timeout.Token).ConfigureAwait(false);
            reporter.Verbose($"Removed temporary {copier.Noun} {name} (copy of {display}).");
        }
        catch (IncusApiException e) when (e.IsNotFound)
        {
            // The copy never came to be.
        }
        catch (Exception e) when (e is IncusBackupException or OperationCanceledException)
        {
            reporter.Warning($"Could not remove temporary {copier.Noun} {name} (copy of {display}): {e.Message}. The next backup run removes it.");
        }
    }

    /// <summary>Nothing to thaw: the copy is stopped, and the original was never held.</summary>
    private sealed class NothingHeld : IAsyncDisposable
    {
        public static readonly NothingHeld Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>The copy could not be made (nothing was exported yet): Auto falls back to Freeze.</summary>
internal sealed class SnapshotCopyFailedException(string message, Exception inner)
    : IncusBackupException(ErrorIds.SnapshotConsistencyUnavailable, ErrorKind.OperationFailed, message,
        recommendedAction: "Use -Consistency Auto or Freeze, which freeze the running instances instead.", inner: inner);
