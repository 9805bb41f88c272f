using System.Management.Automation;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Reporting;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// The shared flow of Backup-* cmdlets, in three phases: plan and confirm on the pipeline thread (names resolved,
/// ShouldProcess per item, target checked), back up in parallel on workers, write results back on the pipeline
/// thread. A kind supplies how names resolve and how one item is backed up.
/// </summary>
public abstract class BackupCmdlet<TSource> : ConnectedCmdlet where TSource : notnull
{
    protected const string ByNameSet = "ByName";
    protected const string AllSet = "All";

    /// <summary>Back up everything of this kind (in -Project, or everywhere with -AllProjects).</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    /// <summary>Look in every project.</summary>
    [Parameter]
    public SwitchParameter AllProjects { get; set; }

    /// <summary>How many backups run at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 2;

    /// <summary>"instance", "volume", "image", for messages.</summary>
    protected abstract string KindNoun { get; }

    protected abstract BackupKind Kind { get; }

    protected abstract string NotFoundErrorId { get; }

    /// <summary>Create the repository first when it does not exist yet (a restic repository is never created without it).</summary>
    [Parameter]
    public SwitchParameter Initialize { get; set; }

    /// <summary>Names gathered from parameters and the pipeline, with the project and pool bound alongside each.</summary>
    private List<(string? Project, string? Pool, string Name)> Requested { get; } = [];

    /// <summary>Resolves names (empty: all) in one project (null: all) and pool (null: all).</summary>
    protected abstract Task<Selection<TSource>> SelectAsync(ResourceSelector selector, IReadOnlyList<string> names, string? project, string? pool, CancellationToken ct);

    /// <summary>How one source is backed up, on a worker.</summary>
    protected abstract Func<TSource, IReporter, CancellationToken, Task<BackupRecord>> Worker(IIncusServer server, IBackupRepository repository);

    /// <summary>Bytes the repository must have room for; a floor unless the kind knows better.</summary>
    protected virtual Task<long> EstimateSizeAsync(IIncusServer server, TSource source, CancellationToken ct) => Task.FromResult(BackupEngine.MinimumFreeBytes);

    protected override void EndProcessing()
    {
        var target = ResolveTarget();
        using var server = ConnectIncus();
        var selector = new ResourceSelector(server);
        var selection = SelectOrThrow(selector);
        foreach (var problem in selection.Problems) WriteError(problem);
        WriteNotFound(selector, selection.Missing);
        foreach (var pattern in selection.Empty)
            WriteWarning($"No {KindNoun} matches '{pattern}'.");

        var approved = selection.Targets
            .Where(t => ShouldProcess($"{t} -> {target}", $"Back up {KindNoun}"))
            .ToList();
        var extra = PlanExtra(server, selection.Targets, target);
        if (approved.Count == 0 && extra.Count == 0) return;

        var repository = OpenRepositoryForWrite(target, Initialize);
        using var hold = HoldShared(repository);
        // One request per source, all at once: in series they cost a round trip each before any backup starts.
        var estimate = Await(async ct => (await Task.WhenAll(approved.Select(t => EstimateSizeAsync(server, t, ct))).ConfigureAwait(false)).Sum())
            + extra.Sum(e => e.EstimatedBytes);
        try
        {
            repository.EnsureFreeSpace(estimate, $"{approved.Count + extra.Count} backup(s)");
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
        }

        new ParallelRunner(this, $"Backing up {approved.Count} {KindNoun}(s) to {target}").Run(
            approved, ThrottleLimit, Worker(server, repository),
            (_, record) => WriteObject(record),
            (source, e) => WriteError(e, source.ToString()),
            PipelineStopToken);
        new ParallelRunner(this, $"Backing up {extra.Count} more item(s) to {target}").Run(
            extra, ThrottleLimit, (item, reporter, ct) => item.Run(repository, reporter, ct),
            (_, record) => WriteObject(record),
            (item, e) => WriteError(e, item.Name),
            PipelineStopToken);
    }

    /// <summary>
    /// What else the run backs up along with the selected sources (the images of the instances, with -Images),
    /// each already approved through ShouldProcess; none by default.
    /// </summary>
    protected virtual IReadOnlyList<BackupItem> PlanExtra(IIncusServer server, IReadOnlyList<TSource> selected, Configuration.RepositoryTarget target) => [];

    /// <summary>Records a name from a parameter or the pipeline, with the project and pool bound with it.</summary>
    protected void Request(IEnumerable<string> names, string? pool)
    {
        foreach (var name in names) Requested.Add((AllProjects ? null : ProjectOrDefault, pool, name));
    }

    /// <summary>One error per name that matched nothing, saying where else that name exists, if anywhere.</summary>
    protected virtual void WriteNotFound(ResourceSelector selector, IReadOnlyList<(string? Project, string Name)> missing)
    {
        if (missing.Count == 0) return;
        var names = missing.Select(m => m.Name).Distinct().ToList();
        var elsewhere = Await(ct => selector.FindElsewhereAsync(names, Kind, null, ct));
        // A volume record piped to Backup-IncusInstance (or the other way round) names a resource of the other kind.
        var otherKind = Kind == BackupKind.Instance ? BackupKind.Volume : BackupKind.Instance;
        var ofOtherKind = Await(ct => selector.FindElsewhereAsync(names.Select(n => n.Contains('/') && otherKind == BackupKind.Instance ? n[(n.IndexOf('/') + 1)..] : n).ToList(), otherKind, null, ct));
        foreach (var (project, name) in missing)
        {
            var shown = project is null ? name : $"{project}/{name}";
            var others = elsewhere.GetValueOrDefault(name, []).Where(p => p != project).ToList();
            var bare = name.Contains('/') && otherKind == BackupKind.Instance ? name[(name.IndexOf('/') + 1)..] : name;
            if (others.Count == 0 && ofOtherKind.GetValueOrDefault(bare, []).Any(p => project is null || p == project))
            {
                var cmdlet = otherKind == BackupKind.Instance ? "Backup-IncusInstance" : "Backup-IncusVolume";
                WriteError(new IncusBackupException(NotFoundErrorId, ErrorKind.NotFound,
                    $"No {KindNoun} named '{name}'{(project is null ? "" : $" in project '{project}'")}: '{bare}' is {(otherKind == BackupKind.Instance ? "an instance" : "a custom volume")}.",
                    shown, $"Back it up with {cmdlet} (a record of Get-IncusBackup goes to the cmdlet of its Kind)."));
                continue;
            }
            WriteError(new IncusBackupException(NotFoundErrorId, ErrorKind.NotFound,
                others.Count == 0
                    ? $"No {KindNoun} named '{name}' was found{(project is null ? "" : $" in project '{project}'")}."
                    : $"No {KindNoun} named '{name}' in project '{project}'; there is one in project {string.Join(", ", others.Select(o => $"'{o}'"))}.",
                shown,
                others.Count == 0
                    ? $"List them with: incus {(Kind == BackupKind.Instance ? "list" : "storage volume list")} --all-projects"
                    : $"Add -Project {others[0]} (or -AllProjects)."));
        }
    }

    /// <summary>The sources, the names that matched nothing (with the project they were looked for in), the empty wildcards and other problems.</summary>
    private (IReadOnlyList<TSource> Targets, List<(string? Project, string Name)> Missing, List<string> Empty, List<IncusBackupException> Problems) SelectOrThrow(ResourceSelector selector)
    {
        if (All)
        {
            var all = AwaitOrStop(ct => SelectAsync(selector, [], AllProjects ? null : ProjectOrDefault, null, ct));
            return (all.Targets, [], [.. all.EmptyPatterns], [.. all.Problems]);
        }
        var targets = new List<TSource>();
        var missing = new List<(string? Project, string Name)>();
        var empty = new List<string>();
        var problems = new List<IncusBackupException>();
        foreach (var group in Requested.GroupBy(r => (r.Project, r.Pool)))
        {
            var selection = AwaitOrStop(ct => SelectAsync(selector, group.Select(r => r.Name).ToList(), group.Key.Project, group.Key.Pool, ct));
            targets.AddRange(selection.Targets.Where(t => !targets.Contains(t)));
            missing.AddRange(selection.Missing.Select(m => (group.Key.Project, m)));
            empty.AddRange(selection.EmptyPatterns);
            problems.AddRange(selection.Problems);
        }
        return (targets, missing, empty, problems);
    }
}
