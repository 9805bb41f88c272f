using System.Buffers;
using System.Security.Cryptography;
using IncusBackup.Errors;
using IncusBackup.IO;
using IncusBackup.Repository;

namespace IncusBackup.Restore;

/// <summary>
/// Reads one file of a backup on its way to the server, hashing it as it passes, and holds back its last
/// <see cref="HoldBack"/> bytes until the whole file has been read and matched its checksum and size. On a mismatch
/// the read fails instead, so the upload breaks off before its end and the server never receives a complete archive:
/// the guarantee of a verifying pass before the upload, without reading the file twice.
/// </summary>
internal sealed class VerifyingReadStream : ForwardReadStream
{
    /// <summary>Bytes kept back until the checksum matches: more than any archive format's end marker and padding.</summary>
    internal const int HoldBack = 64 << 10;

    private readonly Stream _inner;
    private readonly BackupRecord _backup;
    private readonly string _name;
    private readonly string _expectedHash;
    private readonly long _expectedLength;
    private readonly string _nextStep;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _tail;
    private int _tailLength;
    private int _tailGiven;
    private long _given;

    /// <summary>What a restore's mismatch tells the operator: the upload broke off, the server imported nothing.</summary>
    internal const string RestoreNextStep =
        "Restore another version (Get-IncusBackup lists them); the upload was broken off before its end, so nothing was imported on the server.";

    /// <param name="nextStep">What to do about a mismatch, in the terms of the reader (a restore, a copy).</param>
    internal VerifyingReadStream(Stream inner, BackupRecord backup, ManifestFile file, string nextStep = RestoreNextStep)
    {
        _nextStep = nextStep;
        _inner = inner;
        _backup = backup;
        _name = file.Name;
        _expectedHash = file.Sha256.ToLowerInvariant();
        _expectedLength = file.Size;
    }

    /// <summary>Opens <paramref name="file"/> of the backup, checked against the sealed manifest's size and checksum.</summary>
    public static Task<VerifyingReadStream> OpenAsync(IBackupRepository repository, BackupRecord backup, ManifestFile file, CancellationToken ct) =>
        OpenAsync(repository, backup, file, RestoreNextStep, ct);

    /// <summary>As <see cref="OpenAsync(IBackupRepository, BackupRecord, ManifestFile, CancellationToken)"/>, with what to do about a mismatch.</summary>
    public static async Task<VerifyingReadStream> OpenAsync(IBackupRepository repository, BackupRecord backup, ManifestFile file, string nextStep, CancellationToken ct)
    {
        Stream inner;
        try
        {
            inner = await repository.OpenReadAsync(backup, file.Name, ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw BackupVerifier.Unreadable(backup, file.Name, e);
        }
        return new VerifyingReadStream(inner, backup, file, nextStep);
    }

    /// <summary>Why the file was refused (a mismatch or a read error), once it was.</summary>
    public IncusBackupException? Failure { get; private set; }

    /// <summary>True once the whole file was read and matched.</summary>
    public bool Verified => _tail is not null;

    public override long Length => _expectedLength;

    public override int Read(Span<byte> buffer)
    {
        var array = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = ReadAsync(array.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            array.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Failure is not null) throw Failure;
        if (buffer.IsEmpty) return 0;
        try
        {
            // Before the held-back part: straight through, hashed on the way.
            var straight = _expectedLength - HoldBack - _given;
            if (_tail is null && straight > 0)
            {
                var read = await _inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, straight)], cancellationToken).ConfigureAwait(false);
                if (read == 0) throw Mismatch($"it ends after {_given} bytes, not {_expectedLength}");
                _hash.AppendData(buffer.Span[..read]);
                _given += read;
                return read;
            }
            if (_tail is null) await ReadTailAsync(cancellationToken).ConfigureAwait(false);
            var count = Math.Min(buffer.Length, _tailLength - _tailGiven);
            _tail.AsSpan(_tailGiven, count).CopyTo(buffer.Span);
            _tailGiven += count;
            return count;
        }
        catch (IOException e)
        {
            Failure = BackupVerifier.Unreadable(_backup, _name, e);
            throw Failure;
        }
    }

    /// <summary>Reads the rest of the file (at most <see cref="HoldBack"/> bytes if its size is right) and checks the whole.</summary>
    private async Task ReadTailAsync(CancellationToken ct)
    {
        var tail = new byte[HoldBack + 1]; // one more, to see a file longer than it should be
        var length = 0;
        int read;
        while (length < tail.Length && (read = await _inner.ReadAsync(tail.AsMemory(length), ct).ConfigureAwait(false)) > 0) length += read;
        var size = _given + length;
        if (size != _expectedLength)
        {
            throw Mismatch(size > _expectedLength ? $"it is longer than its {_expectedLength} bytes" : $"it ends after {size} bytes, not {_expectedLength}");
        }
        _hash.AppendData(tail, 0, length);
        var actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
        if (actual != _expectedHash) throw Mismatch($"expected {_expectedHash}, found {actual}");
        (_tail, _tailLength) = (tail, length);
    }

    private IncusBackupException Mismatch(string detail)
    {
        Failure = new IncusBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
            $"'{_name}' of {_backup} does not match its checksum ({detail}): the file is corrupt or was changed.", _backup.ToString(), _nextStep);
        return Failure;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
