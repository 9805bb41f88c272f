using System.Management.Automation;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>Protect-IncusBackup and Unprotect-IncusBackup: set or lift the protected mark of piped backups.</summary>
public abstract class ProtectionCmdlet : IncusCmdlet
{
    /// <summary>Backups, as Get-IncusBackup writes them; each is marked in its own repository.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public BackupRecord[] InputObject { get; set; } = [];

    /// <summary>The password of an encrypted repository (restic); without it, restic's own password variables.</summary>
    [Parameter]
    [Credential]
    public PSCredential? RepositoryCredential { get; set; }

    /// <summary>Write the updated records.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>True to protect, false to lift the mark.</summary>
    protected abstract bool Protect { get; }

    // Each repository is opened (and cleaned of dead runs' leftovers) once, however many of its records come.
    private readonly Dictionary<string, IBackupRepository> _repositories = new(StringComparer.Ordinal);

    protected override void ProcessRecord()
    {
        foreach (var record in InputObject)
        {
            if (!ShouldProcess(record.ToString(), Protect ? "Protect backup" : "Unprotect backup")) continue;
            try
            {
                if (!_repositories.TryGetValue(record.Repository, out var repository))
                {
                    repository = ReportLeftovers(RepositoryFactory.OpenForWrite(record, ToolVersion, RepositoryCredential?.GetNetworkCredential().Password));
                    _repositories[record.Repository] = repository;
                }
                var updated = Await(ct => repository.SetProtectedAsync(record, Protect, ct));
                WriteVerbose($"{updated} is {(updated.Protected ? "protected" : "no longer protected")}.");
                if (PassThru) WriteObject(updated);
            }
            catch (Errors.IncusBackupException e)
            {
                WriteError(e, record.ToString());
            }
        }
    }
}
