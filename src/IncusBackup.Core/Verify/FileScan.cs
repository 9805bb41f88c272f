using System.Buffers;
using System.Security.Cryptography;
using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.IO;
using IncusBackup.Repository;

namespace IncusBackup.Verify;

/// <summary>
/// What one pass over one file of a backup found: its sha256 and length, and, when it was walked as an archive,
/// whether it decompressed and its tar read to the end, and its backup/index.yaml.
/// </summary>
internal sealed record FileScan
{
    public required string Name { get; init; }

    /// <summary>Null when the file could not be read to the end (see <see cref="ReadError"/>).</summary>
    public string? Sha256 { get; init; }
    public long Length { get; init; }

    /// <summary>The file is not there.</summary>
    public bool Missing { get; init; }

    /// <summary>Why the file could not be read (missing, or an I/O error), with the ErrorId that goes with it.</summary>
    public (string ErrorId, string Message)? ReadError { get; init; }

    /// <summary>The file was decompressed and its tar walked.</summary>
    public bool Walked { get; init; }
    public CompressionKind Compression { get; init; } = CompressionKind.Unknown;

    /// <summary>Why the archive did not decompress or its tar could not be walked to the end.</summary>
    public string? ArchiveError { get; init; }
    public long Entries { get; init; }
    public long TarDataBytes { get; init; }

    /// <summary>The archive's backup/index.yaml, when its first entry is one that parses.</summary>
    public BackupIndex? Index { get; init; }

    /// <summary>Why there is no <see cref="Index"/> although the tar could be opened.</summary>
    public string? IndexError { get; init; }
}

/// <summary>
/// Reads one file of a backup once, start to end: hashes every byte and, when asked, decompresses it on the way and
/// walks its tar to the end-of-archive marker (and past it, so a compressed stream's own checksum is checked).
/// Memory stays bounded whatever the size: nothing is buffered whole but index.yaml.
/// </summary>
internal static class FileScanner
{
    private const int BufferSize = 1 << 20;

    /// <param name="walk">Decompress and walk the file as an Incus backup tarball.</param>
    /// <param name="fingerprint">A running hash the bytes also go into (an image's fingerprint spans its files).</param>
    /// <param name="read">Hears the size of every read, for progress.</param>
    public static async Task<FileScan> ScanAsync(IBackupRepository repository, BackupRecord backup, string name, bool walk,
        IncrementalHash? fingerprint, Action<int>? read, CancellationToken ct)
    {
        Stream file;
        try
        {
            file = await repository.OpenReadAsync(backup, name, ct).ConfigureAwait(false);
        }
        catch (IncusBackupException e) when (e.ErrorId == ErrorIds.BackupFileMissing)
        {
            return new FileScan { Name = name, Missing = true, ReadError = (e.ErrorId, $"'{name}' is missing") };
        }
        catch (IOException e)
        {
            return new FileScan { Name = name, ReadError = (ErrorIds.BackupUnreadable, $"'{name}' cannot be read: {e.Message}") };
        }
        await using (file.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            using var hashing = new HashingReadStream(file, fingerprint, read);
            try
            {
                var walked = walk ? await WalkAsync(hashing, ct).ConfigureAwait(false) : null;
                if (hashing.ReadFailure is null)
                {
                    try
                    {
                        await hashing.DrainAsync(buffer.AsMemory(0, BufferSize), ct).ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                        // Recorded as the read failure below.
                    }
                }
                if (hashing.ReadFailure is { } failure)
                {
                    return new FileScan
                    {
                        Name = name,
                        Length = hashing.BytesRead,
                        ReadError = (ErrorIds.BackupUnreadable, $"'{name}' cannot be read past byte {hashing.BytesRead}: {failure.Message}"),
                    };
                }
                var scan = walked ?? new FileScan { Name = name };
                return scan with { Name = name, Sha256 = hashing.Sha256(), Length = hashing.BytesRead };
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Decompresses and walks the tar; every failure becomes <see cref="FileScan.ArchiveError"/>, never an exception.</summary>
    private static async Task<FileScan> WalkAsync(HashingReadStream source, CancellationToken ct)
    {
        var header = new byte[ArchiveCompression.HeaderLength];
        var kind = CompressionKind.Unknown;
        long entries = 0, dataBytes = 0;
        BackupIndex? index = null;
        string? indexError = null;
        try
        {
            var length = await source.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            if (length == 0) return Walked(kind, "the file is empty", 0, 0, null, null);
            kind = ArchiveCompression.Detect(header.AsSpan(0, length));
            var tar = ArchiveCompression.OpenDecompress(new PrefixedReadStream(header.AsMemory(0, length), source, leaveOpen: true), kind);
            await using (tar.ConfigureAwait(false))
            {
                var reader = new RawTarReader(tar);
                var first = await reader.ReadNextAsync(ct).ConfigureAwait(false);
                if (first is null) return Walked(kind, "the tar archive has no entries", 0, 0, null, null);
                entries = 1;
                dataBytes = first.DataSize;
                if (first.Path == BackupIndex.EntryPath && first.IsRegularFile)
                {
                    var data = await reader.ReadDataAsync(BackupIndex.MaxSize, ct).ConfigureAwait(false);
                    try
                    {
                        index = BackupIndex.Parse(BackupYaml.Decode(data, BackupIndex.EntryPath));
                    }
                    catch (InvalidDataException e)
                    {
                        indexError = e.Message;
                    }
                }
                else
                {
                    indexError = $"the first tar entry is '{first.Path}', not {BackupIndex.EntryPath}";
                }
                while (await reader.ReadNextAsync(ct).ConfigureAwait(false) is { } entry)
                {
                    entries++;
                    dataBytes += entry.DataSize;
                }
                await reader.DrainAsync(ct).ConfigureAwait(false);
            }
            return Walked(kind, null, entries, dataBytes, index, indexError);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Decompressors fail in their own ways (InvalidDataException, ZstdException, IOException from xz...).
            var where = entries == 0 ? "" : $" after {entries} tar entries";
            return Walked(kind, $"{Describe(kind)} does not read to the end{where}: {e.Message}", entries, dataBytes, index, indexError);
        }
    }

    private static string Describe(CompressionKind kind) => kind switch
    {
        CompressionKind.Unknown => "the archive (no known compression)",
        CompressionKind.None => "the tar archive",
        _ => $"the {ArchiveCompression.Name(kind)} archive",
    };

    private static FileScan Walked(CompressionKind kind, string? error, long entries, long dataBytes, BackupIndex? index, string? indexError) => new()
    {
        Name = "",
        Walked = true,
        Compression = kind,
        ArchiveError = error,
        Entries = entries,
        TarDataBytes = dataBytes,
        Index = index,
        IndexError = indexError,
    };
}
