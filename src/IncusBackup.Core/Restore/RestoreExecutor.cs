using System.Diagnostics;
using IncusBackup.Errors;
using IncusBackup.Reporting;

namespace IncusBackup.Restore;

/// <summary>
/// Runs a confirmed <see cref="RestorePlan"/>: its steps in order through an <see cref="UndoLog"/>. The upload, always
/// the first step, checks the archive against its seal as it goes and breaks off before its end on a mismatch, so the
/// server never imports bytes that do not match; such a failure is reported as it is (ChecksumMismatch), after the
/// rollback. A replace that fails otherwise is rolled back and reported as ReplaceRolledBack; commit steps run last
/// and only warn.
/// </summary>
public sealed class RestoreExecutor
{
    /// <summary>Test hook: runs before each named action ("upload", "stop", "retire", "swap", "repoint", "start").</summary>
    internal Func<string, Task>? BeforeAction { get; init; }

    /// <summary>
    /// Test hook: a failure for which the run ends as a killed process would, with no rollback and its journal entry
    /// left as it was.
    /// </summary>
    internal Func<Exception, bool>? Killed { get; init; }

    /// <summary>Where replaces are written down, so that a killed run's are recovered by the next (null: nowhere).</summary>
    public RestoreJournal? Journal { get; init; } = RestoreJournal.ForCurrentUser();

    public async Task<RestoreResult> ExecuteAsync(RestorePlan plan, IReporter reporter, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var backup = plan.Request.Backup;
        var log = new UndoLog(reporter, BeforeAction);
        if (plan.Skip)
        {
            reporter.Verbose($"{plan.TargetProject}/{plan.TargetName} exists; skipped.");
            return Result(plan, RestoreAction.Skipped, new StepContext(log, reporter, ct), clock.Elapsed);
        }

        // A replace is written down before its first change to the server, and again before each action.
        var journal = plan.IsReplace && plan.TemporaryName is not null && plan.RetiredName is not null ? BeginJournal(plan) : null;
        if (journal is not null) log.Reached = journal.Reach;
        var context = new StepContext(log, reporter, ct) { Journal = journal };
        try
        {
            foreach (var step in plan.Steps.Where(s => !s.IsCommit))
            {
                // Stopping, swapping and starting take seconds each: the progress bar says which is going on.
                if (step != plan.Steps[0]) reporter.Progress(new ItemProgress(plan.Describe, step.Action, 0, null, step.Target));
                await step.Run(context).ConfigureAwait(false);
            }
        }
        catch (Exception e) when ((plan.IsReplace || plan.RollBackOnFailure) && Killed?.Invoke(e) != true)
        {
            log.Reached = null;
            journal?.RollingBack();
            await log.RollBackAsync().ConfigureAwait(false);
            // A rollback that left something undone keeps its entry: once this process has ended, the next restore
            // run puts the original back where it can.
            if (!log.UndoFailed) journal?.Complete();
            throw RolledBack(plan, e, log);
        }
        foreach (var step in plan.Steps.Where(s => s.IsCommit))
        {
            reporter.Progress(new ItemProgress(plan.Describe, step.Action, 0, null, step.Target));
            await step.Run(context).ConfigureAwait(false);
        }
        journal?.Complete();

        reporter.Verbose(plan.IsReplace && plan.Conflict is null
            ? $"Replaced {plan.TargetProject}/{plan.TargetName} with {backup}."
            : $"Restored {backup} as {plan.TargetProject}/{plan.TargetName}.");
        return Result(plan, plan.ResultAction ?? (plan.IsReplace ? RestoreAction.Replaced : RestoreAction.Restored), context, clock.Elapsed);
    }

    private RestoreJournalRun? BeginJournal(RestorePlan plan)
    {
        if (Journal is null) return null;
        try
        {
            return Journal.Begin(plan.ServerName, plan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IncusBackupException(ErrorIds.RestoreFailed, ErrorKind.WriteError,
                $"Cannot write the restore journal in {Journal.Directory} ({e.Message}); nothing was changed.", plan.Describe,
                "A replace writes down its steps there so that a killed run can be finished or rolled back. Make the folder writable, or set XDG_STATE_HOME to a writable one.", e);
        }
    }

    private static Exception RolledBack(RestorePlan plan, Exception e, UndoLog log)
    {
        // The archive failed its check on the way: nothing of it was imported, and that is what the operator must hear.
        if (e is IncusBackupException { ErrorId: ErrorIds.ChecksumMismatch or ErrorIds.BackupUnreadable }) return e;
        if (e is OperationCanceledException)
        {
            return new IncusBackupException(ErrorIds.Stopped, ErrorKind.OperationStopped,
                $"The restore of {plan.Describe} was stopped; {log.Summary}", plan.Describe, inner: e);
        }
        // An image plan with an alias in the way is a "replace" only for the confirmation: nothing was swapped,
        // so its failure is RestoreFailed, not "the original is in place".
        if (!plan.IsReplace || plan.Conflict is not null)
        {
            return new IncusBackupException(ErrorIds.RestoreFailed, ErrorKind.OperationFailed,
                $"Restoring {plan.Describe} failed at step '{log.FailedAction}' ({e.Message}); {log.Summary}", plan.Describe,
                "Nothing the restore did is left on the server. Fix the cause and run the restore again.", e);
        }
        return new IncusBackupException(ErrorIds.ReplaceRolledBack, ErrorKind.OperationFailed,
            $"Replacing {plan.TargetProject}/{plan.TargetName} failed at step '{log.FailedAction}' ({e.Message}); {log.Summary}", plan.Describe,
            "The original is in place and unchanged. Fix the cause and run the restore again.", e);
    }

    private static RestoreResult Result(RestorePlan plan, RestoreAction action, StepContext context, TimeSpan duration) => new()
    {
        Kind = plan.Kind,
        Project = plan.Request.Backup.Project,
        Name = plan.Request.Backup.Name,
        Version = plan.Request.Backup.Version,
        TargetProject = plan.TargetProject,
        // An instance's root pool: the mapped one, else the one it was backed up from.
        TargetPool = plan.TargetPool ?? plan.Manifest.Pool,
        TargetName = plan.TargetName,
        Action = action,
        Mapped = context.Mapped,
        RestartedInstances = [.. context.Stopped],
        Started = context.Started.Contains(plan.Target.ToString()),
        Duration = duration,
    };
}
