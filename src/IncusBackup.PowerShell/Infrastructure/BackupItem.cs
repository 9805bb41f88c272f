using IncusBackup.Reporting;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>One more thing a backup run backs up, besides its own kind: a name for messages and progress, the room it needs, and the work.</summary>
public sealed record BackupItem(string Name, long EstimatedBytes, Func<IBackupRepository, IReporter, CancellationToken, Task<BackupRecord>> Run)
{
    public override string ToString() => Name;
}
