using System.Security.Cryptography;
using IncusBackup.Errors;
using IncusBackup.Repository;
using IncusBackup.Restore;
using Xunit;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>
/// The upload's check: bytes pass through unchanged, and the last 64 KiB are given out only once the whole file
/// matched its checksum and size; a damaged, short, long or unreadable file fails before its end is given out.
/// </summary>
public sealed class VerifyingReadStreamTests
{
    private static readonly BackupRecord Backup = new()
    {
        Kind = BackupKind.Instance, Project = "p", Name = "c1", Version = "20261203T000000Z", Timestamp = DateTimeOffset.UnixEpoch,
        Compression = "zstd", Sha256 = "", ArchiveName = "backup.tar.zst", Location = "instances/p/c1/20261203T000000Z", Repository = "/r",
    };

    private static byte[] Data(int size) => [.. Enumerable.Range(0, size).Select(i => (byte)(i * 7 + (i >> 9)))];

    private static ManifestFile Sealed(byte[] data) =>
        new() { Name = "backup.tar.zst", Size = data.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(data)) };

    /// <summary>Reads in odd-sized chunks; returns what was given out before the end or the failure.</summary>
    private static async Task<(byte[] Given, Exception? Failure)> DrainAsync(Stream stream, int chunk = 8191)
    {
        var given = new MemoryStream();
        var buffer = new byte[chunk];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0) given.Write(buffer, 0, read);
            return (given.ToArray(), null);
        }
        catch (Exception e)
        {
            return (given.ToArray(), e);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(VerifyingReadStream.HoldBack)]
    [InlineData((1 << 20) + 12345)]
    public async Task AnIntactFile_PassesThroughByteForByte(int size)
    {
        var data = Data(size);
        using var stream = new VerifyingReadStream(new MemoryStream(data), Backup, Sealed(data));

        var (given, failure) = await DrainAsync(stream);

        Assert.Null(failure);
        Assert.Equal(data, given);
        Assert.True(stream.Verified);
        Assert.Null(stream.Failure);
    }

    [Fact]
    public void SynchronousReads_PassThroughToo()
    {
        var data = Data(300_000);
        using var stream = new VerifyingReadStream(new MemoryStream(data), Backup, Sealed(data));
        using var copy = new MemoryStream();

        stream.CopyTo(copy, 4096);

        Assert.Equal(data, copy.ToArray());
    }

    [Theory]
    [InlineData(10)]
    [InlineData(600_000)]
    [InlineData((1 << 20) - 1)]
    public async Task AFlippedByte_AnywhereInTheFile_FailsBeforeTheLast64KiBAreGivenOut(int offset)
    {
        var data = Data(1 << 20);
        var seal = Sealed(data);
        data[offset] ^= 0x40;
        using var stream = new VerifyingReadStream(new MemoryStream(data), Backup, seal);

        var (given, failure) = await DrainAsync(stream);

        var e = Assert.IsType<IncusBackupException>(failure);
        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("'backup.tar.zst' of Instance p/c1@20261203T000000Z does not match its checksum (expected ", e.Message, StringComparison.Ordinal);
        Assert.Equal(data.Length - VerifyingReadStream.HoldBack, given.Length);
        Assert.Same(e, stream.Failure);
        Assert.Same(e, await Assert.ThrowsAsync<IncusBackupException>(() => stream.ReadAsync(new byte[10]).AsTask()));
    }

    [Fact]
    public async Task ASmallDamagedFile_GivesNothingOut()
    {
        var data = Data(5000);
        var seal = Sealed(data);
        data[0] ^= 1;
        using var stream = new VerifyingReadStream(new MemoryStream(data), Backup, seal);

        var (given, failure) = await DrainAsync(stream);

        Assert.Equal(ErrorIds.ChecksumMismatch, Assert.IsType<IncusBackupException>(failure).ErrorId);
        Assert.Empty(given);
    }

    [Theory]
    [InlineData(-1, "it ends after 199999 bytes, not 200000")]
    [InlineData(-150_000, "it ends after 50000 bytes, not 200000")]
    [InlineData(1, "it is longer than its 200000 bytes")]
    [InlineData(100_000, "it is longer than its 200000 bytes")]
    public async Task AFileOfAnotherSize_Fails_EvenWhenItsFirstBytesMatch(int change, string detail)
    {
        var data = Data(200_000);
        var seal = Sealed(data);
        var stored = change < 0 ? data[..(data.Length + change)] : [.. data, .. Data(change)];
        using var stream = new VerifyingReadStream(new MemoryStream(stored), Backup, seal);

        var (given, failure) = await DrainAsync(stream);

        var e = Assert.IsType<IncusBackupException>(failure);
        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains(detail, e.Message, StringComparison.Ordinal);
        Assert.True(given.Length <= data.Length - VerifyingReadStream.HoldBack);
    }

    [Fact]
    public async Task AReadError_IsBackupUnreadable_AndRemembered()
    {
        var data = Data(500_000);
        using var stream = new VerifyingReadStream(new FailingStream(data, failAt: 200_000), Backup, Sealed(data));

        var (given, failure) = await DrainAsync(stream);

        var e = Assert.IsType<IncusBackupException>(failure);
        Assert.Equal(ErrorIds.BackupUnreadable, e.ErrorId);
        Assert.Same(e, stream.Failure);
        Assert.True(given.Length <= 200_000);
    }

    /// <summary>A stream whose reads fail with an I/O error past <c>failAt</c>, as a bad disk's would.</summary>
    private sealed class FailingStream(byte[] data, int failAt) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            Position >= failAt ? throw new IOException("Input/output error") : base.Read(buffer, offset, Math.Min(count, failAt - (int)Position));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position >= failAt ? throw new IOException("Input/output error") : base.ReadAsync(buffer[..Math.Min(buffer.Length, failAt - (int)Position)], cancellationToken);
    }
}
