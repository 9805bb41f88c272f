using System.Management.Automation;
using IncusBackup.Backup;
using IncusBackup.PowerShell.Completers;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Commands;

/// <summary>Restores custom storage volumes from backups, by "pool/name" or from Get-IncusBackup through the pipeline.</summary>
[Cmdlet(VerbsData.Restore, "IncusVolume", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreIncusVolumeCommand : MappedRestoreCmdlet
{
    /// <summary>"pool/name", or "name" with -Pool (wildcards allowed).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>The pool the volume was backed up from.</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Pool { get; set; }

    protected override BackupKind Kind => BackupKind.Volume;

    protected override IEnumerable<BackupQuery> NameQueries() =>
        Name.Select(n =>
        {
            var (pool, name) = ResourceSelector.SplitVolumePattern(n, Pool);
            return new BackupQuery { Kind = BackupKind.Volume, Names = [name], Pool = pool == "*" ? null : pool, Project = ProjectOrDefault, Version = Version, Latest = Version is null };
        });
}
