using System.Management.Automation;
using IncusBackup.Backup;
using IncusBackup.Incus;
using IncusBackup.Reporting;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Backup-* cmdlets for what the server exports as a backup (instances, custom volumes): how it is held still,
/// optimized or not, compressed how, with or without snapshots.
/// </summary>
public abstract class ExportBackupCmdlet<TSource> : BackupCmdlet<TSource> where TSource : IBackupSource
{
    /// <summary>
    /// How a running source is held still while it is exported: Auto (default) takes Snapshot on copy-on-write
    /// pools and Freeze elsewhere; Snapshot exports a copy-on-write copy and never pauses the source; Freeze
    /// pauses the running writers while the server reads; None reads it live.
    /// </summary>
    [Parameter]
    public ConsistencyMode Consistency { get; set; } = ConsistencyMode.Auto;

    /// <summary>The spec's --no-snapshot: the same as -Consistency None.</summary>
    [Parameter]
    public SwitchParameter NoSnapshot { get; set; }

    /// <summary>-NoSnapshot wins, as the shortcut for None.</summary>
    private protected ConsistencyMode EffectiveConsistency => NoSnapshot ? ConsistencyMode.None : Consistency;

    /// <summary>
    /// The longest, in seconds, a running instance stays frozen for the backup (Freeze consistency); past it the
    /// instance is thawed and the backup fails with FreezeTimeout. 0: no limit. Default 600.
    /// </summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int FreezeTimeout { get; set; } = (int)BackupOptions.DefaultFreezeTimeout.TotalSeconds;

    /// <summary>Storage-driver-optimized export: faster, but restores only onto the same storage driver.</summary>
    [Parameter]
    public SwitchParameter Optimized { get; set; }

    /// <summary>Compression the server applies. Default: zstd, or gzip when the server has no zstd; none on a restic target (restic deduplicates and compresses).</summary>
    [Parameter]
    [ValidateSet("none", "gzip", "bzip2", "lz4", "lzma", "xz", "zstd")]
    public string? Compression { get; set; }

    protected abstract bool WithoutSnapshots { get; }

    protected override Func<TSource, IReporter, CancellationToken, Task<BackupRecord>> Worker(IIncusServer server, IBackupRepository repository)
    {
        var options = new BackupOptions
        {
            Consistency = EffectiveConsistency,
            FreezeTimeout = BackupOptions.FreezeLimit(FreezeTimeout),
            Optimized = Optimized,
            WithoutSnapshots = WithoutSnapshots,
            Compression = Compression,
        };
        var engine = new BackupEngine(server, repository, ToolVersion);
        return (source, reporter, ct) => engine.BackupAsync(source, options, reporter, ct);
    }

    protected override Task<long> EstimateSizeAsync(IIncusServer server, TSource source, CancellationToken ct) =>
        BackupEngine.EstimateSizeAsync(server, source, ct);
}
