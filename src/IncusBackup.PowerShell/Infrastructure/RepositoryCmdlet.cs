using System.Management.Automation;
using IncusBackup.Configuration;
using IncusBackup.Errors;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>Base of cmdlets that read or write a backup repository: the -Target parameter and its defaults.</summary>
public abstract class RepositoryCmdlet : IncusCmdlet
{
    /// <summary>
    /// The repository: 'dir:/path' or a plain path. Defaults to $env:INCUS_BACKUP_TARGET, then "target" in
    /// $env:INCUS_BACKUP_CONFIG or ~/.config/incus-backup/config.json.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Target { get; set; }

    protected RepositoryTarget ResolveTarget()
    {
        try
        {
            var target = TargetResolver.Resolve(Target, SessionState.Path.CurrentFileSystemLocation.ProviderPath, Environment.GetEnvironmentVariable);
            WriteVerbose($"Repository: {target} (from {target.Source}).");
            return target;
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
            throw; // not reached
        }
    }

    /// <summary>Stops with InvalidVersion when -Version is not YYYYMMDDThhmmssZ[-N].</summary>
    protected void EnsureValidVersion(string? version)
    {
        if (version is null) return;
        try
        {
            BackupVersion.Parse(version);
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
        }
    }

    protected DirectoryRepository OpenRepositoryForRead(RepositoryTarget target)
    {
        try
        {
            return DirectoryRepository.OpenExisting(target.Location);
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
            throw;
        }
    }

    protected DirectoryRepository OpenRepositoryForWrite(RepositoryTarget target)
    {
        try
        {
            return DirectoryRepository.OpenForWrite(target.Location, ToolVersion);
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
            throw;
        }
    }
}
