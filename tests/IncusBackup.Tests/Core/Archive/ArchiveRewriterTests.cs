using System.Formats.Tar;
using System.Text;
using IncusBackup.Archive;
using Xunit;
using static IncusBackup.Tests.Core.Archive.YamlProbe;

namespace IncusBackup.Tests.Core.Archive;

public sealed class ArchiveRewriterTests
{
    private static readonly string[] InstanceYamlEntries =
        ["backup/index.yaml", "backup/snapshots/s1/backup.yaml", "backup/container/backup.yaml"];

    private static readonly RestoreMapping FullMapping = new()
    {
        Pools = new Dictionary<string, string> { ["default"] = "pool2" },
        Networks = new Dictionary<string, string> { ["incusbr0"] = "br1" },
        Profiles = new Dictionary<string, string> { ["extra"] = "web" },
        Projects = new Dictionary<string, string> { ["scratch"] = "prod" },
        NewName = "b1",
    };

    private static async Task<(byte[] Output, RewriteSummary Summary)> RewriteAsync(byte[] archive, RestoreMapping mapping)
    {
        using var source = new ForwardOnlyStream(new MemoryStream(archive));
        using var destination = new MemoryStream();
        var summary = await ArchiveRewriter.RewriteAsync(source, destination, mapping, CancellationToken.None);
        Assert.False(source.IsDisposed);
        return (destination.ToArray(), summary);
    }

    [Theory]
    [InlineData(CompressionKind.None)]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.Zstd)]
    [InlineData(CompressionKind.Xz)]
    public async Task Rewrite_changes_only_the_yaml_and_copies_every_other_entry_byte_for_byte(CompressionKind kind)
    {
        var plain = TestArchives.Container();

        var (output, summary) = await RewriteAsync(TestArchives.Compress(plain, kind), FullMapping);

        Assert.Equal(CompressionKind.None, ArchiveCompression.Detect(output));
        Assert.Equal(kind, summary.SourceCompression);
        var before = TarSplitter.Split(plain);
        var after = TarSplitter.Split(output);
        Assert.Equal(before.Select(entry => entry.Path), after.Select(entry => entry.Path));
        Assert.Equal("backup/index.yaml", after[0].Path);
        foreach (var (original, copied) in before.Zip(after).Where(pair => !InstanceYamlEntries.Contains(pair.First.Path)))
            Assert.True(original.Raw.AsSpan().SequenceEqual(copied.Raw), $"{original.Path} changed");
        Assert.Equal(InstanceYamlEntries.Order(), summary.RewrittenEntries.Order());
        Assert.Equal(before.Count, summary.EntryCount);
        Assert.Equal(output.Length, summary.BytesWritten);
    }

    [Fact]
    public async Task Rewrite_applies_the_mapping_to_every_instance_yaml()
    {
        var (output, summary) = await RewriteAsync(TestArchives.Compress(TestArchives.Container(), CompressionKind.Gzip), FullMapping);
        var files = ReadFiles(output);

        string index = files["backup/index.yaml"];
        Assert.Equal("b1", Value(index, "name"));
        Assert.Equal("pool2", Value(index, "pool"));
        Assert.Equal("pool2", Value(index, "config", "container", "expanded_devices", "root", "pool"));
        Assert.Equal("fast", Value(index, "config", "container", "devices", "cache", "pool"));

        string container = files["backup/container/backup.yaml"];
        Assert.Equal("b1", Value(container, "container", "name"));
        Assert.Equal("prod", Value(container, "container", "project"));
        Assert.Equal(["default", "web"], Values(container, "container", "profiles"));
        Assert.Equal("br1", Value(container, "container", "expanded_devices", "eth0", "network"));
        Assert.Equal("eth0", Value(container, "container", "devices", "eth1", "parent"));
        Assert.Equal("s1", Value(container, "snapshots", "0", "name"));
        Assert.Equal("kept", Value(container, "future_key", "nested"));

        string snapshot = files["backup/snapshots/s1/backup.yaml"];
        Assert.Equal("b1", Value(snapshot, "container", "name"));
        Assert.Equal("pool2", Value(snapshot, "container", "expanded_devices", "root", "pool"));
        Assert.Equal("web", Value(snapshot, "profiles", "0", "name"));
        Assert.Equal("pool2", Value(snapshot, "pool", "name"));

        // A file of the same name inside the rootfs is user data.
        Assert.Equal("pool: default\nname: a1\n", files["backup/container/rootfs/etc/backup.yaml"]);
        Assert.Contains("instance a1: expanded device root: pool default -> pool2", summary.Changes);
        Assert.Contains("instance a1: profile extra -> web", summary.Changes);
        Assert.Empty(summary.Warnings);
        Assert.Equal("a1", summary.Index.Name);
    }

    [Fact]
    public async Task Rewritten_entries_keep_every_header_field_but_size()
    {
        var (output, _) = await RewriteAsync(TestArchives.Container(), FullMapping);
        var before = ReadEntries(TestArchives.Container());
        var after = ReadEntries(output);

        foreach (string path in InstanceYamlEntries)
        {
            var (original, rewritten) = (before[path], after[path]);
            Assert.Equal(original.EntryType, rewritten.EntryType);
            Assert.Equal(original.Format, rewritten.Format);
            Assert.Equal(original.Mode, rewritten.Mode);
            Assert.Equal(original.Uid, rewritten.Uid);
            Assert.Equal(original.Gid, rewritten.Gid);
            Assert.Equal(original.ModificationTime, rewritten.ModificationTime);
            Assert.Equal(((PosixTarEntry)original).UserName, ((PosixTarEntry)rewritten).UserName);
            Assert.NotEqual(original.Length, rewritten.Length);
        }
        Assert.Equal(UnixFileMode.UserRead, after["backup/container/backup.yaml"].Mode);
    }

    [Fact]
    public async Task Output_reads_back_with_dotnet_TarReader_with_owners_modes_links_and_xattrs_intact()
    {
        var (output, _) = await RewriteAsync(TestArchives.Compress(TestArchives.Container(), CompressionKind.Zstd), FullMapping);
        var before = ReadEntries(TestArchives.Container());
        var after = ReadEntries(output);

        Assert.Equal(before.Keys, after.Keys);
        foreach (var (path, original) in before.Where(pair => !InstanceYamlEntries.Contains(pair.Key)))
        {
            var copied = after[path];
            Assert.Equal(original.EntryType, copied.EntryType);
            Assert.Equal(original.Uid, copied.Uid);
            Assert.Equal(original.Gid, copied.Gid);
            Assert.Equal(original.Mode, copied.Mode);
            Assert.Equal(original.ModificationTime, copied.ModificationTime);
            Assert.Equal(original.LinkName, copied.LinkName);
            Assert.Equal(Data(original), Data(copied));
            if (original is PaxTarEntry pax) Assert.Equal(pax.ExtendedAttributes, ((PaxTarEntry)copied).ExtendedAttributes);
            if (original is PosixTarEntry { EntryType: TarEntryType.CharacterDevice } device)
                Assert.Equal((device.DeviceMajor, device.DeviceMinor), (((PosixTarEntry)copied).DeviceMajor, ((PosixTarEntry)copied).DeviceMinor));
        }
        Assert.Equal(TestArchives.HostRootUid, after["backup/container/rootfs/bin/busybox"].Uid);
        Assert.Equal("hello", ((PaxTarEntry)after["backup/container/rootfs/bin/busybox"]).ExtendedAttributes["SCHILY.xattr.user.test"]);
        Assert.Equal("busybox", after["backup/container/rootfs/bin/sh"].LinkName);
        Assert.Equal(TarEntryFormat.Gnu, after[TestArchives.GnuLongPath].Format);
    }

    [Fact]
    public async Task Binary_xattrs_and_non_utf8_names_survive_exactly()
    {
        var (output, _) = await RewriteAsync(TestArchives.Compress(TestArchives.Container(), CompressionKind.Gzip), FullMapping);

        // What Incus writes for `setcap cap_setuid,cap_setgid+ep`: TarReader would turn the 0xc0 into EF BF BD.
        byte[] capability = [.. RawTarBlocks.PaxRecord("SCHILY.xattr.security.capability", TestArchives.CapabilityXattr)];
        Assert.True(output.AsSpan().IndexOf(capability) >= 0);
        Assert.True(output.AsSpan().IndexOf(RawTarBlocks.PaxRecord("path", TestArchives.NonUtf8Path)) >= 0);
        Assert.Contains(TarSplitter.Split(output), entry => entry.Path == Encoding.Latin1.GetString(TestArchives.NonUtf8Path));
    }

    [Fact]
    public async Task An_empty_mapping_reproduces_the_decompressed_input_exactly()
    {
        var plain = TestArchives.Container();

        var (output, summary) = await RewriteAsync(TestArchives.Compress(plain, CompressionKind.Gzip), RestoreMapping.None);

        Assert.Equal(plain, output);
        Assert.Empty(summary.Changes);
        Assert.Empty(summary.RewrittenEntries);
    }

    [Fact]
    public async Task A_custom_volume_gets_only_its_index_rewritten()
    {
        var plain = TestArchives.CustomVolume();
        var mapping = FullMapping with { TargetPool = "pool3" };

        var (output, summary) = await RewriteAsync(TestArchives.Compress(plain, CompressionKind.Zstd), mapping);

        var files = ReadFiles(output);
        Assert.Equal("b1", Value(files["backup/index.yaml"], "name"));
        Assert.Equal("pool3", Value(files["backup/index.yaml"], "pool"));
        Assert.Equal("prod", Value(files["backup/index.yaml"], "config", "volume", "project"));
        // The volume's content is the user's, even when it looks like Incus config.
        Assert.Equal(IncusYamlFixtures.ContainerBackupYaml, files["backup/volume/backup.yaml"]);
        Assert.Equal(["backup/index.yaml"], summary.RewrittenEntries);
        Assert.Equal(TarSplitter.Split(plain)[1..].Select(entry => entry.Raw), TarSplitter.Split(output)[1..].Select(entry => entry.Raw));
    }

    [Fact]
    public async Task A_pax_size_record_on_a_rewritten_entry_is_dropped_and_other_records_kept()
    {
        var (output, _) = await RewriteAsync(TestArchives.Container(paxSizeOnBackupYaml: true), FullMapping);

        var entry = (PaxTarEntry)ReadEntries(output)["backup/container/backup.yaml"];
        Assert.False(entry.ExtendedAttributes.ContainsKey("size"));
        Assert.Equal("yes", entry.ExtendedAttributes["SCHILY.xattr.user.kept"]);
        Assert.Equal("b1", Value(Encoding.UTF8.GetString(Data(entry)), "container", "name"));
        // The following entries are still found where they should be.
        Assert.Equal(TarSplitter.Split(TestArchives.Container()).Select(e => e.Path), TarSplitter.Split(output).Select(e => e.Path));
    }

    [Fact]
    public async Task Sizes_from_pax_records_and_base256_fields_are_honoured()
    {
        var index = Encoding.UTF8.GetBytes(IncusYamlFixtures.ContainerIndexYaml());
        var first = TestArchives.RandomBytes(new Random(5), 70_000);
        var second = TestArchives.RandomBytes(new Random(6), 1_000);
        byte[] archive =
        [
            .. RawTarBlocks.Header("backup/index.yaml"u8.ToArray(), '0', index.Length), .. RawTarBlocks.Padded(index),
            .. RawTarBlocks.HeaderWithPaxSize("backup/virtual-machine.img"u8.ToArray(), first.Length), .. RawTarBlocks.Padded(first),
            .. RawTarBlocks.HeaderWithBase256Size("backup/volume.img"u8.ToArray(), second.Length), .. RawTarBlocks.Padded(second),
            .. new byte[1024],
        ];

        var (unchanged, _) = await RewriteAsync(archive, RestoreMapping.None);
        var (mapped, summary) = await RewriteAsync(archive, FullMapping);

        // Had either size been misread, the next header would be data and fail its checksum.
        Assert.Equal(archive, unchanged);
        Assert.Equal(3, summary.EntryCount);
        Assert.Equal(archive[FirstEntryLength(archive)..], mapped[FirstEntryLength(mapped)..]);
    }

    private static int FirstEntryLength(byte[] tar)
    {
        int size = Convert.ToInt32(Encoding.ASCII.GetString(tar, 124, 11), 8);
        return 512 + (size + 511) / 512 * 512;
    }

    [Fact]
    public async Task A_virtual_machine_backup_gets_its_instance_and_snapshot_yaml_rewritten()
    {
        string index = IncusYamlFixtures.ContainerIndexYaml().Replace("type: container\nconfig:", "type: virtual-machine\nconfig:", StringComparison.Ordinal);
        var archive = TestArchives.PlainTar(
            ("backup/index.yaml", index),
            ("backup/virtual-machine-snapshots/s1/backup.yaml", IncusYamlFixtures.SnapshotBackupYaml),
            ("backup/virtual-machine-snapshots/s1.img", "disk"),
            ("backup/virtual-machine/backup.yaml", IncusYamlFixtures.ContainerBackupYaml),
            ("backup/virtual-machine/metadata.yaml", "architecture: x86_64\n"),
            ("backup/virtual-machine.img", "disk"));

        var (output, summary) = await RewriteAsync(archive, FullMapping);

        Assert.Equal(BackupType.VirtualMachine, summary.Index.Kind);
        Assert.Equal(["backup/index.yaml", "backup/virtual-machine-snapshots/s1/backup.yaml", "backup/virtual-machine/backup.yaml"], summary.RewrittenEntries);
        var files = ReadFiles(output);
        Assert.Equal("b1", Value(files["backup/virtual-machine/backup.yaml"], "container", "name"));
        Assert.Equal("pool2", Value(files["backup/virtual-machine-snapshots/s1/backup.yaml"], "container", "expanded_devices", "root", "pool"));
    }

    [Fact]
    public async Task An_optimized_backup_warns_that_its_backup_yaml_cannot_be_rewritten()
    {
        var (_, summary) = await RewriteAsync(TestArchives.Container(optimized: true), FullMapping);

        Assert.Contains(summary.Warnings, warning => warning.Contains("optimized", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rewrite_rejects_a_tarball_whose_first_entry_is_not_index_yaml()
    {
        var archive = TestArchives.PlainTar(("backup/container/backup.yaml", IncusYamlFixtures.ContainerBackupYaml));

        await Assert.ThrowsAsync<InvalidDataException>(() => RewriteAsync(archive, FullMapping));
    }

    private static byte[] BrokenArchive(string what) => what switch
    {
        "not a tarball" => TestArchives.RandomBytes(new Random(4), 100_000),
        "tar cut inside a data entry" => TestArchives.Container()[..2_000_000],
        "gzip corrupt in the middle" => BackupIndexTests.Corrupt(TestArchives.Compress(TestArchives.Container(), CompressionKind.Gzip), at: 1_500_000),
        "zstd corrupt in the middle" => BackupIndexTests.Corrupt(TestArchives.Compress(TestArchives.Container(), CompressionKind.Zstd), at: 1_500_000),
        "gzip cut short" => TestArchives.Compress(TestArchives.Container(), CompressionKind.Gzip)[..^100],
        "xz cut short" => TestArchives.Compress(TestArchives.Container(), CompressionKind.Xz)[..^100],
        _ => throw new ArgumentOutOfRangeException(nameof(what)),
    };

    [Theory]
    [InlineData("not a tarball")]
    [InlineData("tar cut inside a data entry")]
    [InlineData("gzip corrupt in the middle")]
    [InlineData("zstd corrupt in the middle")]
    [InlineData("gzip cut short")]
    public async Task Rewrite_reports_broken_input_as_invalid_data(string what)
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => RewriteAsync(BrokenArchive(what), FullMapping));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public async Task Rewrite_reports_a_failing_external_decompressor_as_IOException()
    {
        var error = await Assert.ThrowsAsync<IOException>(() => RewriteAsync(BrokenArchive("xz cut short"), FullMapping));

        Assert.Contains("xz -dc", error.Message);
    }

    [Fact]
    public async Task Rewrite_honours_cancellation()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ArchiveRewriter.RewriteAsync(new MemoryStream(TestArchives.Container()), Stream.Null, FullMapping, cancelled.Token));
    }

    private static Dictionary<string, TarEntry> ReadEntries(byte[] tar)
    {
        var entries = new Dictionary<string, TarEntry>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry(copyData: true) is { } entry) entries[entry.Name] = entry;
        return entries;
    }

    private static Dictionary<string, string> ReadFiles(byte[] tar) =>
        ReadEntries(tar).Where(pair => pair.Value.EntryType == TarEntryType.RegularFile && pair.Key.EndsWith(".yaml", StringComparison.Ordinal))
            .ToDictionary(pair => pair.Key, pair => Encoding.UTF8.GetString(Data(pair.Value)));

    private static byte[] Data(TarEntry entry)
    {
        if (entry.DataStream is null) return [];
        entry.DataStream.Position = 0;
        using var copy = new MemoryStream();
        entry.DataStream.CopyTo(copy);
        return copy.ToArray();
    }
}
