using IncusBackup.Errors;
using IncusBackup.Reporting;

namespace IncusBackup.Restore;

/// <summary>
/// The finished actions of a restore, each with the action that undoes it. On failure they are undone newest
/// first; an undo that fails is reported and the others still run, so as much as possible is put back.
/// </summary>
internal sealed class UndoLog(IReporter reporter, Func<string, Task>? beforeAction = null)
{
    private readonly Stack<(string Action, Func<Task> Undo)> _done = new();
    private readonly List<string> _undoFailures = [];

    /// <summary>The action that was running when the failure happened ("upload", "stop", "retire", "swap"...).</summary>
    public string? FailedAction { get; private set; }

    /// <summary>Called with each action's name before it runs (and before the test hook): the restore journal writes the step down.</summary>
    public Action<string>? Reached { get; set; }

    /// <summary>Whether rolling back left something undone.</summary>
    public bool UndoFailed => _undoFailures.Count > 0;

    /// <summary>
    /// Runs one action; once it has succeeded, <paramref name="undo"/> (if any) is what rolling back does for it.
    /// An action that changes several things one by one can fail half-way; when its undo is safe to run on whatever
    /// part was done (<paramref name="undoIfFailed"/>), it is rolled back too.
    /// </summary>
    public async Task RunAsync(string action, Func<Task> run, Func<Task>? undo, bool undoIfFailed = false)
    {
        FailedAction = action;
        Reached?.Invoke(action);
        if (beforeAction is not null) await beforeAction(action).ConfigureAwait(false);
        try
        {
            await run().ConfigureAwait(false);
        }
        catch when (undoIfFailed && undo is not null)
        {
            _done.Push((action, undo));
            throw;
        }
        if (undo is not null) _done.Push((action, undo));
        FailedAction = null;
    }

    public async Task RollBackAsync()
    {
        while (_done.TryPop(out var done))
        {
            try
            {
                await done.Undo().ConfigureAwait(false);
                reporter.Verbose($"Rolled back step '{done.Action}'.");
            }
            catch (Exception e) when (e is IncusBackupException or OperationCanceledException or HttpRequestException)
            {
                _undoFailures.Add($"{done.Action}: {e.Message}");
                reporter.Warning($"Could not roll back step '{done.Action}': {e.Message}");
            }
        }
    }

    public string Summary => _undoFailures.Count == 0
        ? "every finished step was rolled back and the temporary copy removed."
        : "rolling back failed for: " + string.Join("; ", _undoFailures) + ". Check the server by hand.";
}
