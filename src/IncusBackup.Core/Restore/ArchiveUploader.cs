using System.IO.Pipelines;
using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Reporting;
using IncusBackup.Repository;

namespace IncusBackup.Restore;

/// <summary>
/// Sends a backup's archive to the server: streamed from the repository straight into the import request, through
/// the YAML rewriter (a pipe, no temporary copy) when a mapping needs it; nothing whole in memory. If interrupted
/// after the server accepted the upload, waits for the import to end and deletes what it created.
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
        await using var file = await plan.Repository.OpenReadAsync(backup, archive.Name, ct).ConfigureAwait(false);
        var source = new ProgressReadStream(file, read => reporter.Progress(new ItemProgress(display, "Uploading", read, archive.Size)));

        Task<RewriteSummary>? rewrite = null;
        Stream body = source;
        if (plan.NeedsRewrite)
        {
            var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20));
            rewrite = RewriteAsync(source, pipe.Writer, plan.Mapping, ct);
            body = pipe.Reader.AsStream();
        }

        string operation;
        try
        {
            operation = await strategy.StartImportAsync(target, new BackupUpload { Body = body, Length = rewrite is null ? archive.Size : null, Name = target.Name }, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (source.ReadFailure is { } readFailure && e is not OperationCanceledException)
        {
            throw BackupVerifier.Unreadable(backup, archive.Name, readFailure);
        }
        catch (IncusApiException e)
        {
            throw new IncusBackupException(ErrorIds.RestoreFailed, ErrorKind.OperationFailed,
                $"The server refused the backup of {plan.Describe}: {e.Message}", display, inner: e);
        }
        finally
        {
            if (rewrite is not null)
            {
                try
                {
                    await rewrite.ConfigureAwait(false);
                }
                catch (Exception) when (ct.IsCancellationRequested)
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
        if (rewrite is null) return [];
        var summary = await rewrite.ConfigureAwait(false);
        foreach (var warning in summary.Warnings) reporter.Warning($"{display}: {warning}");
        return [.. summary.Changes];
    }

    private static Task<RewriteSummary> RewriteAsync(Stream source, PipeWriter writer, RestoreMapping mapping, CancellationToken ct) =>
        Task.Run(async () =>
        {
            try
            {
                await using var output = writer.AsStream(leaveOpen: true);
                var summary = await ArchiveRewriter.RewriteAsync(source, output, mapping, ct).ConfigureAwait(false);
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
