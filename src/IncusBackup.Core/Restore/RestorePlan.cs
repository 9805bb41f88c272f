using IncusBackup.Archive;
using IncusBackup.Repository;

namespace IncusBackup.Restore;

/// <summary>One step of a restore, as the what-if output and the confirmation prompt name it.</summary>
public sealed record PlanStep(string Action, string Target);

/// <summary>
/// Everything decided before a restore changes anything: verified backup, targets after mapping, whether the
/// target exists, the instances a volume swap has to stop, and the steps. The cmdlet shows and confirms it; the
/// engine executes exactly this.
/// </summary>
public sealed class RestorePlan
{
    public required RestoreRequest Request { get; init; }
    public required BackupManifest Manifest { get; init; }
    public required BackupKind Kind { get; init; }
    public required string TargetProject { get; init; }

    /// <summary>Pool of the restored volume, or of the instance's root disk when mapped (X-Incus-pool).</summary>
    public string? TargetPool { get; init; }
    public required string TargetName { get; init; }

    /// <summary>The target exists now; a restore must replace it (or skip it).</summary>
    public bool TargetExists { get; init; }

    /// <summary>Running instances that are stopped while the target is swapped, then started again.</summary>
    public IReadOnlyList<string> AffectedInstances { get; init; } = [];

    /// <summary>The target instance itself is running now (started again after a replace).</summary>
    public bool TargetRunning { get; init; }

    /// <summary>Names used during a replace: the upload lands on TemporaryName, the original waits as RetiredName.</summary>
    public string? TemporaryName { get; init; }
    public string? RetiredName { get; init; }

    public required RestoreMapping Mapping { get; init; }

    /// <summary>The archive must be rewritten on the way (mappings the server's headers cannot express).</summary>
    public bool NeedsRewrite { get; init; }
    public bool Skip { get; init; }
    public required IReadOnlyList<PlanStep> Steps { get; init; }

    public string Describe => $"{Request.Backup.Project}/{Request.Backup.Name}@{Request.Backup.Version} -> {TargetProject}/{TargetName}";
}
