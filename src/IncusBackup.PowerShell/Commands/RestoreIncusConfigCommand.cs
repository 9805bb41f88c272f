using System.Collections;
using System.Management.Automation;
using IncusBackup.Config;
using IncusBackup.Errors;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Compares a config backup with the server and, with -Apply, makes the server's config what the backup holds:
/// one ConfigChange per project, pool, network, profile and the server keys. Without -Apply nothing changes.
/// </summary>
[Cmdlet(VerbsData.Restore, "IncusConfig", DefaultParameterSetName = LatestSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ConfigChange))]
public sealed class RestoreIncusConfigCommand : ConnectedCmdlet
{
    private const string LatestSet = "Latest";
    private const string InputObjectSet = "InputObject";

    private BackupRecord? _record;

    /// <summary>A config backup, usually from Get-IncusBackup -Kind Config.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public BackupRecord? InputObject { get; set; }

    /// <summary>The config backup to restore (YYYYMMDDThhmmssZ); the newest by default.</summary>
    [Parameter(ParameterSetName = LatestSet)]
    [ArgumentCompleter(typeof(Completers.BackupVersionCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Version { get; set; }

    /// <summary>Change the server. Without it, the changes are only listed.</summary>
    [Parameter]
    public SwitchParameter Apply { get; set; }

    /// <summary>Only these kinds of config.</summary>
    [Parameter]
    [ValidateSet("Project", "StoragePool", "Network", "Profile", "Server")]
    public string[] Kind { get; set; } = [];

    /// <summary>Only the resources with these names (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter]
    public Hashtable? ProjectMap { get; set; }

    [Parameter]
    public Hashtable? PoolMap { get; set; }

    [Parameter]
    public Hashtable? NetworkMap { get; set; }

    [Parameter]
    public Hashtable? ProfileMap { get; set; }

    /// <summary>No questions: networks and storage pools are changed without the extra confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing() => EnsureValidVersion(Version);

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        if (InputObject.Kind != BackupKind.Config)
        {
            WriteError(new IncusBackupException(ErrorIds.BackupKindMismatch, ErrorKind.InvalidArgument,
                $"{InputObject} is not a config backup; pipe it to Restore-Incus{InputObject.Kind}.", InputObject.ToString()));
            return;
        }
        _record = InputObject; // The last one piped wins: config is restored from one backup.
    }

    protected override void EndProcessing()
    {
        IBackupRepository repository;
        BackupRecord record;
        if (_record is not null)
        {
            record = _record;
            repository = AwaitOrStop(_ => Task.FromResult(RepositoryFactory.OpenForRead(record, RepositoryPassword)));
        }
        else if (ParameterSetName == InputObjectSet)
        {
            return;
        }
        else
        {
            repository = OpenRepositoryForRead(ResolveTarget());
            var found = new BackupQuery { Kind = BackupKind.Config, Version = Version }.Apply(ListBackups(repository, BackupKind.Config)).LastOrDefault();
            if (found is null)
            {
                ThrowTerminating(new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                    $"No config backup{(Version is null ? "" : $" with version {Version}")} in {repository.Target}.", Version,
                    "Make one with Backup-IncusConfig, or list them with Get-IncusBackup -Kind Config."));
                return;
            }
            record = found;
        }

        using var server = ConnectIncus();
        var maps = new ConfigMaps
        {
            Projects = ToMap(ProjectMap, nameof(ProjectMap)),
            Pools = ToMap(PoolMap, nameof(PoolMap)),
            Networks = ToMap(NetworkMap, nameof(NetworkMap)),
            Profiles = ToMap(ProfileMap, nameof(ProfileMap)),
        };
        // Nothing is compared, let alone changed, before the files match their checksums.
        var comparisons = AwaitOrStop(ct => ConfigRestoreComparer.CompareAsync(server, repository, record, maps, ct)).Where(Wanted).ToList();
        if (!Apply)
        {
            foreach (var comparison in comparisons) WriteObject(comparison.Change);
            return;
        }
        new ConfigChangeApplier(this, server, Force).Apply(comparisons);
    }

    private bool Wanted(ConfigComparison comparison)
    {
        var change = comparison.Change;
        if (Kind.Length > 0 && !Kind.Contains(change.Kind, StringComparer.OrdinalIgnoreCase)) return false;
        if (Name.Length > 0 && !Name.Any(n => new WildcardPattern(n, WildcardOptions.IgnoreCase).IsMatch(change.Name))) return false;
        return Project is null || change.Project == Project || (change.Kind == nameof(ConfigKind.Project) && change.Name == Project);
    }
}
