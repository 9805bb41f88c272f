using System.Management.Automation;
using IncusBackup.PowerShell.Infrastructure;

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

    /// <summary>Only backups from this Incus server, by name (wildcards allowed): for a repository several hosts share.</summary>
    [Parameter]
    [SupportsWildcards]
    public string? ServerName { get; set; }

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
        var (records, notFound) = new BackupSelection
        {
            Kind = Kind,
            Names = _names,
            Project = Project,
            Pool = Pool,
            ServerName = ServerName,
            Version = Version,
            Latest = Latest,
            After = After,
            Before = Before,
        }.Apply(all, repository.Target);
        foreach (var record in records) WriteObject(record);
        foreach (var error in notFound) WriteError(error);
    }
}
