using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Reporting;

namespace IncusBackup.Restore;

/// <summary>
/// Recovers one replace that a dead run left half-done, by the decision table of <see cref="RestoreJournal"/>: rolls
/// it back (the original under its own name, what was stopped started again, the temporary copy deleted) or finishes
/// it (the restored copy stays, what ran is started again, the set-aside original deleted). Never deletes a copy
/// while the other is missing from its place.
/// </summary>
internal sealed class RestoreRecovery(IIncusServer server, IReporter reporter, string path, RestoreJournalEntry entry)
{
    private readonly IRestoreStrategy _strategy = RestoreStrategies.For(Enum.Parse<BackupKind>(entry.Kind), server, entry.Member);
    private readonly List<string> _started = [];

    private RestoreTarget Target => new(_strategy.Kind, entry.Project, entry.Pool, entry.Name, entry.Member);
    private string Display => RestoreJournal.Describe(entry);
    private string Prefix => entry.Pool is null ? entry.Project : $"{entry.Project}/{entry.Pool}";
    private string Run => $"a restore of {Display} from {entry.Backup} (pid {entry.Pid}, started {entry.StartedAt:u})";

    public async Task RunAsync(CancellationToken ct)
    {
        string decision;
        try
        {
            if (entry.Step == RestoreSteps.Upload && entry.Recovery is null && entry.Operation is { } operation && !await ImportEndedAsync(operation).ConfigureAwait(false))
            {
                reporter.Warning($"{Capital(Run)} was stopped while the server imported {Prefix}/{entry.TemporaryName}; the import still runs, so it is left for the next restore run to clean up.");
                return;
            }
            var n = await _strategy.ExistsAsync(Target, ct).ConfigureAwait(false);
            var t = await _strategy.ExistsAsync(Target.Named(entry.TemporaryName), ct).ConfigureAwait(false);
            var r = await _strategy.ExistsAsync(Target.Named(entry.RetiredName), ct).ConfigureAwait(false);
            decision = Decide(entry, n, t, r);
            if (decision == Manual)
            {
                var present = new[] { (n, entry.Name), (t, entry.TemporaryName), (r, entry.RetiredName) }.Where(p => p.Item1).Select(p => $"{Prefix}/{p.Item2}").ToList();
                reporter.Warning($"{Capital(Run)} was stopped at step '{entry.Step}', and the server now has {(present.Count == 0 ? "none of its names" : string.Join(", ", present))}, which that run cannot have left; nothing was changed. Check them by hand and keep the copy you want under the name {entry.Name}.");
                RestoreJournal.Remove(path);
                return;
            }
            entry.Recovery = decision;
            RestoreJournal.Write(path, entry);
            if (decision == RestoreJournalEntry.RollBack) await RollBackAsync(n, r, ct).ConfigureAwait(false);
            else await FinishAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IncusBackupException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            reporter.Warning($"{Capital(Run)} was stopped at step '{entry.Step}' and could not be recovered yet ({e.Message}); the next restore run tries again.");
            return;
        }
        RestoreJournal.Remove(path);
        var started = _started.Count == 0 ? "" : $"; started again: {string.Join(", ", _started)}";
        reporter.Warning(decision == RestoreJournalEntry.RollBack
            ? $"Put the original {_strategy.Noun} {Display} back: {Run} was stopped at step '{entry.Step}' before the restored copy was in place; deleted the temporary copy {Prefix}/{entry.TemporaryName}{started}. Run the restore again to replace it."
            : $"Finished replacing {Display} with {entry.Backup}: {Run} was stopped at step '{entry.Step}' after the restored copy was in place; deleted the original {Prefix}/{entry.RetiredName}{started}.");
    }

    private const string Manual = "manual";

    /// <summary>The decision table of <see cref="RestoreJournal"/>: from the step reached and which names exist (N, T, R).</summary>
    internal static string Decide(RestoreJournalEntry entry, bool n, bool t, bool r)
    {
        var originalInPlace = n && !r;
        var originalAside = !n && r;
        var copyInPlace = n && !t;
        return entry.Recovery switch
        {
            RestoreJournalEntry.RollBack => originalInPlace || originalAside ? RestoreJournalEntry.RollBack : Manual,
            RestoreJournalEntry.Finish => copyInPlace ? RestoreJournalEntry.Finish : Manual,
            _ when RestoreSteps.BeforeSwap(entry.Step) => originalInPlace || originalAside ? RestoreJournalEntry.RollBack : Manual,
            _ when entry.Step == RestoreSteps.Swap => originalAside && t ? RestoreJournalEntry.RollBack
                : n && r && !t ? RestoreJournalEntry.Finish
                : originalInPlace ? RestoreJournalEntry.RollBack
                : Manual,
            _ when RestoreSteps.AfterSwap(entry.Step) => copyInPlace ? RestoreJournalEntry.Finish : Manual,
            _ => Manual,
        };
    }

    /// <summary>The original back under its name, the temporary copy deleted, what was stopped started (and made ephemeral) again.</summary>
    private async Task RollBackAsync(bool n, bool r, CancellationToken ct)
    {
        if (!n && r) await _strategy.RenameAsync(Target.Named(entry.RetiredName), entry.Name, ct).ConfigureAwait(false);
        await _strategy.DeleteAsync(Target.Named(entry.TemporaryName)).ConfigureAwait(false);
        foreach (var instance in entry.Stopped)
            await StartAgainAsync(instance, entry.Ephemeral.Contains(instance), ct).ConfigureAwait(false);
    }

    /// <summary>The restored copy stays: users repointed to it (volumes), what ran started again, the original deleted.</summary>
    private async Task FinishAsync(CancellationToken ct)
    {
        foreach (var action in _strategy.AfterSwap(Target, entry.RetiredName))
            await action.Run(ct).ConfigureAwait(false);
        foreach (var instance in entry.StartAgain)
        {
            // The restored instance brings its own ephemeral flag; an instance that only used the volume gets its own back.
            await StartAgainAsync(instance, entry.Ephemeral.Contains(instance) && instance != Target.ToString(), ct).ConfigureAwait(false);
        }
        await _strategy.DeleteAsync(Target.Named(entry.RetiredName)).ConfigureAwait(false);
    }

    private async Task StartAgainAsync(string instance, bool ephemeral, CancellationToken ct)
    {
        var slash = instance.IndexOf('/');
        var (project, name) = (instance[..slash], instance[(slash + 1)..]);
        var current = await server.Instances.TryGetAsync(project, name, ct).ConfigureAwait(false);
        if (current is null) return;
        if (current.Status == InstanceStatus.Stopped)
        {
            await InstancePower.StartAsync(server, project, name, ct).ConfigureAwait(false);
            _started.Add(instance);
        }
        if (ephemeral) await InstancePower.SetEphemeralAsync(server, project, name, true, ct).ConfigureAwait(false);
    }

    /// <summary>Waits (bounded) for the dead run's import to end; false when it still runs.</summary>
    private async Task<bool> ImportEndedAsync(string operation)
    {
        using var limit = new CancellationTokenSource(InstancePower.CleanupLimit);
        try
        {
            await server.Operations.WaitAsync(operation, null, limit.Token).ConfigureAwait(false);
        }
        catch (IncusBackupException)
        {
            // Failed (nothing was created), or ended and already forgotten by the server.
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        return true;
    }

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
