using System.Collections.Concurrent;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Reporting;

namespace IncusBackup.Backup;

/// <summary>
/// Instances frozen for one export; disposing thaws them, even when the export was cancelled.
/// The spec asks for "a temporary snapshot, exported, then removed". Incus cannot export a single snapshot, and a
/// temporary snapshot would end up inside the archive (every backup carries all snapshots), where a restore would
/// bring it back as a surprise. On a dir pool the server reads the live filesystem. So the running writers are
/// frozen (cgroup freezer: processes stop, nothing in memory is lost) only while the server reads the source,
/// and thawed the moment it is done: the archive holds one point in time, without any trace of our own.
/// Parallel backups can need the same instance frozen at once (an instance and the volume it writes to): holds
/// are counted per instance, so the first freezes it and only the last thaws it.
/// </summary>
internal sealed class ConsistencyHold : IAsyncDisposable
{
    /// <summary>The holds of each connection's workers (one cmdlet run shares one connection), by instance.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IIncusServer, ConcurrentDictionary<string, Holders>> Registry = new();

    private readonly IIncusServer _server;
    private readonly IReporter _reporter;
    private readonly List<IncusInstance> _held = [];
    private readonly int _writers;
    private bool _failed;
    private CancellationTokenSource? _limit;

    private ConsistencyHold(IIncusServer server, IReporter reporter, int writers)
    {
        _server = server;
        _reporter = reporter;
        _writers = writers;
    }

    /// <summary>Frozen (held still by us or already frozen), Stopped (nothing was running), or None (freezing failed).</summary>
    public string Consistency => _failed ? "None" : _writers > 0 ? "Frozen" : "Stopped";

    /// <summary>Cancelled once the instances have been held frozen for the limit given to <see cref="FreezeAsync"/>.</summary>
    public CancellationToken Expired => _limit?.Token ?? CancellationToken.None;

    /// <summary>The limit <see cref="Expired"/> counts, when there is one.</summary>
    public TimeSpan? Limit { get; private set; }

    /// <summary>A hold that holds nothing: -NoSnapshot.</summary>
    public static ConsistencyHold None(IIncusServer server, IReporter reporter) => new(server, reporter, 0);

    /// <summary>
    /// Freezes every active writer (or joins a hold already on it); one that cannot be frozen is backed up live, with
    /// a warning. Each freeze is written in <paramref name="journal"/> first, so a killed run's freezes are found again.
    /// </summary>
    public static async Task<ConsistencyHold> FreezeAsync(IIncusServer server, IReadOnlyList<IncusInstance> writers, IReporter reporter,
        FreezeJournal? journal, string serverName, CancellationToken ct, TimeSpan? limit = null)
    {
        var active = writers.Where(w => w.IsActive).ToList();
        var hold = new ConsistencyHold(server, reporter, active.Count);
        if (limit is { } l && active.Count > 0)
        {
            // Counted from before the first freeze: the longest any of them can be held by this backup.
            hold._limit = new CancellationTokenSource(l);
            hold.Limit = l;
        }
        foreach (var instance in active)
        {
            var holders = Registry.GetOrCreateValue(server).GetOrAdd(Key(instance), _ => new Holders());
            await holders.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (holders.Count == 0)
                {
                    // Freeze only a running instance: one frozen by someone else stays theirs to thaw.
                    if (instance.Status == InstanceStatus.Running)
                    {
                        holders.JournalEntry = journal?.Add(serverName, instance);
                        try
                        {
                            await server.Instances.ChangeStateAsync(instance.Project, instance.Name, InstanceAction.Freeze, ct).ConfigureAwait(false);
                        }
                        catch
                        {
                            holders.CrossOut();
                            throw;
                        }
                        holders.FrozenByUs = true;
                        holders.FrozenFor.Restart();
                        reporter.Verbose($"Froze {instance.Project}/{instance.Name} while the server reads it.");
                    }
                }
                holders.Count++;
                hold._held.Add(instance);
            }
            catch (IncusApiException e)
            {
                hold._failed = true;
                reporter.Warning($"Could not freeze {instance.Project}/{instance.Name} ({e.Message}); backing it up live.");
            }
            catch
            {
                holders.Gate.Release();
                await hold.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            holders.Gate.Release();
        }
        return hold;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _held)
        {
            var holders = Registry.GetOrCreateValue(_server)[Key(instance)];
            // Never cancelled: an instance must not stay frozen because the user pressed Ctrl+C.
            await holders.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (--holders.Count > 0 || !holders.FrozenByUs) continue;
                holders.FrozenByUs = false;
                await _server.Instances.ChangeStateAsync(instance.Project, instance.Name, InstanceAction.Unfreeze, CancellationToken.None).ConfigureAwait(false);
                holders.CrossOut();
                _reporter.Verbose($"Thawed {instance.Project}/{instance.Name} after {holders.FrozenFor.Elapsed.TotalSeconds:0.00} s frozen.");
            }
            catch (IncusBackupException e)
            {
                _reporter.Warning($"Could not unfreeze {instance.Project}/{instance.Name}: {e.Message}. Run: incus start {instance.Name} --project {instance.Project}");
            }
            finally
            {
                holders.Gate.Release();
            }
        }
        _held.Clear();
        // Stopped, not disposed: whether it expired is still asked after the thaw, to say why the export stopped.
        _limit?.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    private static string Key(IncusInstance instance) => $"{instance.Project}/{instance.Name}";

    /// <summary>How many holds one instance has, and whether it is frozen because of them.</summary>
    private sealed class Holders
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public int Count { get; set; }
        public bool FrozenByUs { get; set; }

        /// <summary>How long the instance has been frozen: the pause its users feel, for -Verbose.</summary>
        public System.Diagnostics.Stopwatch FrozenFor { get; } = new();

        /// <summary>The journal entry of the freeze; kept when the thaw fails, so that a later run thaws it.</summary>
        public string? JournalEntry { get; set; }

        public void CrossOut()
        {
            if (JournalEntry is not null) FreezeJournal.Remove(JournalEntry);
            JournalEntry = null;
        }
    }
}
