using System.Text;
using IncusBackup.Archive;
using Xunit;

namespace IncusBackup.Tests.Core.Archive;

public sealed class BackupIndexTests
{
    [Theory]
    [InlineData(CompressionKind.None)]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.Zstd)]
    [InlineData(CompressionKind.Xz)]
    public void ReadIndex_returns_the_fields_of_a_container_backup(CompressionKind kind)
    {
        var archive = TestArchives.Compress(TestArchives.Container(), kind);
        using var source = new ForwardOnlyStream(new MemoryStream(archive));

        var index = BackupIndex.ReadIndex(source);

        Assert.Equal("a1", index.Name);
        Assert.Equal("dir", index.Backend);
        Assert.Equal("default", index.Pool);
        Assert.Equal("container", index.Type);
        Assert.Equal(BackupType.Container, index.Kind);
        Assert.True(index.IsInstance);
        Assert.Equal(["s1"], index.Snapshots);
        Assert.False(index.Optimized);
        Assert.False(index.OptimizedHeader);
        Assert.Equal("scratch", index.Project);
        Assert.Equal(IncusYamlFixtures.ContainerIndexYaml(), index.RawYaml);
        Assert.False(source.IsDisposed);
    }

    [Fact]
    public void ReadIndex_lists_what_the_backup_refers_to()
    {
        var index = BackupIndex.ReadIndex(new MemoryStream(TestArchives.Container()));

        Assert.Equal(["default", "fast"], index.References.Pools);
        Assert.Equal(["incusbr0"], index.References.Networks);
        Assert.Equal(["eth0", "incusbr0"], index.References.NicParents);
        Assert.Equal(["default", "extra"], index.References.Profiles);
        Assert.Equal(["scratch"], index.References.Projects);
    }

    [Fact]
    public async Task ReadIndexAsync_reads_a_custom_volume_backup()
    {
        var archive = TestArchives.Compress(TestArchives.CustomVolume(), CompressionKind.Zstd);

        var index = await BackupIndex.ReadIndexAsync(new MemoryStream(archive), CancellationToken.None);

        Assert.Equal("v1", index.Name);
        Assert.Equal(BackupType.Custom, index.Kind);
        Assert.False(index.IsInstance);
        Assert.Equal(["vs1"], index.Snapshots);
        Assert.Equal("scratch", index.Project);
        Assert.Equal(["default"], index.References.Pools);
    }

    [Theory]
    [InlineData(CompressionKind.None)]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.Zstd)]
    public void ReadIndex_stops_after_the_first_entry(CompressionKind kind)
    {
        // 8 MiB of incompressible data after index.yaml: reading it all would show in the byte count.
        var archive = TestArchives.Compress(TestArchives.Container(largeFileSize: 8 * 1024 * 1024), kind);
        using var source = new ForwardOnlyStream(new MemoryStream(archive));

        BackupIndex.ReadIndex(source);

        Assert.True(source.BytesRead < 512 * 1024, $"read {source.BytesRead} of {archive.Length} bytes");
    }

    [Fact]
    public void ReadIndex_stops_the_external_tool_after_the_first_entry()
    {
        var archive = TestArchives.Compress(TestArchives.Container(largeFileSize: 8 * 1024 * 1024), CompressionKind.Xz);
        using var source = new ForwardOnlyStream(new MemoryStream(archive));

        Assert.Equal("a1", BackupIndex.ReadIndex(source).Name);
        Assert.True(source.BytesRead < archive.Length, $"read {source.BytesRead} of {archive.Length} bytes");
    }

    // Rows are names, not byte arrays: xunit serialises theory data at discovery, which is slow for megabytes.
    private static byte[] NotTarball(string what) => what switch
    {
        "empty" => [],
        "random bytes" => TestArchives.RandomBytes(new Random(3), 4096),
        "bare YAML" => Encoding.UTF8.GetBytes(IncusYamlFixtures.ContainerIndexYaml()),
        "gzip of YAML" => TestArchives.Compress(Encoding.UTF8.GetBytes(IncusYamlFixtures.ContainerIndexYaml()), CompressionKind.Gzip),
        "zstd of YAML" => TestArchives.Compress(Encoding.UTF8.GetBytes(IncusYamlFixtures.ContainerIndexYaml()), CompressionKind.Zstd),
        "truncated tar header" => TestArchives.Container()[..300],
        "truncated index data" => TestArchives.Container()[..1000],
        "tar with a broken header checksum" => CorruptChecksum(TestArchives.Container()),
        "gzip corrupt at the start" => Corrupt(TestArchives.Compress(TestArchives.Container(), CompressionKind.Gzip), at: 30),
        "zstd corrupt at the start" => Corrupt(TestArchives.Compress(TestArchives.Container(), CompressionKind.Zstd), at: 20),
        "squashfs" => [.. "hsqs"u8, .. new byte[600]],
        _ => throw new ArgumentOutOfRangeException(nameof(what)),
    };

    [Theory]
    [InlineData("empty")]
    [InlineData("random bytes")]
    [InlineData("bare YAML")]
    [InlineData("gzip of YAML")]
    [InlineData("zstd of YAML")]
    [InlineData("truncated tar header")]
    [InlineData("truncated index data")]
    [InlineData("tar with a broken header checksum")]
    [InlineData("gzip corrupt at the start")]
    [InlineData("zstd corrupt at the start")]
    [InlineData("squashfs")]
    public void ReadIndex_rejects_what_is_not_a_backup_tarball(string what)
    {
        var error = Assert.Throws<InvalidDataException>(() => BackupIndex.ReadIndex(new MemoryStream(NotTarball(what))));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void ReadIndex_names_the_entry_found_instead_of_index_yaml()
    {
        var archive = TestArchives.PlainTar(("backup/container/backup.yaml", IncusYamlFixtures.ContainerBackupYaml), ("backup/index.yaml", "name: a1\ntype: container\n"));

        var error = Assert.Throws<InvalidDataException>(() => BackupIndex.ReadIndex(new MemoryStream(archive)));

        Assert.Contains("backup/container/backup.yaml", error.Message);
        Assert.Contains("backup/index.yaml", error.Message);
    }

    [Fact]
    public void Parse_requires_name_and_type()
    {
        Assert.Throws<InvalidDataException>(() => BackupIndex.Parse("backend: dir\ntype: container\n"));
        Assert.Throws<InvalidDataException>(() => BackupIndex.Parse("name: a1\nbackend: dir\n"));
        Assert.Throws<InvalidDataException>(() => BackupIndex.Parse("- not\n- a mapping\n"));
    }

    [Fact]
    public void Parse_keeps_an_unknown_type_and_reads_the_optimized_flags()
    {
        var index = BackupIndex.Parse("name: b\ntype: bucket\noptimized: true\noptimized_header: true\n");

        Assert.Equal("bucket", index.Type);
        Assert.Equal(BackupType.Unknown, index.Kind);
        Assert.False(index.IsInstance);
        Assert.True(index.Optimized);
        Assert.True(index.OptimizedHeader);
        Assert.Empty(index.Snapshots);
        Assert.Null(index.Project);
    }

    private static byte[] CorruptChecksum(byte[] tar)
    {
        var copy = tar.ToArray();
        copy[0] ^= 0x20; // the first header's name changes, its stored checksum does not
        return copy;
    }

    internal static byte[] Corrupt(byte[] data, int at)
    {
        var copy = data.ToArray();
        for (int i = at; i < at + 64 && i < copy.Length; i++) copy[i] ^= 0x5a;
        return copy;
    }
}
