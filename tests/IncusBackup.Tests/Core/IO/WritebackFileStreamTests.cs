using System.Security.Cryptography;
using IncusBackup.IO;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Core.IO;

public sealed class WritebackFileStreamTests
{
    private static WritebackFileStream Create(string path) => new(new FileStream(path, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        BufferSize = 0,
        Options = FileOptions.Asynchronous,
    }));

    [Fact]
    public async Task WritesEveryByte_AcrossSeveralWritebackChunks()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "archive");
        var data = RandomNumberGenerator.GetBytes(WritebackFileStream.WritebackChunk * 2 + 12345);

        await using (var stream = Create(path))
        {
            for (var offset = 0; offset < data.Length; offset += 1 << 20)
                await stream.WriteAsync(data.AsMemory(offset, Math.Min(1 << 20, data.Length - offset)));
            Assert.Equal(data.Length, stream.Length);
        }

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(File.ReadAllBytes(path)));
    }

    [Fact]
    public async Task StartsOver_WhenADownloadIsReset()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "archive");
        var first = RandomNumberGenerator.GetBytes(WritebackFileStream.WritebackChunk + 1);
        var second = RandomNumberGenerator.GetBytes(1000);

        await using (var stream = Create(path))
        {
            await stream.WriteAsync(first);
            stream.SetLength(0);
            stream.Position = 0;
            stream.Write(second);
        }

        Assert.Equal(second, File.ReadAllBytes(path));
    }
}
