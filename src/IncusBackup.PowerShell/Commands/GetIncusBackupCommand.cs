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
    [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter]
    [ArgumentCompleter(typeof(Completers.PoolNameCompleter))]
    public string? Pool { get; set; }

    /// <summary>One version (YYYYMMDDThhmmssZ).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completers.BackupVersionCompleter))]
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

    /// <summary>Names with the project bound alongside each (piped records bring their own).</summary>
    private readonly List<(string? Project, string Name)> _names = [];

    protected override void BeginProcessing()
    {
        EnsureValidVersion(Version);
    }

    protected override void ProcessRecord() => _names.AddRange(Name.Select(n => (Project, n)));

    protected override void EndProcessing()
    {
        var repository = OpenRepositoryForRead(ResolveTarget());
        var all = ListBackups(repository, Kind);
        var groups = _names.Count == 0 ? [(Project, (IReadOnlyList<string>)[])]
            : _names.GroupBy(n => n.Project).Select(g => (g.Key, (IReadOnlyList<string>)g.Select(n => n.Name).ToList())).ToList();
        var records = new List<BackupRecord>();
        foreach (var (project, names) in groups)
        {
            var query = new BackupQuery
            {
                Kind = Kind,
                Names = names,
                Project = project,
                Pool = Pool,
                Version = Version,
                Latest = Latest,
                After = After,
                Before = Before,
            };
            records.AddRange(query.Apply(all).Where(r => !records.Contains(r)));
        }
        foreach (var record in records) WriteObject(record);

        // A literal name that matched nothing is an error, as with Get-Item; a wildcard is not.
        foreach (var (project, name) in _names.Where(n => !WildcardPattern.ContainsWildcardCharacters(n.Name)).Distinct())
        {
            if (!records.Any(r => (project is null || r.Project == project) && (r.Name == name || (r.Pool is not null && $"{r.Pool}/{r.Name}" == name) || r.Aliases.Contains(name))))
            {
                WriteError(new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                    $"No backup of '{name}'{(project is null ? "" : $" in project '{project}'")}{(Version is null ? "" : $" with version {Version}")} matches in {repository.Target}.", name,
                    "List what is there with Get-IncusBackup (without -Name), or check -Project and -Version."));
            }
        }
    }
}
