namespace IncusBackup.Repository;

/// <summary>
/// A backup repository, whatever stores it (a directory today; restic next). Cmdlets and engines reach storage only
/// through this interface and <see cref="RepositoryFactory"/>. A backup becomes visible to <see cref="ListAsync"/>
/// only when <see cref="IStagedBackup.PublishAsync"/> has made it complete and durable.
/// </summary>
public interface IBackupRepository
{
    /// <summary>The repository as users write it: "dir:/srv/backups".</summary>
    string Target { get; }

    /// <summary>
    /// The compression exports default to when the user names none (null: the fastest the server has). restic
    /// answers "none": it deduplicates uncompressed data and compresses itself.
    /// </summary>
    string? PreferredCompression { get; }

    /// <summary>Starts a backup in a private staging area; dispose it unpublished to leave no trace.</summary>
    IStagedBackup BeginBackup(ResourceKey resource);

    /// <summary>Every complete backup of a kind (null: all), oldest first within each resource, and what could not be read.</summary>
    Task<RepositoryListing> ListAsync(BackupKind? kind, CancellationToken ct);

    /// <summary>Opens one file of a backup for reading (manifest.json, checksums.txt, the archive).</summary>
    /// <exception cref="Errors.IncusBackupException">BackupFileMissing when the file is not there.</exception>
    Task<Stream> OpenReadAsync(BackupRecord backup, string fileName, CancellationToken ct);

    /// <summary>
    /// Where a backup of <paramref name="resource"/> taken at <paramref name="version"/> belongs, in the terms of
    /// <see cref="BackupRecord.Location"/>: a record found elsewhere sits where its manifest says it should not.
    /// </summary>
    /// <exception cref="Errors.IncusBackupException">InvalidName when a name could not be stored in this repository.</exception>
    string LocationOf(ResourceKey resource, string version);

    /// <summary>
    /// Marks a backup protected (or lifts the mark): a protected backup is never removed by a retention rule or a
    /// removal. The mark lives in the repository beside the backup, outside its seal; returns the updated record.
    /// </summary>
    Task<BackupRecord> SetProtectedAsync(BackupRecord backup, bool protect, CancellationToken ct);

    /// <summary>Removes a backup completely; a backup half removed is never listed.</summary>
    Task RemoveAsync(BackupRecord backup, CancellationToken ct);

    /// <summary>
    /// Frees the space of the backups removed so far, once after many removals (restic prune: it rewrites packs, too
    /// slow to run per backup). A directory frees it with each removal: nothing to do.
    /// </summary>
    Task CompactAsync(CancellationToken ct);

    /// <summary>
    /// Holds the repository: many writers share it, a maintenance run (prune) holds it alone. Dispose to let go.
    /// </summary>
    /// <exception cref="Errors.IncusBackupException">RepositoryLocked when another run holds it the other way.</exception>
    IDisposable Lock(RepositoryLockMode mode);

    /// <summary>
    /// Checks the repository as a whole, beyond the backups' own files: restic check (with
    /// <paramref name="readDataSubset"/>, restic's sampled read of the stored data). Null when the backend has
    /// nothing to check beyond the files every backup test reads (a directory).
    /// </summary>
    Task<TestCheck?> CheckAsync(string? readDataSubset, CancellationToken ct);

    /// <summary>Removes what runs that no longer exist left behind (crash, kill -9); returns how many.</summary>
    int CleanupLeftovers();

    /// <summary>What the last <see cref="CleanupLeftovers"/> removed, one line each, to tell the user that a run ended early.</summary>
    IReadOnlyList<string> LeftoversCleaned { get; }

    /// <summary>Fails before any export starts when the repository cannot hold the estimated size.</summary>
    void EnsureFreeSpace(long neededBytes, string forWhat);
}

public enum RepositoryLockMode
{
    /// <summary>Backups and restores: any number at once.</summary>
    Shared,

    /// <summary>Maintenance that removes backups: alone.</summary>
    Exclusive,
}

/// <summary>What a listing found: the complete backups, and the backups it had to leave out with the reason.</summary>
public sealed record RepositoryListing(IReadOnlyList<BackupRecord> Records, IReadOnlyList<string> Problems);
