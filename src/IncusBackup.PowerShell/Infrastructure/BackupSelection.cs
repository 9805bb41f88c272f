using System.Management.Automation;
using IncusBackup.Errors;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Get-IncusBackup's selection (kind, names with their projects, pool, version, latest, time window), shared by the
/// cmdlets that take the same filters (Test-IncusBackup): the records that match, in listing order without
/// duplicates, and a BackupNotFound for every literal name that matched nothing (a wildcard may match nothing).
/// </summary>
internal sealed record BackupSelection
{
    public BackupKind? Kind { get; init; }

    /// <summary>Names (wildcards allowed) with the project bound alongside each; empty selects everything.</summary>
    public IReadOnlyList<(string? Project, string Name)> Names { get; init; } = [];

    /// <summary>The project when no names are given (null: every project).</summary>
    public string? Project { get; init; }
    public string? Pool { get; init; }
    public string? ServerName { get; init; }
    public string? Version { get; init; }
    public bool Latest { get; init; }
    public DateTime? After { get; init; }
    public DateTime? Before { get; init; }

    public (List<BackupRecord> Records, List<IncusBackupException> NotFound) Apply(IReadOnlyList<BackupRecord> all, string repositoryTarget)
    {
        var groups = Names.Count == 0 ? [(Project, (IReadOnlyList<string>)[])]
            : Names.GroupBy(n => n.Project).Select(g => (g.Key, (IReadOnlyList<string>)g.Select(n => n.Name).ToList())).ToList();
        var records = new List<BackupRecord>();
        // By reference: one listing's records; a list's Contains would make 100,000 records take minutes.
        var seen = new HashSet<BackupRecord>(ReferenceEqualityComparer.Instance);
        foreach (var (project, names) in groups)
        {
            var query = new BackupQuery
            {
                Kind = Kind,
                Names = names,
                Project = project,
                Pool = Pool,
                ServerName = ServerName,
                Version = Version,
                Latest = Latest,
                After = After,
                Before = Before,
            };
            foreach (var record in query.Apply(all))
            {
                if (seen.Add(record)) records.Add(record);
            }
        }

        // A literal name that matched nothing is an error, as with Get-Item; a wildcard is not.
        var notFound = new List<IncusBackupException>();
        foreach (var (project, name) in Names.Where(n => !WildcardPattern.ContainsWildcardCharacters(n.Name)).Distinct())
        {
            if (!records.Any(r => (project is null || r.Project == project) && (r.Name == name || (r.Pool is not null && $"{r.Pool}/{r.Name}" == name) || r.Aliases.Contains(name))))
            {
                notFound.Add(new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                    $"No backup of '{name}'{(project is null ? "" : $" in project '{project}'")}{(Version is null ? "" : $" with version {Version}")} matches in {repositoryTarget}.", name,
                    "List what is there with Get-IncusBackup (without -Name), or check -Project and -Version."));
            }
        }
        return (records, notFound);
    }
}
