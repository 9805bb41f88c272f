using System.Security.Cryptography;

namespace IncusBackup.IO;

/// <summary>
/// A read-only pass-through stream that hashes (sha256, and optionally a second running hash) everything read
/// through it, counts the bytes, and remembers a failure to read the source, so one pass over a file both feeds a
/// decompressor and proves the file against its checksum.
/// </summary>
internal sealed class HashingReadStream(Stream inner, IncrementalHash? alsoInto, Action<int>? read) : ForwardReadStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The I/O error reading the source threw, if it did.</summary>
    public IOException? ReadFailure { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        try
        {
            var count = inner.Read(buffer);
            Account(buffer[..count]);
            return count;
        }
        catch (IOException e)
        {
            ReadFailure = e;
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            var count = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            Account(buffer.Span[..count]);
            return count;
        }
        catch (IOException e)
        {
            ReadFailure = e;
            throw;
        }
    }

    /// <summary>Reads what nobody has read yet, so the hash covers the whole file.</summary>
    public async Task DrainAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (await ReadAsync(buffer, ct).ConfigureAwait(false) > 0)
        {
        }
    }

    /// <summary>The sha256 of everything read (call once, after the end).</summary>
    public string Sha256() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    private void Account(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        _hash.AppendData(data);
        alsoInto?.AppendData(data);
        BytesRead += data.Length;
        read?.Invoke(data.Length);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
