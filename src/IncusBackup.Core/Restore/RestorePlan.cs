using IncusBackup.Archive;
using IncusBackup.Repository;

namespace IncusBackup.Restore;

/// <summary>
/// Everything decided before a restore changes anything: the backup and its seal, the target after mappings,
/// whether it exists, the instances a swap has to stop, and the steps. The cmdlet shows and confirms the steps;
/// the executor runs exactly them.
/// </summary>
public sealed class RestorePlan
{
    public required RestoreRequest Request { get; init; }

    /// <summary>The repository the backup is read from.</summary>
    public required IBackupRepository Repository { get; init; }

    /// <summary>The backup's manifest and checksums, already cross-checked; the archive is verified before upload.</summary>
    public required BackupSeal Seal { get; init; }
    public BackupManifest Manifest => Seal.Manifest;
    public required BackupKind Kind { get; init; }
    public required RestoreTarget Target { get; init; }

    public string TargetProject => Target.Project;

    /// <summary>Pool of the restored volume, or of the instance's root disk when mapped (X-Incus-pool).</summary>
    public string? TargetPool => Target.Pool;
    public string TargetName => Target.Name;

    /// <summary>The target exists now; a restore must replace it (or skip it).</summary>
    public bool TargetExists { get; init; }

    /// <summary>Running instances that are stopped while the target is swapped, then started again.</summary>
    public IReadOnlyList<string> AffectedInstances { get; init; } = [];

    /// <summary>The affected instances that are ephemeral: kept from being deleted by the stop, and made ephemeral again once started.</summary>
    public IReadOnlyCollection<string> EphemeralInstances { get; init; } = [];

    /// <summary>The target instance itself is running now (started again after a replace).</summary>
    public bool TargetRunning { get; init; }

    /// <summary>Names used during a replace: the upload lands on TemporaryName, the original waits as RetiredName.</summary>
    public string? TemporaryName { get; init; }
    public string? RetiredName { get; init; }

    /// <summary>Instances (project/name) a replace starts after the swap: those it stops, and the target when -Start asks.</summary>
    public IReadOnlyList<string> StartAgain { get; internal set; } = [];

    /// <summary>The server's name (a replace's journal entry says which server it was on).</summary>
    public string ServerName { get; init; } = "";

    public required RestoreMapping Mapping { get; init; }

    /// <summary>The archive must be rewritten on the way (mappings the server's headers cannot express).</summary>
    public bool NeedsRewrite { get; init; }

    /// <summary>
    /// An optimized instance restored beside its original: its MAC addresses live in the driver stream, out of the
    /// rewriter's reach, so they are cleared on the server after the import (Incus makes new ones at the next start).
    /// </summary>
    public bool ReleaseHardwareAddresses { get; init; }
    public bool Skip { get; init; }

    /// <summary>A replace: on failure, every finished step is rolled back.</summary>
    public bool IsReplace => TargetExists && !Skip;

    /// <summary>Whether a failure rolls back the finished steps: a replace always; other plans say so themselves.</summary>
    public bool RollBackOnFailure { get; init; }

    /// <summary>What the result reports when the plan ran; null: Replaced for a replace, else Restored.</summary>
    public RestoreAction? ResultAction { get; init; }

    /// <summary>
    /// For plans whose conflict is not "the target exists" (an image alias that points elsewhere): what is in the
    /// way, and the operation that overrides it, for the confirmation. Null for instances and volumes.
    /// </summary>
    public string? Conflict { get; init; }
    public string? ConflictAction { get; init; }
    /// <summary>The steps, in the order they run; -WhatIf lists exactly these.</summary>
    public IReadOnlyList<RestoreStep> Steps { get; internal set; } = [];

    public string Describe => $"{Request.Backup.Project}/{Request.Backup.Name}@{Request.Backup.Version} -> {TargetProject}/{TargetName}";

    /// <summary>What the progress bar of this restore is called.</summary>
    public override string ToString() => Describe;
}
