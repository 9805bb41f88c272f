using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using IncusBackup.Reporting;

namespace IncusBackup.Running;

/// <summary>
/// Runs slow engine work on worker tasks, at most a throttle limit at once, while the calling thread delivers
/// everything they report to an <see cref="IRunObserver{TItem,TResult}"/> (a PowerShell host may only write from
/// its pipeline thread). On cancellation the workers see the token, clean up, and the calling thread waits for
/// that cleanup before returning, so nothing is left half done. A worker stopped by cancellation reports nothing.
/// </summary>
public static class ThrottledRunner
{
    public static void Run<TItem, TResult>(IReadOnlyList<TItem> items, int throttleLimit,
        Func<TItem, IReporter, CancellationToken, Task<TResult>> work, IRunObserver<TItem, TResult> observer, CancellationToken ct)
        where TItem : notnull
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(throttleLimit, 1);
        if (items.Count == 0) return;
        using var messages = new BlockingCollection<Action>();
        // Workers stop early when delivering ends the run (-ErrorAction Stop, Ctrl+C), but are always awaited.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var gate = new SemaphoreSlim(throttleLimit);
        var token = stop.Token;
        var done = 0;

        void Post(Action message)
        {
            try
            {
                messages.Add(message);
            }
            catch (InvalidOperationException)
            {
                // Adding completed: only possible after every worker finished.
            }
        }

        var tasks = items.Select((item, slot) => Task.Run(async () =>
        {
            var label = item.ToString() ?? "";
            var reporter = new QueuedReporter<TItem, TResult>(Post, observer, slot, label);
            try
            {
                await gate.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (token.IsCancellationRequested)
            {
                // A waiter can be granted the gate by a release that raced with the cancellation: start nothing new.
                gate.Release();
                return;
            }
            try
            {
                reporter.Progress(new ItemProgress(label, "Starting", 0, null));
                var result = await work(item, reporter, token).ConfigureAwait(false);
                Post(() => observer.Result(item, result));
            }
            catch (Exception e) when (!(token.IsCancellationRequested && e is OperationCanceledException))
            {
                Post(() => observer.Failure(item, e));
            }
            catch (OperationCanceledException)
            {
                // Stopped; the engine has cleaned up.
            }
            finally
            {
                gate.Release();
                // Counted where it is delivered, so the host sees 1, 2, 3... even when workers finish together.
                Post(() => observer.ItemDone(slot, label, ++done, items.Count));
            }
        }, CancellationToken.None)).ToArray();

        _ = Task.WhenAll(tasks).ContinueWith(_ => messages.CompleteAdding(), TaskScheduler.Default);
        ExceptionDispatchInfo? ended = null;
        foreach (var message in messages.GetConsumingEnumerable())
        {
            if (ended is not null) continue; // Keep draining so the workers can finish their cleanup.
            try
            {
                message();
            }
            catch (Exception e)
            {
                ended = ExceptionDispatchInfo.Capture(e);
                stop.Cancel();
            }
        }
        Task.WaitAll(tasks);
        ended?.Throw();
    }

    /// <summary>An item's reporter: every call becomes a message delivered on the calling thread.</summary>
    private sealed class QueuedReporter<TItem, TResult>(Action<Action> post, IRunObserver<TItem, TResult> observer, int slot, string label) : IReporter
    {
        public void Verbose(string message) => post(() => observer.Verbose(message));

        public void Warning(string message) => post(() => observer.Warning(message));

        public void Progress(ItemProgress progress) => post(() => observer.Progress(slot, label, progress));
    }
}
