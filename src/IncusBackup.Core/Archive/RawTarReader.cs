using System.Buffers;
using System.Text;

namespace IncusBackup.Archive;

/// <summary>
/// Walks a plain tar stream block by block without interpreting more than it must, so every entry can be written
/// back byte-for-byte. Forward-only: the data of the current entry must be consumed (or is skipped) before the next.
/// </summary>
internal sealed class RawTarReader(Stream tar)
{
    /// <summary>Metadata entries are small in practice (paths, xattrs); a larger one means a corrupt archive.</summary>
    private const int MaxMetadataSize = 16 * 1024 * 1024;

    private const int CopyBufferSize = 128 * 1024;

    private long _unreadData;
    private long _unreadPadding;
    private long _position;
    private bool _ended;

    /// <summary>Reads the next entry header; null at the end-of-archive marker. Skips unread data of the previous entry.</summary>
    public async Task<RawTarEntry?> ReadNextAsync(CancellationToken ct)
    {
        if (_ended) return null;
        await SkipAsync(_unreadData + _unreadPadding, ct).ConfigureAwait(false);
        _unreadData = _unreadPadding = 0;

        var metadata = new List<TarMetadataBlock>();
        while (true)
        {
            long headerPosition = _position;
            var header = await ReadHeaderAsync(ct).ConfigureAwait(false);
            if (header is null)
            {
                if (metadata.Count > 0) throw Corrupt("the archive ends right after an extended header", headerPosition);
                _ended = true;
                return null;
            }
            char type = TarHeaderBlock.TypeFlag(header);
            if (IsMetadataFor(type))
            {
                long size = TarHeaderBlock.DataSize(header);
                if (size > MaxMetadataSize) throw Corrupt($"an extended header of {size} bytes", headerPosition);
                var data = new byte[size];
                await ReadExactlyAsync(data, ct).ConfigureAwait(false);
                await SkipAsync(Padding(size), ct).ConfigureAwait(false);
                metadata.Add(new TarMetadataBlock(type, header, data));
                continue;
            }
            return await CompleteEntryAsync(header, type, metadata, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Copies the current entry's data to <paramref name="destination"/> without holding it in memory.</summary>
    public async Task CopyDataAsync(Stream destination, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            while (_unreadData > 0)
            {
                int chunk = (int)Math.Min(buffer.Length, _unreadData);
                await ReadExactlyAsync(buffer.AsMemory(0, chunk), ct).ConfigureAwait(false);
                await destination.WriteAsync(buffer.AsMemory(0, chunk), ct).ConfigureAwait(false);
                _unreadData -= chunk;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the current entry's data into memory; for small entries (YAML) only.</summary>
    public async Task<byte[]> ReadDataAsync(long maxSize, CancellationToken ct)
    {
        if (_unreadData > maxSize) throw new InvalidDataException($"A tar entry of {_unreadData} bytes is larger than the {maxSize} bytes expected.");
        var data = new byte[_unreadData];
        await ReadExactlyAsync(data, ct).ConfigureAwait(false);
        _unreadData = 0;
        return data;
    }

    /// <summary>Reads whatever follows the end-of-archive marker (record padding), so a compressed stream's checksum gets verified.</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            while (await tar.ReadAsync(buffer, ct).ConfigureAwait(false) > 0) { }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsMetadataFor(char type) => type is 'x' or 'X' or 'L' or 'K';

    private async Task<RawTarEntry> CompleteEntryAsync(byte[] header, char type, List<TarMetadataBlock> metadata, CancellationToken ct)
    {
        string path = TarHeaderBlock.Path(header);
        long size = TarHeaderBlock.DataSize(header);
        TarMetadataBlock? paxSizeSource = null;
        foreach (var block in metadata)
        {
            if (block.TypeFlag == 'L') path = Encoding.UTF8.GetString(block.Data).TrimEnd('\0');
            if (block.TypeFlag is not ('x' or 'X')) continue;
            foreach (var record in PaxRecords.Parse(block.Data))
            {
                if (record.Key == "path") path = Encoding.UTF8.GetString(record.Value.Span);
                if (record.Key == "size")
                {
                    if (!long.TryParse(record.Value.Span, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size))
                        throw Corrupt($"PAX size record of '{path}' is not a number", _position);
                    paxSizeSource = block;
                }
            }
        }

        var extensions = TarHeaderBlock.IsGnuSparse(type) && TarHeaderBlock.HasGnuSparseExtension(header)
            ? await ReadSparseExtensionsAsync(ct).ConfigureAwait(false)
            : [];

        if (TarHeaderBlock.IsHeaderOnlyType(type)) size = 0;
        _unreadData = size;
        _unreadPadding = Padding(size);
        return new RawTarEntry
        {
            Metadata = metadata,
            Header = header,
            HeaderExtensions = extensions,
            Path = path,
            TypeFlag = type,
            DataSize = size,
            PaxSizeSource = paxSizeSource,
        };
    }

    private async Task<byte[]> ReadSparseExtensionsAsync(CancellationToken ct)
    {
        using var blocks = new MemoryStream();
        var block = new byte[TarHeaderBlock.Size];
        do
        {
            await ReadExactlyAsync(block, ct).ConfigureAwait(false);
            blocks.Write(block);
        }
        while (TarHeaderBlock.ExtensionBlockContinues(block));
        return blocks.ToArray();
    }

    /// <summary>The next header block, or null at the end marker (a zero block, or a clean end of stream).</summary>
    private async Task<byte[]?> ReadHeaderAsync(CancellationToken ct)
    {
        long position = _position;
        var header = new byte[TarHeaderBlock.Size];
        int read = await tar.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        _position += read;
        if (read == 0) return null;
        if (read < header.Length) throw Corrupt("the archive is truncated inside a header", position);
        if (TarHeaderBlock.IsZeroBlock(header)) return null;
        if (!TarHeaderBlock.HasValidChecksum(header)) throw Corrupt("a header has a bad checksum (not a tar archive, or corrupt)", position);
        return header;
    }

    private async Task ReadExactlyAsync(Memory<byte> buffer, CancellationToken ct)
    {
        try
        {
            await tar.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"The tar archive is truncated (it ends inside an entry near byte {_position}).", ex);
        }
        _position += buffer.Length;
    }

    private async Task SkipAsync(long count, CancellationToken ct)
    {
        if (count == 0) return;
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            while (count > 0)
            {
                int chunk = (int)Math.Min(buffer.Length, count);
                await ReadExactlyAsync(buffer.AsMemory(0, chunk), ct).ConfigureAwait(false);
                count -= chunk;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static long Padding(long size) => (TarHeaderBlock.Size - (size % TarHeaderBlock.Size)) % TarHeaderBlock.Size;

    private static InvalidDataException Corrupt(string problem, long position) =>
        new($"Invalid tar archive: {problem} at byte {position}.");
}
