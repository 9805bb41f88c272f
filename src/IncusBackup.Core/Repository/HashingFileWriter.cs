using System.Security.Cryptography;

namespace IncusBackup.Repository;

/// <summary>
/// Writes a file while computing its sha256 in the same pass, so a multi-gigabyte archive is never read twice.
/// Supports resuming: <see cref="Length"/> tells the caller where to continue a ranged download.
/// </summary>
public sealed class HashingFileWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _head = new byte[Archive.ArchiveCompression.HeaderLength];
    private int _headLength;

    public HashingFileWriter(string path)
    {
        Path = path;
        _file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = 0,
            Options = FileOptions.Asynchronous,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
    }

    public string Path { get; }
    public long Length { get; private set; }

    /// <summary>The first bytes written, for compression detection.</summary>
    public ReadOnlySpan<byte> Head => _head.AsSpan(0, _headLength);

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _file.WriteAsync(data, ct).ConfigureAwait(false);
        _hash.AppendData(data.Span);
        if (_headLength < _head.Length)
        {
            var take = Math.Min(_head.Length - _headLength, data.Length);
            data.Span[..take].CopyTo(_head.AsSpan(_headLength));
            _headLength += take;
        }
        Length += data.Length;
    }

    /// <summary>Throws away everything written (a server that ignored our Range request sends the whole file again).</summary>
    public void Reset()
    {
        _file.SetLength(0);
        _file.Position = 0;
        _hash.GetHashAndReset();
        _headLength = 0;
        Length = 0;
    }

    /// <summary>Flushes to disk (fsync) and returns the lowercase hex sha256.</summary>
    public string Complete()
    {
        _file.Flush(flushToDisk: true);
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public void Dispose()
    {
        _file.Dispose();
        _hash.Dispose();
    }
}
