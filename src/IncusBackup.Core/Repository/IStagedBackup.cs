namespace IncusBackup.Repository;

/// <summary>
/// A backup being written. Files are created by name; publishing seals them with the manifest and makes the
/// backup visible in one step. Disposing an unpublished backup removes every trace (also on failure and Ctrl+C).
/// </summary>
public interface IStagedBackup : IDisposable
{
    /// <summary>Creates a file of the backup. The stream is seekable where the backend allows, so a download can start over.</summary>
    Stream CreateFile(string name);

    /// <summary>Reads back a file written so far (to look inside what the server sent before it is sealed).</summary>
    Stream OpenFile(string name);

    /// <summary>Renames a file written under a provisional name (the extension is known only after the first bytes).</summary>
    void RenameFile(string from, string to);

    /// <summary>
    /// Writes manifest.json and checksums.txt (see <see cref="BackupSeal"/>), makes everything durable and
    /// publishes the backup as <paramref name="version"/> (or the next free sequence of that second).
    /// </summary>
    Task<BackupRecord> PublishAsync(BackupManifest manifest, BackupVersion version, CancellationToken ct);

    /// <summary>
    /// Publishes files copied from another repository under that backup's own seal, byte for byte (its manifest.json
    /// and checksums.txt as they are) and at exactly its version: a copy is the same backup, never a new version.
    /// <paramref name="protect"/> publishes it protected in the same step (a crash never leaves an unprotected copy of a protected backup).
    /// </summary>
    /// <exception cref="Errors.IncusBackupException">
    /// BackupVersionConflict when the repository holds that version of the resource already (nothing is overwritten).
    /// </exception>
    Task<BackupRecord> PublishCopyAsync(BackupSeal seal, bool protect, CancellationToken ct);
}
