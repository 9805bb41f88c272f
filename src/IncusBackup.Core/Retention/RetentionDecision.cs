namespace IncusBackup.Retention;

/// <summary>What the policy decided for one backup: kept (and by which rules) or removed.</summary>
public sealed record RetentionDecision(BackupRecord Backup, bool Keep, IReadOnlyList<string> Reasons);
