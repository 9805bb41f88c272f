using IncusBackup.Archive;
using IncusBackup.Incus;

namespace IncusBackup.Backup;

/// <summary>
/// Makes and removes temporary copies of one backup source (Snapshot consistency): what differs between an
/// instance and a custom volume; <see cref="SnapshotExport"/> does the rest the same way for both.
/// </summary>
internal interface ISourceCopier
{
    /// <summary>"instance" or "volume", for messages.</summary>
    string Noun { get; }

    /// <summary>Where copies live (project, and pool for volumes): the scope a leftover sweep covers.</summary>
    string Scope { get; }

    /// <summary>The original's identity as the server has it now, just before the copy (a copy regenerates it).</summary>
    Task<CloneIdentity> ReadIdentityAsync(CancellationToken ct);

    /// <summary>Starts the copy (snapshots included, same project and pool) with <paramref name="marker"/> in its config; returns the operation.</summary>
    Task<string> StartCopyAsync(string name, IReadOnlyDictionary<string, string> marker, CancellationToken ct);

    /// <summary>The copy, as a source whose server backups can be exported.</summary>
    IServerBackups BackupsOf(string name);

    Task DeleteAsync(string name, CancellationToken ct);

    /// <summary>Everything in <see cref="Scope"/> with its config, to find copies that dead runs left.</summary>
    Task<IReadOnlyList<(string Name, IReadOnlyDictionary<string, string> Config)>> ListAsync(CancellationToken ct);
}
