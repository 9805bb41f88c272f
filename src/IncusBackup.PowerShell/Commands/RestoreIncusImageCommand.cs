using System.Management.Automation;
using IncusBackup.Incus;
using IncusBackup.PowerShell.Completers;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;
using IncusBackup.Restore;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Restores images from backups, with their aliases and settings: by fingerprint (prefix) or alias, or from
/// Get-IncusBackup through the pipeline. An image the server has already is never an error.
/// </summary>
[Cmdlet(VerbsData.Restore, "IncusImage", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreIncusImageCommand : RestoreCmdlet
{
    /// <summary>Fingerprints (or prefixes) or aliases of the backed-up images; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    protected override BackupKind Kind => BackupKind.Image;

    protected override IEnumerable<BackupQuery> NameQueries() =>
        Name.Select(n => new BackupQuery
        {
            Kind = BackupKind.Image,
            // A fingerprint may be given by its first digits, like incus image info does; an alias is matched whole.
            Names = [n],
            NamePrefix = true,
            Project = ProjectOrDefault,
            Version = Version,
            Latest = Version is null,
        });

    protected override Task<RestorePlan> PlanAsync(IIncusServer server, IBackupRepository repository, RestoreRequest request, CancellationToken ct) =>
        new ImageRestorePlanner(server).PlanAsync(repository, request, ct);
}
