using System.Collections;
using System.Management.Automation;
using IncusBackup.Errors;
using IncusBackup.Repository;
using IncusBackup.Restore;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// The shared flow of Restore-* cmdlets, in three phases: on the pipeline thread, find the backups, plan each one
/// (nothing changes yet) and confirm it; then restore the approved ones in parallel (each verified against its
/// checksums first); write the results.
/// </summary>
public abstract class RestoreCmdlet : RepositoryCmdlet
{
    protected const string ByNameSet = "ByName";
    protected const string InputObjectSet = "InputObject";

    private readonly List<(IBackupRepository Repository, BackupRecord Backup)> _backups = [];
    private readonly Dictionary<string, IBackupRepository?> _repositories = new(StringComparer.Ordinal);
    private IBackupRepository? _target;

    /// <summary>Backups to restore, usually from Get-IncusBackup.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public BackupRecord[] InputObject { get; set; } = [];

    /// <summary>The backup version to restore (YYYYMMDDThhmmssZ); the latest by default.</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    [ArgumentCompleter(typeof(Completers.BackupVersionCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Version { get; set; }

    /// <summary>Project to restore into instead of the recorded one: @{ old = 'new' }.</summary>
    [Parameter]
    public Hashtable? ProjectMap { get; set; }

    /// <summary>Replace an existing target without asking whether to (safely: import aside, swap, roll back on failure).</summary>
    [Parameter]
    public SwitchParameter Replace { get; set; }

    /// <summary>Leave existing targets alone and report them as Skipped.</summary>
    [Parameter]
    public SwitchParameter SkipExisting { get; set; }

    /// <summary>No confirmation prompts; permits stopping running instances for a replace.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 2;

    protected abstract BackupKind Kind { get; }

    /// <summary>Names given with -Name, resolved against the repository by the derived cmdlet.</summary>
    protected abstract IEnumerable<BackupQuery> NameQueries();

    /// <summary>Extra request settings of the derived cmdlet (-NewName, mappings, -Start).</summary>
    protected virtual RestoreRequest Customize(RestoreRequest request) => request;

    /// <summary>Checks that need every backup of the run (-NewName names one target).</summary>
    protected virtual void CheckBatch(IReadOnlyList<BackupRecord> backups)
    {
    }

    /// <summary>Plans one restore; instances and volumes share a planner, other kinds bring their own.</summary>
    protected virtual Task<RestorePlan> PlanAsync(Incus.IIncusServer server, IBackupRepository repository, RestoreRequest request, CancellationToken ct) =>
        new RestorePlanner(server).PlanAsync(repository, request, Kind, ct);

    private string Noun => Kind.ToString().ToLowerInvariant();

    protected override void BeginProcessing()
    {
        if (Replace && SkipExisting)
        {
            ThrowTerminating(new IncusBackupException(ErrorIds.ConflictingParameters, ErrorKind.InvalidArgument,
                "-Replace and -SkipExisting contradict each other; use one.", null));
        }
        EnsureValidVersion(Version);
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == InputObjectSet)
        {
            foreach (var record in InputObject)
            {
                if (record.Kind != Kind)
                {
                    WriteError(new IncusBackupException(ErrorIds.BackupKindMismatch, ErrorKind.InvalidArgument,
                        $"{record} is not a {Noun} backup; pipe it to Restore-Incus{record.Kind}.", record.ToString()));
                    continue;
                }
                if (RepositoryOf(record) is { } repository) _backups.Add((repository, record));
            }
            return;
        }
        _target ??= OpenRepositoryForRead(ResolveTarget());
        var all = ListBackups(_target, Kind);
        foreach (var query in NameQueries())
        {
            var found = query.Apply(all).ToList();
            if (found.Count == 0)
            {
                WriteError(new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                    $"No {Noun} backup of '{string.Join(", ", query.Names)}' in project '{query.Project}'{(query.Version is null ? "" : $" with version {query.Version}")} in {_target.Target}.",
                    string.Join(", ", query.Names), "List what is there with Get-IncusBackup."));
                continue;
            }
            _backups.AddRange(found.Select(b => (_target, b)));
        }
    }

    protected override void EndProcessing()
    {
        if (_backups.Count == 0) return;
        CheckBatch([.. _backups.Select(b => b.Backup)]);

        using var server = ConnectIncus();
        var approved = new List<RestorePlan>();
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (repository, backup) in _backups)
        {
            RestorePlan plan;
            try
            {
                plan = Await(ct => PlanAsync(server, repository, Request(backup), ct));
            }
            catch (IncusBackupException e)
            {
                WriteError(e, backup.ToString());
                continue;
            }
            if (!targets.Add(plan.Target.ToString()))
            {
                WriteError(new IncusBackupException(ErrorIds.TargetExists, ErrorKind.InvalidArgument,
                    $"{backup} would restore onto {plan.TargetProject}/{plan.TargetName}, which another backup in this batch already restores to.", backup.ToString()));
                continue;
            }
            if (Confirm(plan)) approved.Add(plan);
        }
        if (approved.Count == 0) return;

        var executor = new RestoreExecutor();
        new ParallelRunner(this, $"Restoring {approved.Count} {Noun}(s)").Run(
            approved, ThrottleLimit,
            (plan, reporter, ct) => executor.ExecuteAsync(plan, reporter, ct),
            (_, result) => WriteObject(result),
            (plan, e) => WriteError(e, plan.Describe),
            PipelineStopToken);
    }

    /// <summary>The repository a piped record lives in (opened once per repository); null after writing why it cannot be read.</summary>
    private IBackupRepository? RepositoryOf(BackupRecord record)
    {
        if (_repositories.TryGetValue(record.Repository, out var known)) return known;
        IBackupRepository? repository = null;
        try
        {
            repository = RepositoryFactory.OpenForRead(record);
        }
        catch (IncusBackupException e)
        {
            WriteError(e, record.ToString());
        }
        _repositories[record.Repository] = repository;
        return repository;
    }

    /// <summary>
    /// -WhatIf lists every step. Otherwise a new target needs ShouldProcess. An existing one also needs an answer
    /// to "replace it?" (given by -Replace) and, when running instances must be stopped for the swap, to "stop
    /// them?"; -Force or -Confirm:$false answer both. A host that cannot ask (pwsh -NonInteractive, a scheduled
    /// job) gets ConfirmationRequired instead of a silent yes.
    /// </summary>
    private bool Confirm(RestorePlan plan)
    {
        if (IsWhatIf())
        {
            foreach (var step in plan.Steps) ShouldProcess(step.Target, step.Action);
            return false;
        }
        if (plan.Skip) return true;
        var first = plan.Steps[0];
        if (!plan.TargetExists) return ShouldProcess(first.Target, first.Action);

        var target = plan.Target.ToString();
        var running = string.Join(", ", plan.AffectedInstances);
        var affected = plan.AffectedInstances.Count == 0 ? "" : $" Running instances stopped for the swap and started again: {running}.";
        if (plan.Conflict is { } conflict)
        {
            // Not "the target exists" but something else in the way (an image alias pointing at another image).
            if (!ShouldProcess($"{conflict}; restore {plan.Request.Backup.Version} over it", plan.ConflictAction ?? $"Replace {Noun}")) return false;
            if (Force || Replace || ConfirmExplicitlyOff()) return true;
            return AskOrRefuse(target, $"{conflict}. Change it to what the backup from {plan.Request.Backup.Version} has?", plan.ConflictAction ?? $"Replace {Noun}",
                $"{conflict} and this session cannot ask whether to change it; nothing was changed.",
                "Add -Replace (or -Force, or -Confirm:$false) to change it, or -SkipExisting to leave it.");
        }
        if (!ShouldProcess($"{target} with {plan.Request.Backup.Version}.{affected}", $"Replace {Noun}")) return false;
        if (Force || ConfirmExplicitlyOff()) return true;
        if (Replace && plan.AffectedInstances.Count == 0) return true;
        return Replace
            ? AskOrRefuse(target, $"Replacing {target} stops {running} for the swap; they are started again afterwards. Go ahead?", "Stop running instances",
                $"Replacing {target} would stop running instances ({running}) and this session cannot ask whether to; nothing was changed.",
                "Add -Force (or -Confirm:$false) to let the replace stop and restart them, or -NewName to restore beside it.")
            : AskOrRefuse(target,
                $"{target} exists. Replace it with the backup from {plan.Request.Backup.Version}?{affected} The original is kept until the restored copy is in place.",
                $"Replace {Noun} {target}",
                $"{target} exists and this session cannot ask whether to replace it; nothing was changed.",
                "Add -Replace -Force (or -Confirm:$false) to replace it, or -SkipExisting to leave it, or -NewName to restore beside it.");
    }

    /// <summary>ShouldContinue; a host that cannot ask gets ConfirmationRequired (and a no).</summary>
    private bool AskOrRefuse(string target, string question, string caption, string cannotAsk, string nextStep)
    {
        try
        {
            return ShouldContinue(question, caption);
        }
        catch (Exception e) when (e is PSInvalidOperationException or System.Management.Automation.Host.HostException or NotImplementedException)
        {
            WriteError(new IncusBackupException(ErrorIds.ConfirmationRequired, ErrorKind.InvalidArgument, cannotAsk, target, nextStep, e));
            return false;
        }
    }

    private RestoreRequest Request(BackupRecord backup) => Customize(new RestoreRequest
    {
        Backup = backup,
        ProjectMap = ToMap(ProjectMap, nameof(ProjectMap)),
        Conflict = SkipExisting ? ConflictMode.SkipExisting : Replace ? ConflictMode.Replace : ConflictMode.Ask,
    });

    protected Dictionary<string, string> ToMap(Hashtable? table, string parameter)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (table is null) return map;
        foreach (DictionaryEntry entry in table)
        {
            var from = LanguagePrimitives.ConvertTo<string>(entry.Key);
            var to = LanguagePrimitives.ConvertTo<string>(entry.Value);
            if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
            {
                ThrowTerminating(new IncusBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                    $"-{parameter} needs old = 'new' pairs of names; '{from}' = '{to}' is not one.", parameter));
            }
            map[from] = to;
        }
        return map;
    }

    private bool IsWhatIf() =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? ((SwitchParameter)w).IsPresent
            : GetVariableValue("WhatIfPreference") is SwitchParameter { IsPresent: true } or true;

    private bool ConfirmExplicitlyOff() =>
        MyInvocation.BoundParameters.TryGetValue("Confirm", out var c) && !((SwitchParameter)c).IsPresent;
}
