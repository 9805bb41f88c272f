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

    /// <summary>Restore under another name, next to the original.</summary>
    [Parameter]
    [Alias("TargetName")]
    [ValidateNotNullOrEmpty]
    public string? NewName { get; set; }

    /// <summary>Storage pools to use instead of the recorded ones: @{ old = 'new' }.</summary>
    [Parameter]
    public Hashtable? PoolMap { get; set; }

    /// <summary>Networks (NIC network or parent) to use instead of the recorded ones: @{ old = 'new' }.</summary>
    [Parameter]
    public Hashtable? NetworkMap { get; set; }

    /// <summary>Project to restore into instead of the recorded one: @{ old = 'new' }.</summary>
    [Parameter]
    public Hashtable? ProjectMap { get; set; }

    /// <summary>Profiles to apply instead of the recorded ones: @{ old = 'new' }.</summary>
    [Parameter]
    public Hashtable? ProfileMap { get; set; }

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

    /// <summary>Extra request settings of the derived cmdlet (-Start).</summary>
    protected virtual RestoreRequest Customize(RestoreRequest request) => request;

    private string Noun => Kind == BackupKind.Instance ? "instance" : "volume";

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
        if (NewName is not null && _backups.Count > 1)
        {
            ThrowTerminating(new IncusBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"-NewName names one target, but {_backups.Count} backups were given ({string.Join(", ", _backups.Select(b => b.Backup))}).", NewName,
                "Restore one backup at a time when renaming, or filter with Where-Object/-Version."));
        }

        using var server = ConnectIncus();
        var planner = new RestorePlanner(server);
        var approved = new List<RestorePlan>();
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (repository, backup) in _backups)
        {
            RestorePlan plan;
            try
            {
                plan = Await(ct => planner.PlanAsync(repository, Request(backup), Kind, ct));
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
        if (!ShouldProcess($"{target} with {plan.Request.Backup.Version}.{affected}", $"Replace {Noun}")) return false;
        if (Force || ConfirmExplicitlyOff()) return true;
        if (Replace && plan.AffectedInstances.Count == 0) return true;
        try
        {
            return Replace
                ? ShouldContinue($"Replacing {target} stops {running} for the swap; they are started again afterwards. Go ahead?", $"Stop running instances")
                : ShouldContinue(
                    $"{target} exists. Replace it with the backup from {plan.Request.Backup.Version}?{affected} The original is kept until the restored copy is in place.",
                    $"Replace {Noun} {target}");
        }
        catch (Exception e) when (e is PSInvalidOperationException or System.Management.Automation.Host.HostException or NotImplementedException)
        {
            WriteError(new IncusBackupException(ErrorIds.ConfirmationRequired, ErrorKind.InvalidArgument,
                Replace
                    ? $"Replacing {target} would stop running instances ({running}) and this session cannot ask whether to; nothing was changed."
                    : $"{target} exists and this session cannot ask whether to replace it; nothing was changed.", target,
                Replace
                    ? "Add -Force (or -Confirm:$false) to let the replace stop and restart them, or -NewName to restore beside it."
                    : "Add -Replace -Force (or -Confirm:$false) to replace it, or -SkipExisting to leave it, or -NewName to restore beside it.", e));
            return false;
        }
    }

    private RestoreRequest Request(BackupRecord backup) => Customize(new RestoreRequest
    {
        Backup = backup,
        NewName = NewName,
        PoolMap = ToMap(PoolMap, nameof(PoolMap)),
        NetworkMap = ToMap(NetworkMap, nameof(NetworkMap)),
        ProjectMap = ToMap(ProjectMap, nameof(ProjectMap)),
        ProfileMap = ToMap(ProfileMap, nameof(ProfileMap)),
        Conflict = SkipExisting ? ConflictMode.SkipExisting : Replace ? ConflictMode.Replace : ConflictMode.Ask,
    });

    private Dictionary<string, string> ToMap(Hashtable? table, string parameter)
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
