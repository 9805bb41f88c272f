using IncusBackup.Backup;
using IncusBackup.Errors;

namespace IncusBackup.Restore;

/// <summary>
/// The finished steps of a replace, each with the action that undoes it. On failure they are undone newest
/// first; an undo that fails is reported and the others still run, so as much as possible is put back.
/// </summary>
internal sealed class UndoLog(IBackupReporter reporter, Func<string, Task>? beforeStep)
{
    private readonly Stack<(string Step, Func<Task> Undo)> _done = new();
    private readonly List<string> _undoFailures = [];

    /// <summary>The step that was running when the failure happened.</summary>
    public string? FailedStep { get; private set; }

    public async Task RunAsync(string step, Func<Task> action, Func<Task> undo)
    {
        FailedStep = step;
        if (beforeStep is not null) await beforeStep(step).ConfigureAwait(false);
        await action().ConfigureAwait(false);
        _done.Push((step, undo));
        FailedStep = null;
    }

    public async Task RollBackAsync()
    {
        while (_done.TryPop(out var done))
        {
            try
            {
                await done.Undo().ConfigureAwait(false);
                reporter.Verbose($"Rolled back step '{done.Step}'.");
            }
            catch (Exception e) when (e is IncusBackupException or OperationCanceledException or HttpRequestException)
            {
                _undoFailures.Add($"{done.Step}: {e.Message}");
                reporter.Warning($"Could not roll back step '{done.Step}': {e.Message}");
            }
        }
    }

    public string Summary => _undoFailures.Count == 0
        ? "every finished step was rolled back and the temporary copy removed."
        : "rolling back failed for: " + string.Join("; ", _undoFailures) + ". Check the server by hand.";
}
