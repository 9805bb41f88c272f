using System.Security.Cryptography;
using IncusBackup.IO;
using Xunit;

namespace IncusBackup.Tests.Core.IO;

public sealed class HashingStreamTests
{
    [Fact]
    public async Task HashesWhatPassesThrough_KeepsTheHead_AndCountsBytes()
    {
        var data = RandomNumberGenerator.GetBytes(3000);
        var sink = new MemoryStream();
        await using var hashing = new HashingStream(sink, headLength: 16);

        await hashing.WriteAsync(data.AsMemory(0, 10));
        hashing.Write(data, 10, 2990);
        var sha = await hashing.CompleteAsync(CancellationToken.None);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), sha);
        Assert.Equal(data, sink.ToArray());
        Assert.Equal(3000, hashing.Length);
        Assert.Equal(data[..16], hashing.Head.ToArray());
    }

    [Fact]
    public async Task Reset_StartsOver_OnASeekableDestination()
    {
        var sink = new MemoryStream();
        await using var hashing = new HashingStream(sink);
        await hashing.WriteAsync(new byte[] { 9, 9, 9 });

        hashing.Reset();
        await hashing.WriteAsync(new byte[] { 1, 2 });

        Assert.Equal([1, 2], sink.ToArray());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2 })), await hashing.CompleteAsync(CancellationToken.None));
        Assert.Equal([1, 2], hashing.Head.ToArray());
    }

    [Fact]
    public async Task Reset_OnAStreamThatCannotGoBack_SaysSo()
    {
        await using var hashing = new HashingStream(new NonSeekableSink());
        await hashing.WriteAsync(new byte[] { 1 });
        Assert.Throws<NotSupportedException>(hashing.Reset);
    }

    private sealed class NonSeekableSink : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
