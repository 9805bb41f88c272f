using System.Collections;
using System.Management.Automation;
using IncusBackup.Errors;
using IncusBackup.Restore;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Restore-* cmdlets for what lives under a name in a pool and refers to networks and profiles (instances,
/// custom volumes): -NewName and the pool, network and profile maps.
/// </summary>
public abstract class MappedRestoreCmdlet : RestoreCmdlet
{
    /// <summary>Restore under another name, next to the original.</summary>
    [Parameter]
    [Alias("TargetName")]
    [ValidateNotNullOrEmpty]
    public string? NewName { get; set; }

    /// <summary>Storage pools to use instead of the recorded ones: @{ old = 'new' }.</summary>
    [Parameter]
    public Hashtable? PoolMap { get; set; }

    /// <summary>Networks (NIC network or parent) to use instead of the recorded ones: @{ old = 'new' }.</summary>
    [Parameter]
    public Hashtable? NetworkMap { get; set; }

    /// <summary>Profiles to apply instead of the recorded ones: @{ old = 'new' }.</summary>
    [Parameter]
    public Hashtable? ProfileMap { get; set; }

    /// <summary>The cluster member to restore onto; by default the member the backup came from, while the cluster has it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.ClusterMemberCompleter))]
    public string? TargetMember { get; set; }

    protected override RestoreRequest Customize(RestoreRequest request) => request with
    {
        NewName = NewName,
        TargetMember = TargetMember,
        PoolMap = ToMap(PoolMap, nameof(PoolMap)),
        NetworkMap = ToMap(NetworkMap, nameof(NetworkMap)),
        ProfileMap = ToMap(ProfileMap, nameof(ProfileMap)),
    };

    protected override void CheckBatch(IReadOnlyList<BackupRecord> backups)
    {
        if (NewName is not null && backups.Count > 1)
        {
            ThrowTerminating(new IncusBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"-NewName names one target, but {backups.Count} backups were given ({string.Join(", ", backups)}).", NewName,
                "Restore one backup at a time when renaming, or filter with Where-Object/-Version."));
        }
    }
}
