using IncusBackup.Archive;
using Xunit;

namespace IncusBackup.Tests.Core.Archive;

public sealed class ArchiveCompressionTests
{
    [Theory]
    [InlineData("1f8b0800000000000003", CompressionKind.Gzip)]
    [InlineData("28b52ffd2058", CompressionKind.Zstd)]
    [InlineData("fd377a585a000004e6d6", CompressionKind.Xz)]
    [InlineData("425a683931415926", CompressionKind.Bzip2)]
    [InlineData("5d00008000ffffffff", CompressionKind.Lzma)]
    [InlineData("04224d186440a7", CompressionKind.Lz4)]
    [InlineData("68737173040000", CompressionKind.Squashfs)]
    [InlineData("fd377a585a01", CompressionKind.Unknown)] // xz magic needs its trailing NUL
    [InlineData("1f", CompressionKind.Unknown)]
    [InlineData("", CompressionKind.Unknown)]
    [InlineData("6e616d653a2061310a", CompressionKind.Unknown)] // "name: a1\n": a bare index.yaml
    public void Detect_recognises_each_magic(string headerHex, CompressionKind expected) =>
        Assert.Equal(expected, ArchiveCompression.Detect(Convert.FromHexString(headerHex)));

    [Fact]
    public void Detect_recognises_a_plain_tar_by_ustar_at_offset_257()
    {
        var tar = TestArchives.PlainTar(("backup/index.yaml", "name: a1\n"));

        Assert.Equal(CompressionKind.None, ArchiveCompression.Detect(tar));
        Assert.Equal(CompressionKind.None, ArchiveCompression.Detect(tar.AsSpan(0, 262)));
        Assert.Equal(CompressionKind.Unknown, ArchiveCompression.Detect(tar.AsSpan(0, 261)));
    }

    [Fact]
    public void Detect_prefers_the_tar_magic_over_the_short_bzip2_and_lzma_magics()
    {
        Assert.Equal(CompressionKind.None, ArchiveCompression.Detect(TestArchives.PlainTar(("BZh-looks-like-bzip2", "x"))));
        Assert.Equal(CompressionKind.None, ArchiveCompression.Detect(TestArchives.PlainTar(("]\0\0", "x"))));
    }

    [Theory]
    [InlineData(CompressionKind.None, "tar")]
    [InlineData(CompressionKind.Gzip, "tar.gz")]
    [InlineData(CompressionKind.Zstd, "tar.zst")]
    [InlineData(CompressionKind.Xz, "tar.xz")]
    [InlineData(CompressionKind.Bzip2, "tar.bz2")]
    [InlineData(CompressionKind.Lzma, "tar.lzma")]
    [InlineData(CompressionKind.Lz4, "tar.lz4")]
    [InlineData(CompressionKind.Squashfs, "squashfs")]
    public void FileExtension_matches_the_format(CompressionKind kind, string extension) =>
        Assert.Equal(extension, ArchiveCompression.FileExtension(kind));

    [Fact]
    public void FileExtension_rejects_unknown() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ArchiveCompression.FileExtension(CompressionKind.Unknown));

    [Theory]
    [InlineData(CompressionKind.None)]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.Zstd)]
    [InlineData(CompressionKind.Xz)]
    [InlineData(CompressionKind.Bzip2)]
    [InlineData(CompressionKind.Lzma)]
    [InlineData(CompressionKind.Lz4)]
    public void OpenDecompress_round_trips_from_a_forward_only_stream(CompressionKind kind)
    {
        var payload = TestArchives.RandomBytes(new Random(7), 1_500_000);
        var compressed = TestArchives.Compress(payload, kind);
        if (kind != CompressionKind.None) Assert.Equal(kind, ArchiveCompression.Detect(compressed));

        using var source = new ForwardOnlyStream(new MemoryStream(compressed));
        using var output = new MemoryStream();
        using (var decompressed = ArchiveCompression.OpenDecompress(source, kind, leaveOpen: true)) decompressed.CopyTo(output);

        Assert.Equal(payload, output.ToArray());
        Assert.False(source.IsDisposed);
    }

    [Fact]
    public async Task OpenDecompress_reads_async_through_an_external_tool()
    {
        var payload = TestArchives.RandomBytes(new Random(8), 700_000);
        await using var decompressed = ArchiveCompression.OpenDecompress(
            new MemoryStream(TestArchives.Compress(payload, CompressionKind.Xz)), CompressionKind.Xz);
        using var output = new MemoryStream();

        await decompressed.CopyToAsync(output);

        Assert.Equal(payload, output.ToArray());
    }

    [Fact]
    public void OpenDecompress_disposes_the_source_unless_asked_to_leave_it_open()
    {
        var compressed = TestArchives.Compress("hello"u8.ToArray(), CompressionKind.Xz);
        var source = new ForwardOnlyStream(new MemoryStream(compressed));

        ArchiveCompression.OpenDecompress(source, CompressionKind.Xz).Dispose();

        Assert.True(source.IsDisposed);
    }

    [Fact]
    public void A_failing_external_tool_surfaces_as_IOException_with_its_stderr()
    {
        byte[] notXz = [.. Convert.FromHexString("fd377a585a00"), .. TestArchives.RandomBytes(new Random(1), 4096)];
        using var decompressed = ArchiveCompression.OpenDecompress(new MemoryStream(notXz), CompressionKind.Xz);

        var error = Assert.Throws<IOException>(() => decompressed.CopyTo(Stream.Null));

        Assert.Contains("xz -dc", error.Message);
        Assert.Contains("exit code", error.Message);
        // xz's own words, taken from its stderr.
        Assert.Contains("xz:", error.Message);
    }

    [Fact]
    public void Disposing_an_external_stream_early_stops_the_tool_promptly()
    {
        // Incompressible data, so the tool would block on its full stdout pipe if nobody stopped it.
        var compressed = TestArchives.Compress(TestArchives.RandomBytes(new Random(2), 8 * 1024 * 1024), CompressionKind.Xz);
        var decompressed = ArchiveCompression.OpenDecompress(new MemoryStream(compressed), CompressionKind.Xz);
        decompressed.ReadExactly(new byte[1024]);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        decompressed.Dispose();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"Dispose took {watch.Elapsed}");
    }

    [Theory]
    [InlineData(CompressionKind.Squashfs)]
    [InlineData(CompressionKind.Unknown)]
    public void OpenDecompress_rejects_what_is_not_a_tarball(CompressionKind kind) =>
        Assert.Throws<InvalidDataException>(() => ArchiveCompression.OpenDecompress(new MemoryStream([1, 2, 3]), kind));
}
