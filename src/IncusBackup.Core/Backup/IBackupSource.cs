using System.Text.Json;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Backup;

/// <summary>
/// One kind of thing to back up (an instance, a custom volume; images and config next): what differs between kinds
/// is here, and <see cref="BackupEngine"/> does the rest the same way for all of them.
/// </summary>
public interface IBackupSource
{
    /// <summary>Where its backups go in the repository.</summary>
    ResourceKey Resource { get; }

    /// <summary>The cluster member it lives on (its location), or null on a standalone server or a remote pool.</summary>
    string? Member { get; }

    /// <summary>The pool the manifest records (an instance's root pool, a volume's pool).</summary>
    string? RecordedPool { get; }

    /// <summary>The archive's file name before its extension ("export", "volume").</summary>
    string ArchiveBaseName { get; }

    /// <summary>container / virtual-machine for instances, the content type for volumes.</summary>
    string? SubType { get; }

    /// <summary>The object as the server returned it, kept in the manifest.</summary>
    JsonElement SourceObject { get; }

    /// <summary>The server's backups endpoint of this resource.</summary>
    IServerBackups ServerBackups(IIncusServer server);

    /// <summary>Snapshot names, oldest first (what a full backup carries).</summary>
    Task<List<string>> ListSnapshotsAsync(IIncusServer server, CancellationToken ct);

    /// <summary>The running instances that write to it, held still while the server reads it.</summary>
    Task<IReadOnlyList<IncusInstance>> WritersAsync(IIncusServer server, CancellationToken ct);

    /// <summary>Bytes in use where the storage driver reports it (not on dir pools).</summary>
    Task<long?> UsedBytesAsync(IIncusServer server, CancellationToken ct);
}
