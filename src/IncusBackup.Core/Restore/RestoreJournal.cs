using System.Text.Json.Serialization;
using IncusBackup.Backup;
using IncusBackup.Incus;
using IncusBackup.IO;
using IncusBackup.Reporting;

namespace IncusBackup.Restore;

/// <summary>
/// The replace-restores this host has under way: written down before the first change to the server and again before
/// every action of the swap, crossed out when the replace is done or rolled back. A run killed in between (SIGKILL, a
/// crash, the client's power) leaves its entry behind, and the next restore run of the same server finishes the swap
/// or puts the original back, so the temporary names never need an operator's hands.
/// <para>
/// Where: a <see cref="HostJournal"/> named "restores", beside <see cref="FreezeJournal"/>. Not in the repository: a restore only reads it (it may be read-only, remote, or
/// shared by several hosts restoring to different servers), and the run that must recover is the next one on this
/// host, which is where pid + boot id mean anything. Not in the instance's config (user.incusbackup.*): the original
/// and the copy are renamed under it, a volume's config would need its own write, the mark would travel into the
/// next backup of the instance, and writing it before each step would cost a round trip with an ETag each time.
/// </para>
/// <para>
/// A run is dead when its pid is gone or the host has rebooted since. Recovery of one entry decides from the step
/// the dead run had reached (written before that step's action, so the action may or may not have happened) and
/// from which of the three names exist on the server now: N the target's own name, T the temporary copy
/// (<c>-ibnew</c>), R the set-aside original (<c>-ibold</c>). The decision is written into the entry before it is
/// carried out, so a recovery that is itself killed goes on the same way.
/// </para>
/// <code>
/// step reached        what may have happened                        state seen        decision
/// ------------------  --------------------------------------------  ----------------  --------------------------------------
/// upload              T partly or wholly imported, or importing     N, no R           roll back: wait for the recorded import
///                     (its operation id is recorded once accepted)                    operation (bounded), delete T
/// keep, stop          some users stopped (each written down before  N, T, no R        roll back: delete T, start what was
///                     its stop), ephemeral flag of some cleared                       stopped, make ephemeral again
/// retire              N renamed to R, or not yet                    N, no R / R, no N roll back: rename R to N if needed,
///                                                                                     delete T, start what was stopped
/// swap                T renamed to N, or not yet                    R and T, no N     roll back (as retire)
///                                                                   N and R, no T     finish: as "repoint" below
///                                                                   N, no R           roll back (the original is in place)
/// repoint, start,     the restored copy is N; users (volumes) on    N, no T           finish: repoint users of R to N
/// ephemeral, delete   R or partly on N; some started again; R                         (volumes), start what ran before
///                     maybe deleted                                                   (and the target if -Start), make
///                                                                                     ephemeral again, delete R
/// any, in-process     the live run's rollback failed part-way or    N, no R / R, no N roll back (as retire)
/// rollback recorded   was killed
/// anything else       names the dead run cannot have left (someone  -                 change nothing, keep every copy, say
///                     else renamed or deleted one)                                    what is there; the entry is dropped
/// </code>
/// Before the swap the original is always kept: the import may be incomplete and finishing would stop instances the
/// operator was never asked about again. Once the restored copy carries the target's name it is complete (the swap
/// comes after the import finished), so the replace is finished as it would have been. Any failure while
/// recovering is a warning and keeps the entry, so the next run tries again (every action is safe to repeat).
/// </summary>
public sealed class RestoreJournal(string directory)
{
    /// <summary>Runs that already recovered what dead runs left, per connection: once per cmdlet run.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IIncusServer, Task> Swept = new();

    public string Directory { get; } = directory;

    /// <summary>The pid written into entries: this process (tests pretend to be another one, to leave a dead run's entry).</summary>
    internal int ProcessId { get; init; } = Environment.ProcessId;

    /// <summary>The journal of the current user.</summary>
    public static RestoreJournal ForCurrentUser() => new(HostJournal.StateDirectory("restores"));

    /// <summary>Writes down a replace about to start (step "upload"); returns the handle its steps write through.</summary>
    internal RestoreJournalRun Begin(string server, RestorePlan plan)
    {
        var target = plan.Target;
        var entry = new RestoreJournalEntry
        {
            Server = server,
            Kind = target.Kind.ToString(),
            Project = target.Project,
            Pool = target.Kind == BackupKind.Volume ? target.Pool : null,
            Member = target.Member,
            Name = target.Name,
            TemporaryName = plan.TemporaryName!,
            RetiredName = plan.RetiredName!,
            Backup = $"{plan.Request.Backup.Project}/{plan.Request.Backup.Name}@{plan.Request.Backup.Version}",
            StartAgain = [.. plan.StartAgain],
            Ephemeral = [.. plan.EphemeralInstances],
            Step = RestoreSteps.Upload,
            Pid = ProcessId,
            BootId = RunOwner.BootId(),
            StartedAt = DateTimeOffset.UtcNow,
        };
        var path = HostJournal.NewEntryPath(Directory, ProcessId);
        Write(path, entry);
        return new RestoreJournalRun(path, entry);
    }

    /// <summary>Writes an entry whole under a temporary name, flushes it, and renames it into place: never half an entry.</summary>
    internal static void Write(string path, RestoreJournalEntry entry) =>
        HostJournal.Write(path, entry, RestoreJournalJsonContext.Default.RestoreJournalEntry);

    /// <summary>Crosses an entry out (the replace finished or was rolled back).</summary>
    internal static void Remove(string path) => HostJournal.Remove(path);

    /// <summary>Once per connection: recovers the replaces of this server that dead runs left half-done.</summary>
    public Task RecoverOnceAsync(IIncusServer server, IReporter reporter, CancellationToken ct) =>
        HostJournal.OnceAsync(Swept, server, () => RecoverAsync(server, reporter, ct));

    /// <summary>
    /// Finishes or rolls back every replace of this server that a dead run left (see the decision table above), with
    /// a warning for each saying what was done. <paramref name="dryRun"/> (-WhatIf) only says what would be.
    /// </summary>
    public async Task RecoverAsync(IIncusServer server, IReporter reporter, CancellationToken ct, bool dryRun = false)
    {
        var paths = HostJournal.EntryPaths(Directory);
        if (paths.Count == 0) return;
        var name = await FreezeJournal.ServerNameAsync(server, ct).ConfigureAwait(false);
        foreach (var path in paths)
        {
            if (Read(path) is not { } peek || peek.Server != name || !RunOwner.IsDead(peek.Pid, peek.BootId)) continue;
            // Two runs starting at once must not both recover the same entry: the first to lock it does.
            using var claim = TryClaim(path);
            if (claim is null || Read(path) is not { } entry) continue;
            if (dryRun)
            {
                reporter.Warning($"A restore of {Describe(entry)} (pid {entry.Pid}) was stopped at step '{entry.Step}'; the next restore run without -WhatIf finishes or rolls it back.");
                continue;
            }
            await new RestoreRecovery(server, reporter, path, entry).RunAsync(ct).ConfigureAwait(false);
            Remove(path + ".lock");
        }
    }

    internal static string Describe(RestoreJournalEntry entry) =>
        entry.Pool is null ? $"{entry.Project}/{entry.Name}" : $"{entry.Project}/{entry.Pool}/{entry.Name}";

    private static FileStream? TryClaim(string path)
    {
        try
        {
            // FileShare.None takes an advisory lock on Unix; the kernel drops it when its holder dies.
            return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    internal static RestoreJournalEntry? Read(string path) => HostJournal.Read(path, RestoreJournalJsonContext.Default.RestoreJournalEntry);
}

/// <summary>The names of the steps a replace writes into its journal entry (the undo log's action names, and "delete").</summary>
internal static class RestoreSteps
{
    public const string Upload = "upload";
    public const string Keep = "keep";
    public const string Stop = "stop";
    public const string Retire = "retire";
    public const string Swap = "swap";
    public const string Repoint = "repoint";
    public const string ReleaseAddresses = "release-addresses";
    public const string Start = "start";
    public const string Ephemeral = "ephemeral";
    public const string Delete = "delete";

    /// <summary>Steps before the swap: the original is still the one to keep.</summary>
    public static bool BeforeSwap(string step) => step is Upload or Keep or Stop or Retire;

    /// <summary>Steps after the swap: the restored copy carries the target's name.</summary>
    public static bool AfterSwap(string step) => step is Repoint or ReleaseAddresses or Start or Ephemeral or Delete;
}

/// <summary>One replace under way, as the executor and its steps write it down.</summary>
internal sealed class RestoreJournalRun(string path, RestoreJournalEntry entry)
{
    public string Path { get; } = path;

    /// <summary>Writes down the step about to run (before its action).</summary>
    public void Reach(string step)
    {
        if (entry.Step == step) return;
        entry.Step = step;
        RestoreJournal.Write(Path, entry);
    }

    /// <summary>Writes down an instance about to be stopped for the swap (and then the step).</summary>
    public void Stopping(string instance, string step)
    {
        if (!entry.Stopped.Contains(instance)) entry.Stopped.Add(instance);
        entry.Step = step;
        RestoreJournal.Write(Path, entry);
    }

    /// <summary>Writes down the import operation the server accepted, so that a recovery can wait for it.</summary>
    public void Accepted(string operation)
    {
        entry.Operation = operation;
        RestoreJournal.Write(Path, entry);
    }

    /// <summary>Writes down that the run is rolling back (a failure, or Ctrl+C). Best effort: the rollback must run anyway.</summary>
    public void RollingBack()
    {
        entry.Recovery = RestoreJournalEntry.RollBack;
        try
        {
            RestoreJournal.Write(Path, entry);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The entry still names the step reached, which decides the same way for every step before the swap.
        }
    }

    public void Complete() => RestoreJournal.Remove(Path);
}

/// <summary>
/// One replace-restore under way: the target, the temporary names, the instances it stopped (written before each
/// stop) and starts again after the swap, the step reached, and the run (pid, boot) doing it.
/// </summary>
public sealed class RestoreJournalEntry
{
    public const string RollBack = "rollback";
    public const string Finish = "finish";

    public string Server { get; set; } = "";

    /// <summary>Instance or Volume.</summary>
    public string Kind { get; set; } = "";
    public string Project { get; set; } = "";

    /// <summary>The volume's pool; null for instances.</summary>
    public string? Pool { get; set; }

    /// <summary>The cluster member the restore was aimed at; null when standalone or left to the cluster.</summary>
    public string? Member { get; set; }
    public string Name { get; set; } = "";
    public string TemporaryName { get; set; } = "";
    public string RetiredName { get; set; } = "";

    /// <summary>The backup being restored (for messages).</summary>
    public string Backup { get; set; } = "";

    /// <summary>Instances (project/name) the run stopped, or was about to stop, for the swap.</summary>
    public List<string> Stopped { get; set; } = [];

    /// <summary>Instances (project/name) started after the swap: those that ran, and the target when -Start asked.</summary>
    public List<string> StartAgain { get; set; } = [];

    /// <summary>The ephemeral ones among the instances stopped: made ephemeral again once started.</summary>
    public List<string> Ephemeral { get; set; } = [];

    /// <summary>The step about to run, or running, when the entry was last written.</summary>
    public string Step { get; set; } = "";

    /// <summary>The import operation the server accepted, once it did.</summary>
    public string? Operation { get; set; }

    /// <summary>Null while the replace goes forward; "rollback" or "finish" once a rollback or a recovery decided.</summary>
    public string? Recovery { get; set; }

    public int Pid { get; set; }
    public string BootId { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(RestoreJournalEntry))]
internal sealed partial class RestoreJournalJsonContext : JsonSerializerContext;
