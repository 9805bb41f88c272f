using System.Security.Cryptography;
using IncusBackup.Errors;
using IncusBackup.Repository;

namespace IncusBackup.Restore;

/// <summary>
/// Checks a backup folder against its checksums.txt and manifest before anything is sent to a server: every file
/// listed must exist with the recorded size and sha256. Streams each file once; memory stays flat.
/// </summary>
public static class BackupVerifier
{
    public static async Task<BackupManifest> VerifyAsync(string backupFolder, IProgress<long>? bytesRead, CancellationToken ct)
    {
        var checksumsPath = Path.Combine(backupFolder, DirectoryRepository.ChecksumsFile);
        if (!File.Exists(checksumsPath) || !File.Exists(Path.Combine(backupFolder, DirectoryRepository.ManifestFile)))
        {
            throw new IncusBackupException(ErrorIds.BackupFileMissing, ErrorKind.InvalidData,
                $"The backup in '{backupFolder}' is incomplete: {DirectoryRepository.ChecksumsFile} or {DirectoryRepository.ManifestFile} is missing.", backupFolder);
        }
        var expected = ParseChecksums(await File.ReadAllLinesAsync(checksumsPath, ct).ConfigureAwait(false), checksumsPath);
        foreach (var (name, sha) in expected)
        {
            var path = Path.Combine(backupFolder, name);
            if (!File.Exists(path))
            {
                throw new IncusBackupException(ErrorIds.BackupFileMissing, ErrorKind.InvalidData,
                    $"The backup in '{backupFolder}' is missing '{name}'.", path, "Restore another version (Get-IncusBackup lists them).");
            }
            var actual = await HashAsync(path, bytesRead, ct).ConfigureAwait(false);
            if (!string.Equals(actual, sha, StringComparison.OrdinalIgnoreCase))
            {
                throw new IncusBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                    $"'{path}' does not match its checksum (expected {sha}, found {actual}): the file is corrupt or was changed.", path,
                    "Restore another version (Get-IncusBackup lists them); nothing was sent to the server.");
            }
        }
        var manifest = DirectoryRepository.ReadManifest(backupFolder);
        foreach (var file in manifest.Files)
        {
            if (!expected.TryGetValue(file.Name, out var sha) || !string.Equals(sha, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new IncusBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                    $"The manifest of '{backupFolder}' and its checksums.txt disagree about '{file.Name}'.", backupFolder);
            }
        }
        return manifest;
    }

    private static Dictionary<string, string> ParseChecksums(string[] lines, string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Where(l => l.Length > 0))
        {
            // sha256sum format: 64 hex digits, two spaces (or space and '*'), file name.
            if (line.Length < 67 || line[64] != ' ' || line[65] is not (' ' or '*') || line[66..].Contains('/'))
            {
                throw new IncusBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData, $"'{path}' has a malformed line: {line}", path);
            }
            result[line[66..]] = line[..64];
        }
        return result;
    }

    private static async Task<string> HashAsync(string path, IProgress<long>? bytesRead, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            bytesRead?.Report(read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
