using System.Management.Automation;
using IncusBackup.PowerShell.Completers;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;
using IncusBackup.Restore;

namespace IncusBackup.PowerShell.Commands;

/// <summary>Restores instances from backups, by name or from Get-IncusBackup through the pipeline.</summary>
[Cmdlet(VerbsData.Restore, "IncusInstance", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreIncusInstanceCommand : MappedRestoreCmdlet
{
    /// <summary>Instance names as backed up (wildcards allowed); completion offers the backups in the repository.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>Start the restored instance (an instance that replaced a running one is started anyway).</summary>
    [Parameter]
    public SwitchParameter Start { get; set; }

    protected override BackupKind Kind => BackupKind.Instance;

    protected override IEnumerable<BackupQuery> NameQueries() =>
        Name.Select(n => new BackupQuery { Kind = BackupKind.Instance, Names = [n], Project = ProjectOrDefault, Version = Version, Latest = Version is null });

    protected override RestoreRequest Customize(RestoreRequest request) => base.Customize(request) with { Start = Start };
}
