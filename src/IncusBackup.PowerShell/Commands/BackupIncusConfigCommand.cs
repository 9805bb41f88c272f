using System.Management.Automation;
using IncusBackup.Config;
using IncusBackup.PowerShell.Infrastructure;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Backs up the declarative config: projects, storage pools, managed networks, profiles and the server keys that
/// matter for rebuilding a host, as JSON files under config/&lt;version&gt;/. One BackupRecord.
/// </summary>
[Cmdlet(VerbsData.Backup, "IncusConfig", SupportsShouldProcess = true)]
[OutputType(typeof(BackupRecord))]
public sealed class BackupIncusConfigCommand : ConnectedCmdlet
{
    /// <summary>Create the repository first when it does not exist yet (a restic repository is never created without it).</summary>
    [Parameter]
    public SwitchParameter Initialize { get; set; }

    protected override void EndProcessing()
    {
        var target = ResolveTarget();
        using var server = ConnectIncus();
        var scope = Project is null ? "the server (every project)" : $"project {Project}";
        if (!ShouldProcess($"config of {scope} -> {target}", "Back up config")) return;
        var repository = OpenRepositoryForWrite(target, Initialize);
        using var hold = HoldShared(repository);
        var engine = new ConfigBackupEngine(server, repository, ToolVersion);
        new ParallelRunner(this, $"Backing up the config to {target}").Run(
            [$"config of {scope}"], 1, (_, reporter, ct) => engine.BackupAsync(Project, reporter, ct),
            (_, record) => WriteObject(record),
            (item, e) => WriteError(e, item),
            PipelineStopToken);
    }
}
