using System.Management.Automation;
using IncusBackup.Errors;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Commands;

/// <summary>Lists the complete backups in a repository, filtered by kind, name, project, pool, version and time.</summary>
[Cmdlet(VerbsCommon.Get, "IncusBackup")]
[OutputType(typeof(BackupRecord))]
public sealed class GetIncusBackupCommand : RepositoryCmdlet
{
    [Parameter]
    public BackupKind? Kind { get; set; }

    /// <summary>Resource names; wildcards allowed. For volumes "pool/name" works too.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter]
    [ArgumentCompleter(typeof(Completers.PoolNameCompleter))]
    public string? Pool { get; set; }

    /// <summary>One version (YYYYMMDDThhmmssZ).</summary>
    [Parameter]
    public string? Version { get; set; }

    /// <summary>Only the newest backup of each resource.</summary>
    [Parameter]
    public SwitchParameter Latest { get; set; }

    /// <summary>Backups taken after this time.</summary>
    [Parameter]
    public DateTime? After { get; set; }

    /// <summary>Backups taken before this time.</summary>
    [Parameter]
    public DateTime? Before { get; set; }

    private readonly List<string> _names = [];

    protected override void BeginProcessing()
    {
        EnsureValidVersion(Version);
    }

    protected override void ProcessRecord() => _names.AddRange(Name);

    protected override void EndProcessing()
    {
        var repository = OpenRepositoryForRead(ResolveTarget());
        var query = new BackupQuery
        {
            Kind = Kind,
            Names = _names,
            Project = Project,
            Pool = Pool,
            Version = Version,
            Latest = Latest,
            After = After,
            Before = Before,
        };
        var records = query.Apply(ListBackups(repository, Kind)).ToList();
        foreach (var record in records) WriteObject(record);

        // A literal name that matched nothing is an error, as with Get-Item; a wildcard is not.
        foreach (var name in _names.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)).Distinct(StringComparer.Ordinal))
        {
            if (!records.Any(r => r.Name == name || (r.Pool is not null && $"{r.Pool}/{r.Name}" == name)))
            {
                WriteError(new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                    $"No backup of '{name}' matches in {repository.Target}.", name));
            }
        }
    }
}
