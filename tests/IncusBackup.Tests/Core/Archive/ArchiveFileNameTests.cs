using IncusBackup.Archive;
using Xunit;

namespace IncusBackup.Tests.Core.Archive;

/// <summary>How a backup's archive is named in the repository and in its manifest, from its magic bytes.</summary>
public sealed class ArchiveFileNameTests
{
    [Theory]
    [InlineData(new byte[] { 0x1f, 0x8b, 8 }, "gzip", "export.tar.gz")]
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0 }, "zstd", "export.tar.zst")]
    [InlineData(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }, "xz", "export.tar.xz")]
    [InlineData(new byte[] { 0x42, 0x5a, 0x68 }, "bzip2", "export.tar.bz2")]
    [InlineData(new byte[] { 0x04, 0x22, 0x4d, 0x18 }, "lz4", "export.tar.lz4")]
    [InlineData(new byte[] { 0x68, 0x73, 0x71, 0x73 }, "squashfs", "export.squashfs")]
    [InlineData(new byte[] { 0x5d, 0x00, 0x00, 0x80 }, "lzma", "export.tar.lzma")]
    [InlineData(new byte[] { 1, 2, 3 }, "unknown", "export.bin")]
    public void NamesFollowTheMagicBytes(byte[] head, string expectedName, string expectedFile)
    {
        var kind = ArchiveCompression.Detect(head);
        Assert.Equal(expectedName, ArchiveCompression.Name(kind));
        Assert.Equal(expectedFile, ArchiveCompression.ArchiveFileName("export", kind));
    }

    [Fact]
    public void PlainTar_IsNamedNoneWithTarExtension()
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(stream, leaveOpen: true))
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Directory, "backup/"));
        var kind = ArchiveCompression.Detect(stream.ToArray());
        Assert.Equal("none", ArchiveCompression.Name(kind));
        Assert.Equal("volume.tar", ArchiveCompression.ArchiveFileName("volume", kind));
    }
}
