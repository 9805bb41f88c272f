using System.Management.Automation;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.PowerShell.Completers;
using IncusBackup.PowerShell.Infrastructure;

namespace IncusBackup.PowerShell.Commands;

/// <summary>Backs up custom storage volumes ("pool/name") into the repository, one BackupRecord per volume.</summary>
[Cmdlet(VerbsData.Backup, "IncusVolume", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true)]
[OutputType(typeof(BackupRecord))]
public sealed class BackupIncusVolumeCommand : ExportBackupCmdlet<VolumeBackupSource>
{
    /// <summary>"pool/name", or "name" together with -Pool (or searched in every pool). Wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VolumeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Pool { get; set; }

    /// <summary>Leave the volume's snapshots out of the backup.</summary>
    [Parameter]
    public SwitchParameter VolumeOnly { get; set; }

    protected override string KindNoun => "volume";
    protected override BackupKind Kind => BackupKind.Volume;
    protected override string NotFoundErrorId => ErrorIds.VolumeNotFound;
    protected override bool WithoutSnapshots => VolumeOnly;

    protected override void ProcessRecord() => Request(Name, Pool);

    protected override Task<Selection<VolumeBackupSource>> SelectAsync(ResourceSelector selector, IReadOnlyList<string> names, string? project, string? pool, CancellationToken ct) =>
        selector.SelectVolumesAsync(names, All ? Pool : pool, project, ct);
}
