using Microsoft.Win32.SafeHandles;

namespace IncusBackup.IO;

/// <summary>
/// A file written front to back whose pages are sent to disk as it grows (every <see cref="WritebackChunk"/>),
/// instead of all at the fsync that makes a backup durable: the disk works while the download goes on, and that
/// fsync then waits for the last chunk only. Durability itself is unchanged: it is still the fsync that counts.
/// </summary>
internal sealed class WritebackFileStream(FileStream inner) : Stream
{
    /// <summary>Large enough that the calls cost nothing, small enough that little is left for the fsync.</summary>
    public const int WritebackChunk = 32 << 20;

    private long _written;
    private long _submitted;

    private SafeFileHandle Handle => inner.SafeFileHandle;

    public override bool CanRead => false;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => true;
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set
        {
            inner.Position = value;
            _written = _submitted = value;
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        Written(buffer.Length);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Written(buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void SetLength(long value)
    {
        inner.SetLength(value);
        _written = Math.Min(_written, value);
        _submitted = Math.Min(_submitted, value);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var position = inner.Seek(offset, origin);
        _written = _submitted = position;
        return position;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void Written(int count)
    {
        _written += count;
        if (_written - _submitted < WritebackChunk) return;
        Posix.StartWriteback(Handle, _submitted, _written - _submitted);
        _submitted = _written;
    }
}
