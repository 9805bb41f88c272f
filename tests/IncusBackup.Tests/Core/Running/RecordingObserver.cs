using IncusBackup.Reporting;
using IncusBackup.Running;

namespace IncusBackup.Tests.Core.Running;

/// <summary>One call the runner made on its observer, with the thread it was made on.</summary>
internal sealed record ObservedCall(string Kind, int ThreadId, string Text);

/// <summary>
/// An observer of <see cref="ThrottledRunner"/> that keeps every call in order with the thread it came on.
/// <see cref="OnResult"/> lets a test make delivery fail. Locked, so a runner that broke its one-thread promise
/// would show up in the assertions rather than as a corrupted list.
/// </summary>
internal sealed class RecordingObserver<TItem, TResult> : IRunObserver<TItem, TResult>
{
    private readonly List<ObservedCall> _calls = [];
    private readonly List<(TItem Item, TResult Result)> _results = [];
    private readonly List<(TItem Item, Exception Error)> _failures = [];
    private readonly List<(int Slot, string Item, int Finished, int Total)> _done = [];
    private readonly List<(int Slot, string Item, ItemProgress Progress)> _progress = [];

    /// <summary>Called before a result is recorded; throwing here ends the run.</summary>
    public Action<TItem, TResult>? OnResult { get; init; }

    public IReadOnlyList<ObservedCall> Calls => Snapshot(_calls);
    public IReadOnlyList<(TItem Item, TResult Result)> Results => Snapshot(_results);
    public IReadOnlyList<(TItem Item, Exception Error)> Failures => Snapshot(_failures);
    public IReadOnlyList<(int Slot, string Item, int Finished, int Total)> Done => Snapshot(_done);
    public IReadOnlyList<(int Slot, string Item, ItemProgress Progress)> ProgressReports => Snapshot(_progress);

    public void Verbose(string message) => Record("Verbose", message);

    public void Warning(string message) => Record("Warning", message);

    public void Progress(int slot, string item, ItemProgress progress)
    {
        Record("Progress", $"{slot} {item} {progress.Status}");
        lock (_calls) _progress.Add((slot, item, progress));
    }

    public void ItemDone(int slot, string item, int finished, int total)
    {
        Record("ItemDone", $"{slot} {item} {finished}/{total}");
        lock (_calls) _done.Add((slot, item, finished, total));
    }

    public void Result(TItem item, TResult result)
    {
        Record("Result", $"{item} {result}");
        OnResult?.Invoke(item, result);
        lock (_calls) _results.Add((item, result));
    }

    public void Failure(TItem item, Exception error)
    {
        Record("Failure", $"{item} {error.Message}");
        lock (_calls) _failures.Add((item, error));
    }

    private void Record(string kind, string text)
    {
        lock (_calls) _calls.Add(new ObservedCall(kind, Environment.CurrentManagedThreadId, text));
    }

    private List<T> Snapshot<T>(List<T> list)
    {
        lock (_calls) return [.. list];
    }
}
