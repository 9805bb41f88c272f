using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;

namespace IncusBackup.Backup;

/// <summary>The mode one source is backed up with, and why (for -Verbose).</summary>
internal sealed record ConsistencyChoice(ConsistencyMode Mode, string Reason)
{
    /// <summary>Drivers whose copies are snapshots (instant, point in time); lvm only with thin pools (its default).</summary>
    private static readonly HashSet<string> CopyOnWriteDrivers = ["btrfs", "zfs", "ceph"];

    public static bool IsCopyOnWrite(StoragePool pool) =>
        CopyOnWriteDrivers.Contains(pool.Driver)
        || pool.Driver == "lvm" && pool.Config.GetValueOrDefault("lvm.use_thinpool") != "false";

    /// <summary>
    /// Auto takes Snapshot where it can and Freeze elsewhere. Snapshot asked for where it cannot work is an error:
    /// a copy on a dir pool moves every byte of a live filesystem and is no point in time.
    /// </summary>
    public static async Task<ConsistencyChoice> ChooseAsync(IIncusServer server, IBackupSource source, BackupOptions options,
        IReadOnlyList<IncusInstance> writers, string compression, CancellationToken ct)
    {
        var requested = options.Consistency;
        if (requested == ConsistencyMode.None) return new(ConsistencyMode.None, "-Consistency None");
        if (requested == ConsistencyMode.Freeze) return new(ConsistencyMode.Freeze, "-Consistency Freeze");
        if (!writers.Any(w => w.IsActive)) return new(ConsistencyMode.Freeze, "nothing running writes to it");

        string? obstacle;
        string pool = source.RecordedPool ?? "";
        if (SourceCopiers.For(server, source) is null) obstacle = "this kind cannot be copied";
        else if (options.Optimized) obstacle = "an optimized export cannot be given back the original's name";
        else if (!ArchiveCompressor.CanCompress(compression)) obstacle = $"{compression} cannot be written by the client, which renames the archive";
        else if (await server.StoragePools.TryGetAsync(pool, ct).ConfigureAwait(false) is not { } found) obstacle = $"pool {pool} was not found";
        else if (!IsCopyOnWrite(found)) obstacle = $"pool {pool} ({found.Driver}) copies every byte, so a copy is no point in time";
        else return new(ConsistencyMode.Snapshot, $"pool {pool} ({found.Driver}) copies are copy-on-write");

        if (requested == ConsistencyMode.Auto) return new(ConsistencyMode.Freeze, obstacle);
        throw new IncusBackupException(ErrorIds.SnapshotConsistencyUnavailable, ErrorKind.InvalidArgument,
            $"{source.Resource} cannot be backed up with -Consistency Snapshot: {obstacle}.", source.Resource.ToString(),
            "Use -Consistency Auto (it freezes where a snapshot copy is not possible) or -Consistency Freeze.");
    }
}
