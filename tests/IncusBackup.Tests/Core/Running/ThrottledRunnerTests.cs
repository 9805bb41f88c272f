using System.Collections.Concurrent;
using IncusBackup.Reporting;
using IncusBackup.Running;
using Xunit;

namespace IncusBackup.Tests.Core.Running;

/// <summary>
/// The runner behind the parallel cmdlets: work on worker tasks, at most the throttle limit at once, and every report
/// delivered on the calling thread (a PowerShell host may write only from its pipeline thread). Workers are held with
/// TaskCompletionSource gates, never with sleeps, so each test is deterministic.
/// </summary>
public sealed class ThrottledRunnerTests
{
    [Fact]
    public void ResultsFailuresAndWorkerReports_AreAllDeliveredOnTheCallingThread()
    {
        int[] items = [1, 2, 3, 4, 5];
        var observer = new RecordingObserver<int, string>();
        var caller = Environment.CurrentManagedThreadId;

        ThrottledRunner.Run(items, 2, async (item, reporter, _) =>
        {
            await Task.Yield();
            reporter.Verbose($"verbose {item}");
            reporter.Warning($"warning {item}");
            reporter.Progress(new ItemProgress(item.ToString(), "Downloading", item, 10));
            if (item == 3) throw new InvalidOperationException("item 3 failed");
            return $"result {item}";
        }, observer, CancellationToken.None);

        Assert.NotEmpty(observer.Calls);
        Assert.All(observer.Calls, call => Assert.Equal(caller, call.ThreadId));
        Assert.Equal([(1, "result 1"), (2, "result 2"), (4, "result 4"), (5, "result 5")], observer.Results.OrderBy(r => r.Item));
        var failure = Assert.Single(observer.Failures);
        Assert.Equal(3, failure.Item);
        Assert.Equal("item 3 failed", Assert.IsType<InvalidOperationException>(failure.Error).Message);
        Assert.Equal(items.Select(i => $"verbose {i}"), observer.Calls.Where(c => c.Kind == "Verbose").Select(c => c.Text).Order(StringComparer.Ordinal));
        Assert.Equal(items.Select(i => $"warning {i}"), observer.Calls.Where(c => c.Kind == "Warning").Select(c => c.Text).Order(StringComparer.Ordinal));
        // Each item: a "Starting" report from the runner, then the worker's own, under the item's slot and label.
        foreach (var (item, slot) in items.Select((item, slot) => (item, slot)))
        {
            var reports = observer.ProgressReports.Where(p => p.Slot == slot).ToList();
            Assert.All(reports, r => Assert.Equal(item.ToString(), r.Item));
            Assert.Equal(["Starting", "Downloading"], reports.Select(r => r.Progress.Phase));
            Assert.Equal(item, reports[1].Progress.Bytes);
        }
    }

    [Fact]
    public void ItemDone_CountsEveryItemOnce_OneToNOfN_AfterItsResultOrFailure()
    {
        string[] items = ["a", "b", "c", "d", "e", "f"];
        var observer = new RecordingObserver<string, string>();

        ThrottledRunner.Run(items, 3, async (item, _, _) =>
        {
            await Task.Yield();
            return item == "d" ? throw new InvalidOperationException("d failed") : item.ToUpperInvariant();
        }, observer, CancellationToken.None);

        var done = observer.Done;
        Assert.Equal([1, 2, 3, 4, 5, 6], done.Select(d => d.Finished).Order());
        Assert.All(done, d => Assert.Equal(items.Length, d.Total));
        Assert.Equal(items, done.OrderBy(d => d.Slot).Select(d => d.Item));
        Assert.Equal([0, 1, 2, 3, 4, 5], done.Select(d => d.Slot).Order());
        var calls = observer.Calls.ToList();
        foreach (var (item, slot) in items.Select((item, slot) => (item, slot)))
        {
            var outcome = calls.FindIndex(c => c.Kind is "Result" or "Failure" && c.Text.StartsWith(item + " ", StringComparison.Ordinal));
            var finished = calls.FindIndex(c => c.Kind == "ItemDone" && c.Text.StartsWith($"{slot} {item} ", StringComparison.Ordinal));
            Assert.InRange(outcome, 0, finished - 1);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void NeverRunsMoreWorkersThanTheThrottleLimit_AndReachesIt(int throttleLimit)
    {
        var items = Enumerable.Range(1, 7).ToList();
        var observer = new RecordingObserver<int, int>();
        var sync = new object();
        var waiting = new List<TaskCompletionSource>();
        var started = 0;
        var running = 0;
        var maxRunning = 0;

        ThrottledRunner.Run(items, throttleLimit, async (item, _, _) =>
        {
            var now = Interlocked.Increment(ref running);
            for (var seen = Volatile.Read(ref maxRunning); now > seen; seen = Volatile.Read(ref maxRunning))
                Interlocked.CompareExchange(ref maxRunning, now, seen);
            try
            {
                // Each worker waits at its gate until the throttle limit is in work together (or the last item has
                // started), so a runner that held the limit is made to reach it, and one that broke it shows.
                var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (sync)
                {
                    waiting.Add(gate);
                    started++;
                    if (waiting.Count == throttleLimit || started == items.Count)
                    {
                        foreach (var open in waiting) open.SetResult();
                        waiting.Clear();
                    }
                }
                await gate.Task;
                return item * 10;
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }, observer, CancellationToken.None);

        Assert.Equal(throttleLimit, maxRunning);
        Assert.Equal(items.Select(i => i * 10), observer.Results.Select(r => r.Result).Order());
        Assert.Empty(observer.Failures);
    }

    [Fact]
    public void ObserverThrowsOnFirstResult_CancelsTheOthers_WaitsForTheirCleanup_AndRethrows()
    {
        string[] items = ["a", "b", "c"];
        var inWork = new Dictionary<string, TaskCompletionSource>
        {
            ["b"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
            ["c"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        var cleanedUp = new ConcurrentDictionary<string, bool>();
        var hostFailure = new InvalidOperationException("the host stops the run");
        var observer = new RecordingObserver<string, string> { OnResult = (_, _) => throw hostFailure };

        var thrown = Assert.Throws<InvalidOperationException>(() => ThrottledRunner.Run(items, 3, async (item, reporter, ct) =>
        {
            if (item == "a")
            {
                // Finish only once the others are in work, so the failing delivery has someone to cancel.
                await Task.WhenAll(inWork.Values.Select(g => g.Task));
                return "a done";
            }
            try
            {
                inWork[item].SetResult();
                await UntilCancelledAsync(ct);
                return item + " done";
            }
            finally
            {
                cleanedUp[item] = ct.IsCancellationRequested;
                reporter.Verbose($"{item} cleaned up");
                reporter.Warning($"{item} warning after the failure");
            }
        }, observer, CancellationToken.None));

        Assert.Same(hostFailure, thrown);
        // Both cleanups ran before Run returned, and both saw a cancelled token.
        Assert.Equal(new Dictionary<string, bool> { ["b"] = true, ["c"] = true }, cleanedUp.ToDictionary());
        // Nothing was delivered after the failing result: not the cleanup messages, no ItemDone, no failure.
        var calls = observer.Calls;
        Assert.Equal(new ObservedCall("Result", Environment.CurrentManagedThreadId, "a a done"), calls[^1]);
        Assert.Single(calls, c => c.Kind == "Result");
        Assert.DoesNotContain(calls, c => c.Kind is "Verbose" or "Warning" or "ItemDone" or "Failure");
        Assert.Empty(observer.Results);
    }

    [Fact]
    public void PreCancelledToken_NoWorkIsCalled_NothingIsDelivered()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var observer = new RecordingObserver<string, string>();
        var workCalls = 0;

        ThrottledRunner.Run(["a", "b", "c"], 2, (item, _, _) =>
        {
            Interlocked.Increment(ref workCalls);
            return Task.FromResult(item);
        }, observer, cts.Token);

        Assert.Equal(0, workCalls);
        Assert.Empty(observer.Calls);
    }

    [Fact]
    public void CancelledDuringTheFirstItem_LaterItemsNeverStart_TheStoppedOneIsNoFailure()
    {
        using var cts = new CancellationTokenSource();
        var observer = new RecordingObserver<string, string>();
        var started = new ConcurrentQueue<string>();

        ThrottledRunner.Run(["a", "b", "c"], 1, (item, _, ct) =>
        {
            started.Enqueue(item);
            cts.Cancel(); // Ctrl+C while the first item is in work
            ct.ThrowIfCancellationRequested();
            return Task.FromResult(item);
        }, observer, cts.Token);

        var first = Assert.Single(started);
        Assert.Empty(observer.Failures);
        Assert.Empty(observer.Results);
        var done = Assert.Single(observer.Done);
        Assert.Equal((first, 1, 3), (done.Item, done.Finished, done.Total));
    }

    [Fact]
    public void OperationCanceledWithoutCancellation_IsDeliveredAsFailure()
    {
        // An HTTP timeout surfaces as TaskCanceledException although nobody cancelled: it is a failure, not a stop.
        var observer = new RecordingObserver<string, string>();

        ThrottledRunner.Run(["a"], 1, (_, _, _) => Task.FromException<string>(new TaskCanceledException("request timed out")), observer, CancellationToken.None);

        var failure = Assert.Single(observer.Failures);
        Assert.Equal("request timed out", Assert.IsType<TaskCanceledException>(failure.Error).Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ThrottleLimitBelowOne_ThrowsArgumentOutOfRange_BeforeAnyWork(int throttleLimit)
    {
        var observer = new RecordingObserver<string, string>();
        var workCalls = 0;

        Assert.Throws<ArgumentOutOfRangeException>(() => ThrottledRunner.Run(["a"], throttleLimit, (item, _, _) =>
        {
            Interlocked.Increment(ref workCalls);
            return Task.FromResult(item);
        }, observer, CancellationToken.None));

        Assert.Equal(0, workCalls);
        Assert.Empty(observer.Calls);
    }

    [Fact]
    public void NoItems_ReturnsWithoutDeliveringAnything()
    {
        var observer = new RecordingObserver<string, string>();

        ThrottledRunner.Run([], 4, (item, _, _) => Task.FromResult(item), observer, CancellationToken.None);

        Assert.Empty(observer.Calls);
    }

    private static async Task UntilCancelledAsync(CancellationToken ct)
    {
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (ct.Register(() => never.TrySetCanceled(ct)))
            await never.Task;
    }
}
