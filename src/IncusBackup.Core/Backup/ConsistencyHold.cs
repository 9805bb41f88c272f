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
/// </summary>
internal sealed class ConsistencyHold : IAsyncDisposable
{
    private readonly IIncusServer _server;
    private readonly IReporter _reporter;
    private readonly List<IncusInstance> _frozen = [];
    private readonly int _writers;
    private bool _failed;

    private ConsistencyHold(IIncusServer server, IReporter reporter, int writers)
    {
        _server = server;
        _reporter = reporter;
        _writers = writers;
    }

    /// <summary>Frozen (held still by us or already frozen), Stopped (nothing was running), or None (freezing failed).</summary>
    public string Consistency => _failed ? "None" : _writers > 0 ? "Frozen" : "Stopped";

    /// <summary>A hold that holds nothing: -NoSnapshot.</summary>
    public static ConsistencyHold None(IIncusServer server, IReporter reporter) => new(server, reporter, 0);

    /// <summary>Freezes every running writer; one that cannot be frozen is backed up live, with a warning.</summary>
    public static async Task<ConsistencyHold> FreezeAsync(IIncusServer server, IReadOnlyList<IncusInstance> writers, IReporter reporter, CancellationToken ct)
    {
        var hold = new ConsistencyHold(server, reporter, writers.Count(w => w.IsActive));
        foreach (var instance in writers.Where(i => i.Status == InstanceStatus.Running))
        {
            try
            {
                await server.Instances.ChangeStateAsync(instance.Project, instance.Name, InstanceAction.Freeze, ct).ConfigureAwait(false);
                hold._frozen.Add(instance);
                reporter.Verbose($"Froze {instance.Project}/{instance.Name} while the server reads it.");
            }
            catch (IncusApiException e)
            {
                hold._failed = true;
                reporter.Warning($"Could not freeze {instance.Project}/{instance.Name} ({e.Message}); backing it up live.");
            }
            catch
            {
                await hold.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        return hold;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _frozen)
        {
            try
            {
                // Never cancelled: an instance must not stay frozen because the user pressed Ctrl+C.
                await _server.Instances.ChangeStateAsync(instance.Project, instance.Name, InstanceAction.Unfreeze, CancellationToken.None).ConfigureAwait(false);
                _reporter.Verbose($"Thawed {instance.Project}/{instance.Name}.");
            }
            catch (IncusBackupException e)
            {
                _reporter.Warning($"Could not unfreeze {instance.Project}/{instance.Name}: {e.Message}. Run: incus start {instance.Name} --project {instance.Project}");
            }
        }
        _frozen.Clear();
    }
}
