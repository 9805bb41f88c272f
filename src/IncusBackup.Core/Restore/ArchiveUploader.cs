using System.IO.Pipelines;
using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.IO;
using IncusBackup.Reporting;
using IncusBackup.Running;

namespace IncusBackup.Restore;

/// <summary>
/// Sends a backup's archive to the server: streamed from the repository straight into the import request, through
/// the YAML rewriter (a pipe, no temporary copy) when a mapping needs it; nothing whole in memory. The archive is
/// checked against its seal on the way (<see cref="VerifyingReadStream"/>): a mismatch breaks the upload off before
/// its end. If interrupted after the server accepted the upload, waits for the import to end and deletes what it created.
/// </summary>
internal sealed class ArchiveUploader(IIncusServer server)
{
    /// <summary>Uploads the plan's archive as <paramref name="target"/>; returns what the mappings changed.</summary>
    /// <param name="accepted">Called with the import operation once the server has accepted the upload.</param>
    public async Task<string[]> UploadAsync(RestorePlan plan, IRestoreStrategy strategy, RestoreTarget target, IReporter reporter, CancellationToken ct,
        Action<string>? accepted = null)
    {
        var backup = plan.Request.Backup;
        var archive = plan.Manifest.Files[0];
        var display = target.Kind == BackupKind.Volume ? $"{target.Project}/{target.Name}" : target.ToString();
        await using var file = await VerifyingReadStream.OpenAsync(plan.Repository, backup, archive, ct).ConfigureAwait(false);
        var source = new ProgressReadStream(file, read => reporter.Progress(new ItemProgress(display, "Uploading", read, archive.Size)));

        Task<RewriteSummary>? rewrite = null;
        Stream body = source;
        if (plan.NeedsRewrite)
        {
            var pipe = StreamingPipe.Create();
            rewrite = RewriteAsync(source, pipe.Writer, plan.Mapping, ct);
            body = pipe.Reader.AsStream();
        }

        string operation;
        try
        {
            operation = await strategy.StartImportAsync(target, new BackupUpload { Body = body, Length = rewrite is null ? archive.Size : null, Name = target.Name }, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A damaged archive may break the rewriter's decompressor before its checksum is reached: read the rest to tell.
            if (file.Failure is null && rewrite is not null && await TaskOutcome.FailureOfAsync(rewrite).ConfigureAwait(false) is not null)
                await TaskOutcome.FailureOfAsync(file.CopyToAsync(Stream.Null, CancellationToken.None)).ConfigureAwait(false);
            // However the broken-off request surfaced (a connection error, the rewriter's failure), the cause is the archive.
            if (file.Failure is not null) throw file.Failure;
            if (e is IncusApiException) throw new IncusBackupException(ErrorIds.RestoreFailed, ErrorKind.OperationFailed,
                $"The server refused the backup of {plan.Describe}: {e.Message}", display, inner: e);
            throw;
        }
        finally
        {
            if (rewrite is not null)
            {
                try
                {
                    await rewrite.ConfigureAwait(false);
                }
                catch (Exception) when (ct.IsCancellationRequested || file.Failure is not null)
                {
                }
            }
        }
        accepted?.Invoke(operation);
        reporter.Progress(new ItemProgress(display, "Restoring on the server", archive.Size, archive.Size));
        try
        {
            await server.Operations.WaitAsync(operation, null, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await UndoInterruptedImportAsync(strategy, target, operation, reporter).ConfigureAwait(false);
            throw;
        }
        catch (IncusApiException e)
        {
            throw new IncusBackupException(ErrorIds.RestoreFailed, ErrorKind.OperationFailed,
                $"Restoring {plan.Describe} failed on the server: {e.Message}", display, inner: e);
        }
        if (plan.ReleaseHardwareAddresses) return await ReleaseHardwareAddressesAsync(target, display, reporter, ct).ConfigureAwait(false);
        if (rewrite is null) return [];
        var summary = await rewrite.ConfigureAwait(false);
        foreach (var warning in summary.Warnings) reporter.Warning($"{display}: {warning}");
        return [.. summary.Changes];
    }

    /// <summary>Clears the MAC addresses an optimized import brought along, so the copy does not collide with its original.</summary>
    private async Task<string[]> ReleaseHardwareAddressesAsync(RestoreTarget target, string display, IReporter reporter, CancellationToken ct)
    {
        try
        {
            var cleared = await InstancePower.ReleaseHardwareAddressesAsync(server, target.Project, target.Name, ct).ConfigureAwait(false);
            return [.. cleared.Keys.Order(StringComparer.Ordinal).Select(key => $"{key}: {cleared[key]} -> new at the next start")];
        }
        catch (IncusBackupException e)
        {
            reporter.Warning($"{display}: its MAC addresses could not be cleared ({e.Message}); it may not start beside the original.");
            return [];
        }
    }

    private static Task<RewriteSummary> RewriteAsync(Stream source, PipeWriter writer, RestoreMapping mapping, CancellationToken ct) =>
        Task.Run(async () =>
        {
            try
            {
                await using var output = writer.AsStream(leaveOpen: true);
                var summary = await ArchiveRewriter.RewriteAsync(source, output, mapping, ct).ConfigureAwait(false);
                // The rewriter may stop at the archive's end marker: read the rest, so the checksum is matched
                // before the upload is allowed to end.
                await source.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
                await writer.CompleteAsync().ConfigureAwait(false);
                return summary;
            }
            catch (Exception e)
            {
                await writer.CompleteAsync(e).ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);

    private async Task UndoInterruptedImportAsync(IRestoreStrategy strategy, RestoreTarget target, string operation, IReporter reporter)
    {
        using var limit = new CancellationTokenSource(InstancePower.CleanupLimit);
        try
        {
            await server.Operations.WaitAsync(operation, null, limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IncusBackupException or OperationCanceledException)
        {
            return; // Failed (nothing created) or still running after the limit.
        }
        try
        {
            await strategy.DeleteAsync(target).ConfigureAwait(false);
            reporter.Verbose($"Removed {target}, imported by the interrupted restore.");
        }
        catch (IncusBackupException e)
        {
            reporter.Warning($"The interrupted restore left {target} behind: {e.Message}");
        }
    }
}
