using System.Management.Automation;
using IncusBackup.Reporting;
using IncusBackup.Running;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Runs a cmdlet's slow work through <see cref="ThrottledRunner"/> and turns everything the workers report into
/// the cmdlet's own output on the pipeline thread: objects, errors, warnings, verbose lines, one progress bar per
/// item under an overall bar, and the -Debug API trace.
/// </summary>
internal sealed class ParallelRunner(IncusCmdlet cmdlet, string activity)
{
    private const int ParentActivityId = 1;

    public void Run<TItem, TResult>(IReadOnlyList<TItem> items, int throttleLimit,
        Func<TItem, IReporter, CancellationToken, Task<TResult>> work,
        Action<TItem, TResult> onResult, Action<TItem, Exception> onFailure, CancellationToken ct)
        where TItem : notnull
    {
        if (items.Count == 0) return;
        try
        {
            ThrottledRunner.Run(items, throttleLimit, work, new Observer<TItem, TResult>(cmdlet, activity, onResult, onFailure), ct);
        }
        finally
        {
            cmdlet.FlushDebugLines();
        }
        cmdlet.WriteProgress(new ProgressRecord(ParentActivityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
    }

    private sealed class Observer<TItem, TResult>(IncusCmdlet cmdlet, string activity, Action<TItem, TResult> onResult, Action<TItem, Exception> onFailure)
        : IRunObserver<TItem, TResult>
    {
        public void Verbose(string message) => Write(() => cmdlet.WriteVerbose(message));

        public void Warning(string message) => Write(() => cmdlet.WriteWarning(message));

        /// <summary>When each item's current phase began and how far it was then, to estimate the time left.</summary>
        private readonly Dictionary<int, (string Phase, DateTime At, long Bytes)> _phases = [];

        public void Progress(int slot, string item, ItemProgress progress) => Write(() =>
        {
            var record = new ProgressRecord(ActivityId(slot), item, progress.Status) { ParentActivityId = ParentActivityId };
            if (progress.Percent is { } percent) record.PercentComplete = percent;
            if (SecondsRemaining(slot, progress) is { } seconds) record.SecondsRemaining = seconds;
            cmdlet.WriteProgress(record);
        });

        /// <summary>From the rate since the phase began; only once it has run long enough for the rate to mean something.</summary>
        private int? SecondsRemaining(int slot, ItemProgress progress)
        {
            var now = DateTime.UtcNow;
            if (!_phases.TryGetValue(slot, out var phase) || phase.Phase != progress.Phase)
            {
                _phases[slot] = (progress.Phase, now, progress.Bytes);
                return null;
            }
            var elapsed = (now - phase.At).TotalSeconds;
            var done = progress.Bytes - phase.Bytes;
            if (progress.TotalBytes is not { } total || elapsed < 1 || done <= 0) return null;
            return (int)Math.Ceiling((total - progress.Bytes) / (done / elapsed));
        }

        public void ItemDone(int slot, string item, int finished, int total) => Write(() =>
        {
            cmdlet.WriteProgress(new ProgressRecord(ActivityId(slot), item, "Done")
            {
                ParentActivityId = ParentActivityId,
                RecordType = ProgressRecordType.Completed,
            });
            cmdlet.WriteProgress(new ProgressRecord(ParentActivityId, activity, $"{finished} of {total} done")
            {
                PercentComplete = finished * 100 / total,
            });
        });

        public void Result(TItem item, TResult result) => Write(() => onResult(item, result));

        public void Failure(TItem item, Exception error) => Write(() => onFailure(item, error));

        private static int ActivityId(int slot) => ParentActivityId + 1 + slot;

        /// <summary>The API trace gathered on the workers goes out first, so -Debug lines keep their order.</summary>
        private void Write(Action write)
        {
            cmdlet.FlushDebugLines();
            write();
        }
    }
}
