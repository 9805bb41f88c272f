using System.Text.Json.Serialization;
using IncusBackup.Incus;
using IncusBackup.IO;
using IncusBackup.Reporting;

namespace IncusBackup.Backup;

/// <summary>
/// The instances this host froze for a backup: written down before the freeze and crossed out after the thaw, so
/// that a run killed in between (SIGKILL, a crash, the client's power) does not leave them frozen for good; the
/// next backup run thaws what a dead run froze. A host-local file per freeze (the thaw is the client's job, and
/// a mark on the instance itself would travel inside its own backup): a <see cref="HostJournal"/> named "frozen".
/// </summary>
public sealed class FreezeJournal(string directory)
{
    /// <summary>Runs that already looked for what dead runs left frozen, per connection: once per cmdlet run.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IIncusServer, Task> Swept = new();

    public string Directory { get; } = directory;

    /// <summary>The journal of the current user.</summary>
    public static FreezeJournal ForCurrentUser() => new(HostJournal.StateDirectory("frozen"));

    /// <summary>Writes down that this process is about to freeze an instance; returns the entry to cross out after the thaw.</summary>
    public string Add(string server, IncusInstance instance)
    {
        var path = HostJournal.NewEntryPath(Directory, Environment.ProcessId);
        // Flushed before the freeze that follows: the freeze must not outlive the note.
        HostJournal.Write(path, new FreezeEntry(server, instance.Project, instance.Name, Environment.ProcessId, RunOwner.BootId(), DateTimeOffset.UtcNow),
            FreezeJournalJsonContext.Default.FreezeEntry);
        return path;
    }

    /// <summary>Crosses an entry out (the instance was thawed, or never frozen).</summary>
    public static void Remove(string entry) => HostJournal.Remove(entry);

    /// <summary>Once per connection: thaws the instances of this server that dead runs froze and never thawed.</summary>
    public Task ThawLeftoversOnceAsync(IIncusServer server, IReporter reporter, CancellationToken ct) =>
        HostJournal.OnceAsync(Swept, server, () => ThawLeftoversAsync(server, reporter, ct));

    /// <summary>Thaws the instances of this server that dead runs froze; drops their entries once nothing is left to do.</summary>
    public async Task ThawLeftoversAsync(IIncusServer server, IReporter reporter, CancellationToken ct)
    {
        var paths = HostJournal.EntryPaths(Directory);
        if (paths.Count == 0) return;
        var name = await ServerNameAsync(server, ct).ConfigureAwait(false);
        foreach (var path in paths)
        {
            if (HostJournal.Read(path, FreezeJournalJsonContext.Default.FreezeEntry) is not { } entry
                || entry.Server != name || !RunOwner.IsDead(entry.Pid, entry.BootId)) continue;
            IncusInstance? instance;
            try
            {
                instance = await server.Instances.TryGetAsync(entry.Project, entry.Name, ct).ConfigureAwait(false);
            }
            catch (IncusApiException e) when (e.StatusCode == 404)
            {
                instance = null; // Its project is gone, and the instance with it.
            }
            if (instance?.Status == InstanceStatus.Frozen)
            {
                try
                {
                    await server.Instances.ChangeStateAsync(entry.Project, entry.Name, InstanceAction.Unfreeze, ct).ConfigureAwait(false);
                    reporter.Warning($"Thawed {entry.Project}/{entry.Name}: a backup run (pid {entry.Pid}) froze it at {entry.FrozenAt:u} and was stopped before it could thaw it.");
                }
                catch (IncusApiException e)
                {
                    reporter.Warning($"{entry.Project}/{entry.Name} was left frozen by a backup run that was stopped (pid {entry.Pid}), and could not be thawed: {e.Message}. Run: incus start {entry.Name} --project {entry.Project}");
                    continue;
                }
            }
            Remove(path);
        }
    }

    /// <summary>What identifies a server in the journal: its name (the host name of a standalone server).</summary>
    public static async Task<string> ServerNameAsync(IIncusServer server, CancellationToken ct) =>
        (await server.GetServerAsync(ct).ConfigureAwait(false)).Environment.ServerName ?? "";

}

/// <summary>One freeze: which instance of which server, and the run (pid, boot) that froze it.</summary>
public sealed record FreezeEntry(string Server, string Project, string Name, int Pid, string BootId, DateTimeOffset FrozenAt);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(FreezeEntry))]
internal sealed partial class FreezeJournalJsonContext : JsonSerializerContext;
