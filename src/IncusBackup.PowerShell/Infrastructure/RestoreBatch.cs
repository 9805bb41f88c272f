using System.Collections.Concurrent;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Reporting;
using IncusBackup.Repository;
using IncusBackup.Restore;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Restores a batch of backups of one kind, in three phases: on the pipeline thread, plan each one (nothing
/// changes yet) and confirm it; then restore the approved ones in parallel (each verified against its checksums
/// first), writing each result as it comes.
/// </summary>
internal sealed class RestoreBatch(IncusCmdlet cmdlet, string noun, bool force, bool replace)
{
    /// <summary>
    /// Before anything is planned: finishes or rolls back the replaces of this server that a killed run left half-done
    /// (<see cref="RestoreJournal"/>), so that a rerun plans against the original under its own name. Each recovery is a
    /// warning; under -WhatIf they are only named.
    /// </summary>
    public static void RecoverInterrupted(IncusCmdlet cmdlet, IIncusServer server, RestoreJournal? journal = null)
    {
        journal ??= RestoreJournal.ForCurrentUser();
        var reporter = new QueuedReporter();
        var whatIf = cmdlet.IsWhatIf();
        try
        {
            cmdlet.Await(async ct =>
            {
                await journal.RecoverAsync(server, reporter, ct, dryRun: whatIf).ConfigureAwait(false);
                return true;
            });
        }
        catch (Exception e) when (e is IncusBackupException or IOException or UnauthorizedAccessException)
        {
            // Not a reason to refuse this restore: what the killed run left stays for the next one.
            reporter.Warning($"Could not look for restores a killed run left half-done in {journal.Directory}: {e.Message}");
        }
        finally
        {
            while (reporter.Messages.TryDequeue(out var message))
            {
                if (message.Warning) cmdlet.WriteWarning(message.Text);
                else cmdlet.WriteVerbose(message.Text);
            }
        }
    }

    /// <summary>Holds what a call on the pipeline thread reports until it can be written there.</summary>
    private sealed class QueuedReporter : IReporter
    {
        public ConcurrentQueue<(bool Warning, string Text)> Messages { get; } = new();

        public void Verbose(string message) => Messages.Enqueue((false, message));

        public void Warning(string message) => Messages.Enqueue((true, message));

        public void Progress(ItemProgress progress)
        {
        }
    }

    public delegate Task<RestorePlan> Planner(IBackupRepository repository, RestoreRequest request, CancellationToken ct);

    /// <param name="planFailed">Called with a plan's error before it is written; true when it has been dealt with.</param>
    /// <returns>The results of the restores that ran.</returns>
    public IReadOnlyList<RestoreResult> Run(IReadOnlyList<(IBackupRepository Repository, RestoreRequest Request)> requests, Planner plan,
        int throttleLimit, Func<RestoreRequest, IncusBackupException, bool>? planFailed = null)
    {
        var approved = new List<RestorePlan>();
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (repository, request) in requests)
        {
            RestorePlan planned;
            try
            {
                planned = cmdlet.Await(ct => plan(repository, request, ct));
            }
            catch (IncusBackupException e)
            {
                if (planFailed?.Invoke(request, e) != true) cmdlet.WriteError(e, request.Backup.ToString());
                continue;
            }
            if (!targets.Add(planned.Target.ToString()))
            {
                cmdlet.WriteError(new IncusBackupException(ErrorIds.TargetExists, ErrorKind.InvalidArgument,
                    $"{request.Backup} would restore onto {planned.TargetProject}/{planned.TargetName}, which another backup in this batch already restores to.",
                    request.Backup.ToString()));
                continue;
            }
            if (Confirm(planned)) approved.Add(planned);
        }
        var results = new List<RestoreResult>();
        if (approved.Count == 0) return results;

        var executor = new RestoreExecutor();
        new ParallelRunner(cmdlet, $"Restoring {approved.Count} {noun}(s)").Run(
            approved, throttleLimit,
            (p, reporter, ct) => executor.ExecuteAsync(p, reporter, ct),
            (_, result) =>
            {
                results.Add(result);
                cmdlet.WriteObject(cmdlet.Shape(result));
            },
            (p, e) => cmdlet.WriteError(e, p.Describe),
            cmdlet.PipelineStopToken);
        return results;
    }

    /// <summary>
    /// -WhatIf lists every step. Otherwise a new target needs ShouldProcess. An existing one also needs an answer
    /// to "replace it?" (given by -Replace) and, when running instances must be stopped for the swap, to "stop
    /// them?"; -Force or -Confirm:$false answer both. A host that cannot ask (pwsh -NonInteractive, a scheduled
    /// job) gets ConfirmationRequired instead of a silent yes.
    /// </summary>
    private bool Confirm(RestorePlan plan)
    {
        if (cmdlet.IsWhatIf())
        {
            foreach (var step in plan.Steps) cmdlet.ShouldProcess(step.Target, step.Action);
            return false;
        }
        if (plan.Skip) return true;
        var first = plan.Steps[0];
        if (!plan.TargetExists) return cmdlet.ShouldProcess(first.Target, first.Action);

        var target = plan.Target.ToString();
        var running = string.Join(", ", plan.AffectedInstances);
        var affected = plan.AffectedInstances.Count == 0 ? "" : $" Running instances stopped for the swap and started again: {running}.";
        if (plan.Conflict is { } conflict)
        {
            // Not "the target exists" but something else in the way (an image alias pointing at another image).
            if (!cmdlet.ShouldProcess($"{conflict}; restore {plan.Request.Backup.Version} over it", plan.ConflictAction ?? $"Replace {noun}")) return false;
            if (force || replace || cmdlet.ConfirmExplicitlyOff()) return true;
            return cmdlet.AskOrRefuse(target, $"{conflict}. Change it to what the backup from {plan.Request.Backup.Version} has?", plan.ConflictAction ?? $"Replace {noun}",
                $"{conflict} and this session cannot ask whether to change it; nothing was changed.",
                "Add -Replace (or -Force, or -Confirm:$false) to change it, or -SkipExisting to leave it.");
        }
        if (!cmdlet.ShouldProcess($"{target} with {plan.Request.Backup.Version}.{affected}", $"Replace {noun}")) return false;
        if (force || cmdlet.ConfirmExplicitlyOff()) return true;
        if (replace && plan.AffectedInstances.Count == 0) return true;
        return replace
            ? cmdlet.AskOrRefuse(target, $"Replacing {target} stops {running} for the swap; they are started again afterwards. Go ahead?", "Stop running instances",
                $"Replacing {target} would stop running instances ({running}) and this session cannot ask whether to; nothing was changed.",
                "Add -Force (or -Confirm:$false) to let the replace stop and restart them, or -NewName to restore beside it.")
            : cmdlet.AskOrRefuse(target,
                $"{target} exists. Replace it with the backup from {plan.Request.Backup.Version}?{affected} The original is kept until the restored copy is in place.",
                $"Replace {noun} {target}",
                $"{target} exists and this session cannot ask whether to replace it; nothing was changed.",
                "Add -Replace -Force (or -Confirm:$false) to replace it, or -SkipExisting to leave it, or -NewName to restore beside it.");
    }
}
