using System.Management.Automation;
using IncusBackup.PowerShell.Infrastructure;

namespace IncusBackup.PowerShell.Commands;

/// <summary>Marks backups protected: Remove-IncusBackup keeps them whatever its rules say.</summary>
[Cmdlet(VerbsSecurity.Protect, "IncusBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(BackupRecord))]
public sealed class ProtectIncusBackupCommand : ProtectionCmdlet
{
    protected override bool Protect => true;
}
