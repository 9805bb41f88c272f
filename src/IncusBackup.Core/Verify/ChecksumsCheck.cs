using IncusBackup.Errors;
using IncusBackup.Repository;

namespace IncusBackup.Verify;

/// <summary>
/// The Checksums check: checksums.txt is well formed and vouches for manifest.json (the same cross-check a restore
/// makes, <see cref="BackupSeal.Open"/>), and every file it lists hashes to its line.
/// </summary>
internal static class ChecksumsCheck
{
    public static TestCheck Evaluate(StoredSeal seal, IReadOnlyList<FileScan> scans, string where)
    {
        var problems = new CheckProblems(CheckNames.Checksums);
        if (seal.ChecksumsBytes is null)
        {
            problems.Add(seal.ChecksumsReadError!.Value.ErrorId, $"{seal.ChecksumsReadError.Value.Message}, so nothing vouches for the files");
            return problems.Result("");
        }
        Dictionary<string, string> checksums;
        try
        {
            checksums = BackupSeal.ParseChecksums(System.Text.Encoding.UTF8.GetString(seal.ChecksumsBytes), where);
        }
        catch (IncusBackupException e)
        {
            problems.Add(e.ErrorId, e.Message.TrimEnd('.'));
            return problems.Result("");
        }

        if (seal.ManifestBytes is null)
        {
            problems.Add(seal.ManifestReadError!.Value);
        }
        else
        {
            try
            {
                BackupSeal.Open(seal.ManifestBytes, seal.ChecksumsBytes, where);
            }
            catch (IncusBackupException e) when (e.ErrorId == ErrorIds.ChecksumMismatch)
            {
                problems.Add(e.ErrorId, e.Message.TrimEnd('.'));
            }
            catch (IncusBackupException e) when (e.ErrorId == ErrorIds.ManifestInvalid)
            {
                // The manifest matches its checksum but does not parse: the Manifest check says so.
            }
        }

        var bytes = 0L;
        var files = 0;
        foreach (var (name, expected) in checksums.Where(c => c.Key != BackupSeal.ManifestFile).OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var scan = scans.FirstOrDefault(s => s.Name == name);
            if (scan is null) continue;
            if (scan.ReadError is { } error)
            {
                problems.Add(error);
                continue;
            }
            if (scan.Sha256 != expected)
            {
                problems.Add(ErrorIds.ChecksumMismatch, $"'{name}' does not match its checksum (expected {expected}, found {scan.Sha256}): it is corrupt or was changed");
                continue;
            }
            files++;
            bytes += scan.Length;
        }
        return problems.Result($"{BackupSeal.ManifestFile} and {files} file{(files == 1 ? "" : "s")} ({Bytes.Format(bytes)}) match {BackupSeal.ChecksumsFile}");
    }
}
