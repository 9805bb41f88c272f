using IncusBackup.Errors;
using IncusBackup.Repository;

namespace IncusBackup.Verify;

/// <summary>
/// A backup's manifest.json and checksums.txt as they are on disk, each read on its own, so one that is missing
/// or damaged does not stop the checks that need only the other.
/// </summary>
internal sealed record StoredSeal
{
    /// <summary>index.yaml-sized limit: a seal file larger than this is not one.</summary>
    private const int MaxSize = 64 * 1024 * 1024;

    public byte[]? ManifestBytes { get; init; }
    public (string ErrorId, string Message)? ManifestReadError { get; init; }
    public byte[]? ChecksumsBytes { get; init; }
    public (string ErrorId, string Message)? ChecksumsReadError { get; init; }

    /// <summary>The parsed manifest; null when it is missing or does not parse (<see cref="ManifestError"/>).</summary>
    public BackupManifest? Manifest { get; init; }
    public string? ManifestError { get; init; }

    public static async Task<StoredSeal> ReadAsync(IBackupRepository repository, BackupRecord backup, CancellationToken ct)
    {
        var (manifestBytes, manifestReadError) = await ReadAsync(repository, backup, BackupSeal.ManifestFile, ct).ConfigureAwait(false);
        var (checksumsBytes, checksumsReadError) = await ReadAsync(repository, backup, BackupSeal.ChecksumsFile, ct).ConfigureAwait(false);
        BackupManifest? manifest = null;
        string? manifestError = manifestReadError?.Message;
        if (manifestBytes is not null)
        {
            try
            {
                manifest = BackupSeal.ParseManifest(manifestBytes, backup.ToString());
            }
            catch (IncusBackupException e)
            {
                manifestError = e.Message;
            }
        }
        return new StoredSeal
        {
            ManifestBytes = manifestBytes,
            ManifestReadError = manifestReadError,
            ChecksumsBytes = checksumsBytes,
            ChecksumsReadError = checksumsReadError,
            Manifest = manifest,
            ManifestError = manifestError,
        };
    }

    private static async Task<(byte[]? Bytes, (string ErrorId, string Message)? Error)> ReadAsync(IBackupRepository repository, BackupRecord backup, string name, CancellationToken ct)
    {
        try
        {
            await using var stream = await repository.OpenReadAsync(backup, name, ct).ConfigureAwait(false);
            using var copy = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                if (copy.Length + read > MaxSize) return (null, (ErrorIds.ManifestInvalid, $"'{name}' is larger than {MaxSize} bytes"));
                copy.Write(buffer, 0, read);
            }
            return (copy.ToArray(), null);
        }
        catch (IncusBackupException e) when (e.ErrorId == ErrorIds.BackupFileMissing)
        {
            return (null, (ErrorIds.BackupFileMissing, $"'{name}' is missing"));
        }
        catch (IOException e)
        {
            return (null, (ErrorIds.BackupUnreadable, $"'{name}' cannot be read: {e.Message}"));
        }
    }
}
