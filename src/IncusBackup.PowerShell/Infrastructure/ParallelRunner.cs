using System.Collections.Concurrent;
using System.Management.Automation;
using IncusBackup.Reporting;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Runs slow engine work on worker tasks, at most ThrottleLimit at once, while the pipeline thread writes
/// everything they report (objects, errors, warnings, verbose, progress): Write* from another thread throws.
/// On Ctrl+C the workers see the cancelled token, clean up, and the pipeline thread waits for that cleanup
/// before returning, so nothing is left half done.
/// </summary>
internal sealed class ParallelRunner
{
    private const int ParentActivityId = 1;

    private readonly IncusCmdlet _cmdlet;
    private readonly string _activity;
    private readonly BlockingCollection<Action> _messages = new();
    private bool _stopped;
    private CancellationTokenSource? _stop;
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _terminating;

    public ParallelRunner(IncusCmdlet cmdlet, string activity)
    {
        _cmdlet = cmdlet;
        _activity = activity;
    }

    /// <summary>
    /// Runs <paramref name="work"/> for each item. Results and failures are handed back on the pipeline thread
    /// in completion order.
    /// </summary>
    public void Run<TItem, TResult>(IReadOnlyList<TItem> items, int throttleLimit,
        Func<TItem, IReporter, CancellationToken, Task<TResult>> work,
        Action<TItem, TResult> onResult, Action<TItem, Exception> onFailure, CancellationToken ct)
        where TItem : notnull
    {
        if (items.Count == 0) return;
        var done = 0;
        // Workers stop early when a write ends the pipeline (-ErrorAction Stop, Ctrl+C), but are always awaited.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _stop = stop;
        ct = stop.Token;
        var gate = new SemaphoreSlim(throttleLimit);
        var tasks = items.Select((item, index) => Task.Run(async () =>
        {
            var reporter = new QueuedReporter(this, ParentActivityId + 1 + index, item.ToString() ?? "");
            try
            {
                await gate.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                reporter.Progress(new ItemProgress(item.ToString() ?? "", "Starting", 0, null));
                var result = await work(item, reporter, ct).ConfigureAwait(false);
                Post(() => onResult(item, result));
            }
            catch (Exception e) when (!(ct.IsCancellationRequested && e is OperationCanceledException))
            {
                Post(() => onFailure(item, e));
            }
            catch (OperationCanceledException)
            {
                // Stopped by the user; the engine has cleaned up.
            }
            finally
            {
                gate.Release();
                var finished = Interlocked.Increment(ref done);
                Post(() =>
                {
                    _cmdlet.WriteProgress(new ProgressRecord(reporter.ActivityId, reporter.Label, "Done")
                    {
                        ParentActivityId = ParentActivityId,
                        RecordType = ProgressRecordType.Completed,
                    });
                    _cmdlet.WriteProgress(new ProgressRecord(ParentActivityId, _activity, $"{finished} of {items.Count} done")
                    {
                        PercentComplete = finished * 100 / items.Count,
                    });
                });
            }
        }, CancellationToken.None)).ToArray();

        Task.WhenAll(tasks).ContinueWith(_ => _messages.CompleteAdding(), TaskScheduler.Default);
        Drain();
        Task.WaitAll(tasks);
        gate.Dispose();
        Write(() => _cmdlet.WriteProgress(new ProgressRecord(ParentActivityId, _activity, "Done") { RecordType = ProgressRecordType.Completed }));
        _terminating?.Throw();
    }

    private void Post(Action message)
    {
        try
        {
            _messages.Add(message);
        }
        catch (InvalidOperationException)
        {
            // Adding completed: only possible after every worker finished.
        }
    }

    /// <summary>Runs queued writes on the pipeline thread until every worker has finished.</summary>
    private void Drain()
    {
        foreach (var message in _messages.GetConsumingEnumerable())
        {
            Write(message);
        }
        _cmdlet.FlushDebugLines();
    }

    private void Write(Action message)
    {
        if (_stopped) return;
        try
        {
            _cmdlet.FlushDebugLines();
            message();
        }
        catch (Exception e) when (e is PipelineStoppedException or ActionPreferenceStopException or RuntimeException)
        {
            // The pipeline is ending (Ctrl+C, or -ErrorAction Stop on an error). Cancel the other workers, keep
            // draining so they can clean up, and rethrow once they have all finished.
            _stopped = true;
            _terminating ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            _stop?.Cancel();
        }
    }

    /// <summary>An item's reporter: every call becomes a queued write on the pipeline thread.</summary>
    private sealed class QueuedReporter(ParallelRunner runner, int activityId, string label) : IReporter
    {
        public int ActivityId { get; } = activityId;
        public string Label { get; } = label;

        public void Verbose(string message) => runner.Post(() => runner._cmdlet.WriteVerbose(message));

        public void Warning(string message) => runner.Post(() => runner._cmdlet.WriteWarning(message));

        public void Progress(ItemProgress progress) => runner.Post(() =>
        {
            var status = progress.TotalBytes is > 0
                ? $"{progress.Phase}: {Bytes.Format(progress.Bytes)} of {Bytes.Format(progress.TotalBytes.Value)}"
                : progress.Bytes > 0 ? $"{progress.Phase}: {Bytes.Format(progress.Bytes)}"
                : progress.Detail is not null ? $"{progress.Phase}: {progress.Detail}"
                : progress.Phase;
            var record = new ProgressRecord(ActivityId, Label, status) { ParentActivityId = ParentActivityId };
            if (progress.TotalBytes is > 0) record.PercentComplete = (int)Math.Min(100, progress.Bytes * 100 / progress.TotalBytes.Value);
            runner._cmdlet.WriteProgress(record);
        });
    }
}
