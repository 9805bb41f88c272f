namespace IncusBackup.Archive;

/// <summary>
/// Writes tar blocks to a destination it does not own, coalescing the many small header writes into larger ones
/// (the destination may be an HTTP upload).
/// </summary>
internal sealed class RawTarWriter(Stream destination)
{
    private const int BufferSize = 64 * 1024;
    private static readonly byte[] ZeroBlock = new byte[TarHeaderBlock.Size];

    private readonly byte[] _buffer = new byte[BufferSize];
    private int _buffered;

    public long BytesWritten { get; private set; }

    /// <summary>A stream view for copying entry data straight through this writer.</summary>
    public Stream AsStream() => new WriterStream(this);

    /// <summary>Everything that precedes an entry's data: its metadata blocks (each padded) and its header blocks.</summary>
    public async Task WriteEntryHeadersAsync(IEnumerable<TarMetadataBlock> metadata, byte[] header, byte[] headerExtensions, CancellationToken ct)
    {
        foreach (var block in metadata)
        {
            await WriteAsync(block.Header, ct).ConfigureAwait(false);
            await WriteAsync(block.Data, ct).ConfigureAwait(false);
            await WritePaddingAsync(block.Data.Length, ct).ConfigureAwait(false);
        }
        await WriteAsync(header, ct).ConfigureAwait(false);
        await WriteAsync(headerExtensions, ct).ConfigureAwait(false);
    }

    public Task WritePaddingAsync(long dataSize, CancellationToken ct) =>
        WriteAsync(ZeroBlock.AsMemory(0, (int)RawTarReader.Padding(dataSize)), ct);

    /// <summary>The end-of-archive marker (two zero blocks), then a flush.</summary>
    public async Task WriteEndAsync(CancellationToken ct)
    {
        await WriteAsync(ZeroBlock, ct).ConfigureAwait(false);
        await WriteAsync(ZeroBlock, ct).ConfigureAwait(false);
        await FlushAsync(ct).ConfigureAwait(false);
        await destination.FlushAsync(ct).ConfigureAwait(false);
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        BytesWritten += data.Length;
        if (data.Length > _buffer.Length - _buffered)
        {
            await FlushAsync(ct).ConfigureAwait(false);
            if (data.Length >= _buffer.Length)
            {
                await destination.WriteAsync(data, ct).ConfigureAwait(false);
                return;
            }
        }
        data.CopyTo(_buffer.AsMemory(_buffered));
        _buffered += data.Length;
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        if (_buffered == 0) return;
        await destination.WriteAsync(_buffer.AsMemory(0, _buffered), ct).ConfigureAwait(false);
        _buffered = 0;
    }

    private sealed class WriterStream(RawTarWriter writer) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(writer.WriteAsync(buffer, cancellationToken));

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            writer.WriteAsync(buffer.AsMemory(offset, count), cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) =>
            writer.WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).GetAwaiter().GetResult();

        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
