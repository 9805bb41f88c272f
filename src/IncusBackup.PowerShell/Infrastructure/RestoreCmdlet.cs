using System.Collections;
using System.Management.Automation;
using IncusBackup.Errors;
using IncusBackup.Repository;
using IncusBackup.Restore;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// The shared flow of Restore-* cmdlets: find the backups (by name, or piped from Get-IncusBackup), then plan,
/// confirm and run them as one <see cref="RestoreBatch"/>.
/// </summary>
public abstract class RestoreCmdlet : ConnectedCmdlet
{
    protected const string ByNameSet = "ByName";
    protected const string InputObjectSet = "InputObject";

    private readonly List<(IBackupRepository Repository, BackupRecord Backup)> _backups = [];
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
            var ambiguous = query.AmbiguousPrefixes(found).ToList();
            foreach (var (prefix, matches) in ambiguous)
            {
                WriteError(new IncusBackupException(ErrorIds.AmbiguousFingerprint, ErrorKind.InvalidArgument,
                    $"The fingerprint prefix '{prefix}' matches backups of {matches.Count} images: {string.Join(", ", matches.Select(m => m[..Math.Min(12, m.Length)]))}.",
                    prefix, "Give more of the fingerprint (Get-IncusBackup -Kind Image lists them)."));
            }
            if (ambiguous.Count == 0) _backups.AddRange(found.Select(b => (_target, b)));
        }
    }

    protected override void EndProcessing()
    {
        if (_backups.Count == 0) return;
        CheckBatch([.. _backups.Select(b => b.Backup)]);

        using var server = ConnectIncus();
        RestoreBatch.RecoverInterrupted(this, server);
        new RestoreBatch(this, Noun, Force, Replace).Run(
            [.. _backups.Select(b => (b.Repository, Request(b.Backup)))],
            (repository, request, ct) => PlanAsync(server, repository, request, ct),
            ThrottleLimit);
    }


    private RestoreRequest Request(BackupRecord backup) => Customize(new RestoreRequest
    {
        Backup = backup,
        ProjectMap = ToMap(ProjectMap, nameof(ProjectMap)),
        Conflict = SkipExisting ? ConflictMode.SkipExisting : Replace ? ConflictMode.Replace : ConflictMode.Ask,
    });
}
