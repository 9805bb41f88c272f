using System.Management.Automation;
using IncusBackup.Backup;
using IncusBackup.Configuration;
using IncusBackup.Errors;
using IncusBackup.Incus;
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

    /// <summary>
    /// Images to back up along with the instances: None (the default), Referenced (the images the instances were
    /// created from, still on the server) or All (every image of their projects). An image already in the
    /// repository is not backed up again.
    /// </summary>
    [Parameter]
    [ValidateSet("None", "Referenced", "All")]
    public string Images { get; set; } = "None";

    protected override string KindNoun => "instance";
    protected override BackupKind Kind => BackupKind.Instance;
    protected override string NotFoundErrorId => ErrorIds.InstanceNotFound;
    protected override bool WithoutSnapshots => InstanceOnly;

    protected override void ProcessRecord() => Request(Name, pool: null);

    protected override IReadOnlyList<BackupItem> PlanExtra(IIncusServer server, IReadOnlyList<InstanceBackupSource> selected, RepositoryTarget target) =>
        Images == "None" ? [] : ImagesOfInstances.Plan(this, server, selected, Images == "All", target);

    protected override Task<Selection<InstanceBackupSource>> SelectAsync(ResourceSelector selector, IReadOnlyList<string> names, string? project, string? pool, CancellationToken ct) =>
        selector.SelectInstancesAsync(names, project, ct);
}
