using System.Management.Automation;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.PowerShell.Completers;
using IncusBackup.PowerShell.Infrastructure;

namespace IncusBackup.PowerShell.Commands;

/// <summary>Backs up instances (containers and VMs) into the repository, one BackupRecord per instance.</summary>
[Cmdlet(VerbsData.Backup, "IncusInstance", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true)]
[OutputType(typeof(BackupRecord))]
public sealed class BackupIncusInstanceCommand : ExportBackupCmdlet<InstanceBackupSource>
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(InstanceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>Leave the instance's snapshots out of the backup.</summary>
    [Parameter]
    public SwitchParameter InstanceOnly { get; set; }

    protected override string KindNoun => "instance";
    protected override BackupKind Kind => BackupKind.Instance;
    protected override string NotFoundErrorId => ErrorIds.InstanceNotFound;
    protected override bool WithoutSnapshots => InstanceOnly;

    protected override void ProcessRecord() => Request(Name, pool: null);

    protected override Task<Selection<InstanceBackupSource>> SelectAsync(ResourceSelector selector, IReadOnlyList<string> names, string? project, string? pool, CancellationToken ct) =>
        selector.SelectInstancesAsync(names, project, ct);
}
