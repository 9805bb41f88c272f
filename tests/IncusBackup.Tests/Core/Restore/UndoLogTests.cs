using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Restore;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>The undo log of a replace: what it undoes, in which order, and how it reports what it could not undo.</summary>
public sealed class UndoLogTests
{
    private readonly RecordingReporter _reporter = new();
    private readonly List<string> _undone = [];

    private Func<Task> Undo(string action) => () =>
    {
        _undone.Add(action);
        return Task.CompletedTask;
    };

    private static Task Done() => Task.CompletedTask;

    [Fact]
    public async Task RollBack_UndoesNewestFirst()
    {
        var log = new UndoLog(_reporter);
        await log.RunAsync("upload", Done, Undo("upload"));
        await log.RunAsync("stop", Done, Undo("stop"));
        await log.RunAsync("retire", Done, Undo("retire"));

        await log.RollBackAsync();

        Assert.Equal(["retire", "stop", "upload"], _undone);
        Assert.Equal(["Rolled back step 'retire'.", "Rolled back step 'stop'.", "Rolled back step 'upload'."], _reporter.VerboseLines);
        Assert.Empty(_reporter.Warnings);
        Assert.Equal("every finished step was rolled back and the temporary copy removed.", log.Summary);
    }

    [Fact]
    public async Task RollBack_UndoesEachActionOnce()
    {
        var log = new UndoLog(_reporter);
        await log.RunAsync("upload", Done, Undo("upload"));

        await log.RollBackAsync();
        await log.RollBackAsync();

        Assert.Equal(["upload"], _undone);
    }

    [Fact]
    public async Task AFailingUndo_IsAWarning_TheOthersStillRun_AndTheSummarySaysWhichFailed()
    {
        var log = new UndoLog(_reporter);
        await log.RunAsync("upload", Done, Undo("upload"));
        await log.RunAsync("stop", Done, () => throw new IncusApiException(500, "instance is gone"));
        await log.RunAsync("retire", Done, Undo("retire"));

        await log.RollBackAsync();

        Assert.Equal(["retire", "upload"], _undone);
        Assert.Equal(["Could not roll back step 'stop': instance is gone"], _reporter.Warnings);
        Assert.Equal("rolling back failed for: stop: instance is gone. Check the server by hand.", log.Summary);
    }

    [Fact]
    public async Task SeveralFailingUndos_AreAllNamed_NewestFirst()
    {
        var log = new UndoLog(_reporter);
        await log.RunAsync("upload", Done, () => Task.FromException(new HttpRequestException("socket closed")));
        await log.RunAsync("stop", Done, () => Task.FromException(new OperationCanceledException("cleanup took too long")));
        await log.RunAsync("retire", Done, () => Task.FromException(new IncusBackupException(ErrorIds.IncusApiError, ErrorKind.OperationFailed, "name taken")));

        await log.RollBackAsync();

        Assert.Equal("rolling back failed for: retire: name taken; stop: cleanup took too long; upload: socket closed. Check the server by hand.", log.Summary);
        Assert.Equal(3, _reporter.Warnings.Count);
        Assert.Empty(_reporter.VerboseLines);
    }

    [Fact]
    public async Task FailedAction_NamesTheActionThatWasRunning()
    {
        var log = new UndoLog(_reporter);
        await log.RunAsync("upload", Done, Undo("upload"));
        Assert.Null(log.FailedAction);

        await Assert.ThrowsAsync<IncusApiException>(() => log.RunAsync("stop", () => throw new IncusApiException(500, "timeout"), Undo("stop")));

        Assert.Equal("stop", log.FailedAction);
        await log.RollBackAsync();
        Assert.Equal(["upload"], _undone); // the action that failed is not undone
    }

    [Fact]
    public async Task BeforeAction_RunsFirst_AndItsFailureIsTheActionsFailure()
    {
        var seen = new List<string>();
        var ran = false;
        var log = new UndoLog(_reporter, action =>
        {
            seen.Add(action);
            return action == "swap" ? Task.FromException(new InvalidOperationException("injected")) : Task.CompletedTask;
        });
        await log.RunAsync("retire", Done, Undo("retire"));

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => log.RunAsync("swap", () =>
        {
            ran = true;
            return Task.CompletedTask;
        }, Undo("swap")));

        Assert.Equal("injected", e.Message);
        Assert.Equal(["retire", "swap"], seen);
        Assert.False(ran);
        Assert.Equal("swap", log.FailedAction);
        await log.RollBackAsync();
        Assert.Equal(["retire"], _undone);
    }

    [Fact]
    public async Task AnActionWithoutUndo_IsNotUndone()
    {
        var log = new UndoLog(_reporter);
        await log.RunAsync("upload", Done, Undo("upload"));
        await log.RunAsync("start", Done, null);

        await log.RollBackAsync();

        Assert.Equal(["upload"], _undone);
        Assert.Equal(["Rolled back step 'upload'."], _reporter.VerboseLines);
    }
}
