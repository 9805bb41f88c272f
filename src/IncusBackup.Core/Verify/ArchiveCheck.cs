using IncusBackup.Archive;
using IncusBackup.Errors;

namespace IncusBackup.Verify;

/// <summary>
/// The Archive check: every tarball of the backup decompresses (gzip, zstd, xz, bzip2, lzma, lz4 or none) and its
/// tar walks to the end-of-archive marker. An image's squashfs or disk file is not a tar: it is only hashed.
/// </summary>
internal static class ArchiveCheck
{
    public static TestCheck Evaluate(BackupKind kind, IReadOnlyList<FileScan> archives)
    {
        if (kind == BackupKind.Config)
            return CheckProblems.Skipped(CheckNames.Archive, "a config backup holds JSON files, no archive (Content parses them)");
        if (archives.Count == 0)
            return CheckProblems.Skipped(CheckNames.Archive, "no archive to read: the manifest lists none");
        var problems = new CheckProblems(CheckNames.Archive);
        var read = new List<string>();
        foreach (var scan in archives)
        {
            if (scan.ReadError is { } error)
                problems.Add(error);
            else if (!scan.Walked)
                read.Add($"{scan.Name}: {ArchiveCompression.Name(scan.Compression)}, not a tar (hashed only)");
            else if (scan.ArchiveError is { } corrupt)
                problems.Add(ErrorIds.ArchiveCorrupt, $"'{scan.Name}': {corrupt}");
            else
                read.Add($"{scan.Name}: {ArchiveCompression.Name(scan.Compression)}, {scan.Entries} tar entries ({Bytes.Format(scan.TarDataBytes)} of data) read to the end");
        }
        return problems.Result(string.Join("; ", read));
    }
}
