using System.Management.Automation;
using IncusBackup.PowerShell.Infrastructure;

namespace IncusBackup.PowerShell.Commands;

/// <summary>Lifts the protected mark of backups, so that retention rules and removals apply to them again.</summary>
[Cmdlet(VerbsSecurity.Unprotect, "IncusBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(BackupRecord))]
public sealed class UnprotectIncusBackupCommand : ProtectionCmdlet
{
    protected override bool Protect => false;
}
