using System.Security.Cryptography;

namespace IncusBackup.IO;

/// <summary>
/// A write-through stream that computes the sha256 of what passes through it and keeps its first bytes, so a
/// multi-gigabyte archive is hashed in the same pass that writes it and never read twice. It wraps whatever a
/// backend hands out (a file today; an upload or an encrypting stream later).
/// </summary>
public sealed class HashingStream(Stream inner, int headLength = 512) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _head = new byte[headLength];
    private int _headLength;
    private long _written;

    /// <summary>Bytes written so far: where a resumed download continues.</summary>
    public override long Length => _written;

    /// <summary>The first bytes written, for compression detection.</summary>
    public ReadOnlySpan<byte> Head => _head.AsSpan(0, _headLength);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;

    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        Account(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>
    /// Hashes the buffer while the inner stream writes it: a file's asynchronous write runs on another thread, so
    /// the hash and the copy into the page cache overlap instead of taking turns (both cost about a second per GiB).
    /// </summary>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var write = inner.WriteAsync(buffer, cancellationToken);
        Account(buffer.Span);
        await write.ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Throws away everything written (a server that ignored our Range request sends the whole file again).</summary>
    /// <exception cref="NotSupportedException">The underlying stream cannot go back to its start.</exception>
    public void Reset()
    {
        if (!inner.CanSeek) throw new NotSupportedException("This backup's destination cannot start over.");
        inner.SetLength(0);
        inner.Position = 0;
        _hash.GetHashAndReset();
        _headLength = 0;
        _written = 0;
    }

    /// <summary>Flushes the underlying stream and returns the lowercase hex sha256 of everything written.</summary>
    public async Task<string> CompleteAsync(CancellationToken ct)
    {
        await inner.FlushAsync(ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }

    private void Account(ReadOnlySpan<byte> data)
    {
        _hash.AppendData(data);
        if (_headLength < _head.Length)
        {
            var take = Math.Min(_head.Length - _headLength, data.Length);
            data[..take].CopyTo(_head.AsSpan(_headLength));
            _headLength += take;
        }
        _written += data.Length;
    }
}
