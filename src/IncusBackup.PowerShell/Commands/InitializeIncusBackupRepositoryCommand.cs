using System.Management.Automation;
using IncusBackup.PowerShell.Infrastructure;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Creates a repository (restic init in format 2, or a directory with its metadata.json) so that backups can be
/// written to it. An existing repository is left as it is and reported with Created = $false, so a setup script
/// can run it every time.
/// </summary>
[Cmdlet(VerbsData.Initialize, "IncusBackupRepository", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(RepositoryInfo))]
public sealed class InitializeIncusBackupRepositoryCommand : RepositoryCmdlet
{
    protected override void EndProcessing()
    {
        var target = ResolveTarget();
        if (!ShouldProcess(target.ToString(), "Initialize repository")) return;
        var (repository, created) = InitializeRepository(target);
        if (created) WriteWarning(RepositoryCreatedMessage(repository));
        else WriteVerbose($"{repository.Target} exists already; nothing was changed.");
        WriteObject(new RepositoryInfo { Target = repository.Target, Backend = target.Scheme, Location = target.Location, Created = created });
    }
}
