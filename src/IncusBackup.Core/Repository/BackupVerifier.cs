using System.Buffers;
using System.Security.Cryptography;
using IncusBackup.Errors;

namespace IncusBackup.Repository;

/// <summary>
/// Checks a backup against its seal before anything is sent to a server: <see cref="ReadSealAsync"/> reads and
/// cross-checks manifest.json and checksums.txt (small); <see cref="VerifyFilesAsync"/> re-hashes every file the
/// checksums list. Streams each file once; memory stays flat. Works the same for every backend.
/// </summary>
public static class BackupVerifier
{
    private const int BufferSize = 1 << 20;

    public static async Task<BackupSeal> ReadSealAsync(IBackupRepository repository, BackupRecord backup, CancellationToken ct)
    {
        var checksums = await ReadAllAsync(repository, backup, BackupSeal.ChecksumsFile, ct).ConfigureAwait(false);
        var manifest = await ReadAllAsync(repository, backup, BackupSeal.ManifestFile, ct).ConfigureAwait(false);
        return BackupSeal.Open(manifest, checksums, backup.ToString());
    }

    /// <summary>Re-hashes every data file of the backup; <paramref name="bytesRead"/> hears the running total.</summary>
    public static async Task VerifyFilesAsync(IBackupRepository repository, BackupRecord backup, BackupSeal seal, Action<long>? bytesRead, CancellationToken ct)
    {
        var total = 0L;
        foreach (var (name, expected) in seal.DataFiles)
        {
            var actual = await HashAsync(repository, backup, name, read => bytesRead?.Invoke(total += read), ct).ConfigureAwait(false);
            if (actual != expected)
            {
                throw new IncusBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                    $"'{name}' of {backup} does not match its checksum (expected {expected}, found {actual}): the file is corrupt or was changed.", backup.ToString(),
                    "Restore another version (Get-IncusBackup lists them); nothing was sent to the server.");
            }
        }
    }

    private static async Task<string> HashAsync(IBackupRepository repository, BackupRecord backup, string name, Action<int> read, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using var stream = await repository.OpenReadAsync(backup, name, ct).ConfigureAwait(false);
            int count;
            while ((count = await stream.ReadAsync(buffer.AsMemory(0, BufferSize), ct).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, count);
                read(count);
            }
        }
        catch (IOException e)
        {
            throw Unreadable(backup, name, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task<byte[]> ReadAllAsync(IBackupRepository repository, BackupRecord backup, string name, CancellationToken ct)
    {
        try
        {
            await using var stream = await repository.OpenReadAsync(backup, name, ct).ConfigureAwait(false);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, ct).ConfigureAwait(false);
            return copy.ToArray();
        }
        catch (IOException e)
        {
            throw Unreadable(backup, name, e);
        }
    }

    /// <summary>Reading the repository failed (I/O error): a read failure, never reported as an unwritable target.</summary>
    public static IncusBackupException Unreadable(BackupRecord backup, string name, IOException e) =>
        new(ErrorIds.BackupUnreadable, ErrorKind.ReadError, $"Reading '{name}' of {backup} failed: {e.Message}", backup.ToString(),
            "Check the repository's disk; restore another version if this one stays unreadable.", e);
}
