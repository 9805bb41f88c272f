using IncusBackup.Archive;
using Xunit;

namespace IncusBackup.Tests.Core;

/// <summary>How the repository names an archive (manifest compression and file extension) from its magic bytes.</summary>
public sealed class CompressionMagicTests
{
    private static (string Name, string Extension) Naming(ReadOnlySpan<byte> head)
    {
        var kind = ArchiveCompression.Detect(head);
        return (ArchiveCompression.Name(kind), kind == CompressionKind.Unknown ? "bin" : ArchiveCompression.FileExtension(kind));
    }

    [Theory]
    [InlineData(new byte[] { 0x1f, 0x8b, 8 }, "gzip", "tar.gz")]
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0 }, "zstd", "tar.zst")]
    [InlineData(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }, "xz", "tar.xz")]
    [InlineData(new byte[] { 0x42, 0x5a, 0x68 }, "bzip2", "tar.bz2")]
    [InlineData(new byte[] { 0x04, 0x22, 0x4d, 0x18 }, "lz4", "tar.lz4")]
    [InlineData(new byte[] { 0x68, 0x73, 0x71, 0x73 }, "squashfs", "squashfs")]
    [InlineData(new byte[] { 0x5d, 0x00, 0x00, 0x80 }, "lzma", "tar.lzma")]
    [InlineData(new byte[] { 1, 2, 3 }, "unknown", "bin")]
    public void NamesFollowTheMagicBytes(byte[] head, string expected, string extension) =>
        Assert.Equal((expected, extension), Naming(head));

    [Fact]
    public void PlainTar_IsNamedNoneWithTarExtension()
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(stream, leaveOpen: true))
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Directory, "backup/"));
        Assert.Equal(("none", "tar"), Naming(stream.ToArray()));
    }
}
