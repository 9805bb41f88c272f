using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using IncusBackup.Archive;

namespace IncusBackup.Tests.Core.Archive;

/// <summary>Builds Incus-shaped backup tarballs in memory and compresses them.</summary>
internal static class TestArchives
{
    public const int HostRootUid = 1_000_000;
    public const string BinaryXattrPath = "backup/container/rootfs/root/x";
    public static readonly byte[] NonUtf8Path = [.. "backup/container/rootfs/root/caf"u8, 0xe9, .. "-latin1"u8];

    /// <summary>The v2 security.capability of cap_setuid,cap_setgid: its 0xc0 byte is not valid UTF-8.</summary>
    public static readonly byte[] CapabilityXattr = [0x01, 0x00, 0x00, 0x02, 0xc0, .. new byte[15]];

    public static readonly string LongPath =
        "backup/container/rootfs/root/" + new string('a', 60) + "/" + new string('b', 70) + "/file-with-a-long-name";

    public static readonly string GnuLongPath = "backup/container/rootfs/opt/" + new string('g', 120);

    private static readonly DateTimeOffset MTime = DateTimeOffset.FromUnixTimeSeconds(1_795_478_847);

    /// <summary>A container export: index.yaml first, then snapshot s1, then the container, with every kind of entry Incus writes.</summary>
    public static byte[] Container(bool optimized = false, int largeFileSize = 3 * 1024 * 1024, bool paxSizeOnBackupYaml = false)
    {
        var random = new Random(42);
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            AddFile(writer, "backup/index.yaml", IncusYamlFixtures.ContainerIndexYaml(optimized), mode: "644");
            AddDirectory(writer, "backup/snapshots/s1", uid: HostRootUid, mode: "100");
            AddFile(writer, "backup/snapshots/s1/backup.yaml", IncusYamlFixtures.SnapshotBackupYaml, mode: "400");
            AddFile(writer, "backup/snapshots/s1/metadata.yaml", "architecture: x86_64\ncreation_date: 1795478643\n");
            AddDirectory(writer, "backup/snapshots/s1/rootfs");
            AddBinary(writer, "backup/snapshots/s1/rootfs/bin/busybox", RandomBytes(random, 300_000), xattrs: new() { ["user.snap"] = "v" });
            AddDirectory(writer, "backup/container", uid: HostRootUid, mode: "100");
            if (paxSizeOnBackupYaml)
                tar.Write(YamlWithPaxSize("backup/container/backup.yaml", IncusYamlFixtures.ContainerBackupYaml));
            else
                AddFile(writer, "backup/container/backup.yaml", IncusYamlFixtures.ContainerBackupYaml, mode: "400");
            AddFile(writer, "backup/container/metadata.yaml", "architecture: x86_64\ncreation_date: 1795478643\n");
            AddDirectory(writer, "backup/container/rootfs");
            AddBinary(writer, "backup/container/rootfs/bin/busybox", RandomBytes(random, largeFileSize), uid: HostRootUid, gid: HostRootUid,
                xattrs: new() { ["user.test"] = "hello", ["trusted.overlay.opaque"] = "y" });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "backup/container/rootfs/bin/sh") { LinkName = "busybox", ModificationTime = MTime });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "backup/container/rootfs/root/hard", Xattrs(new() { ["user.test"] = "hello" }))
                { LinkName = "backup/container/rootfs/bin/busybox", ModificationTime = MTime });
            writer.WriteEntry(new UstarTarEntry(TarEntryType.Fifo, "backup/container/rootfs/root/fifo") { ModificationTime = MTime });
            writer.WriteEntry(new UstarTarEntry(TarEntryType.CharacterDevice, "backup/container/rootfs/dev/null") { DeviceMajor = 1, DeviceMinor = 3, ModificationTime = MTime });
            AddFile(writer, LongPath, "long\n");
            writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, GnuLongPath) { DataStream = new MemoryStream("gnu\n"u8.ToArray()), ModificationTime = MTime });
            // A user's file called backup.yaml inside the rootfs is data, not Incus config.
            AddFile(writer, "backup/container/rootfs/etc/backup.yaml", "pool: default\nname: a1\n");
            tar.Write(BinaryXattrEntry());
            tar.Write(NonUtf8NameEntry());
        }
        return tar.ToArray();
    }

    /// <summary>A custom volume export: only index.yaml is Incus's; backup.yaml under volume/ is the user's data.</summary>
    public static byte[] CustomVolume()
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            AddFile(writer, "backup/index.yaml", IncusYamlFixtures.CustomVolumeIndexYaml);
            AddDirectory(writer, "backup/volume-snapshots/vs1", uid: HostRootUid, gid: HostRootUid, mode: "711");
            AddDirectory(writer, "backup/volume", uid: HostRootUid, gid: HostRootUid, mode: "711");
            AddFile(writer, "backup/volume/backup.yaml", IncusYamlFixtures.ContainerBackupYaml, uid: HostRootUid, gid: HostRootUid);
        }
        return tar.ToArray();
    }

    /// <summary>A plain tar with the given entries (name → content), for malformed-input tests.</summary>
    public static byte[] PlainTar(params (string Name, string Content)[] files)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files) AddFile(writer, name, content);
        }
        return tar.ToArray();
    }

    public static byte[] Compress(byte[] data, CompressionKind kind) => kind switch
    {
        CompressionKind.None => data,
        CompressionKind.Gzip => Gzip(data),
        CompressionKind.Zstd => Zstd(data),
        CompressionKind.Xz => RunTool("xz", ["-c", "-0", "-T1"], data),
        CompressionKind.Bzip2 => RunTool("bzip2", ["-c", "-1"], data),
        CompressionKind.Lzma => RunTool("lzma", ["-c", "-0"], data),
        CompressionKind.Lz4 => RunTool("lz4", ["-c"], data),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static byte[] Decompress(byte[] data, CompressionKind kind)
    {
        using var output = new MemoryStream();
        using (var decompressed = ArchiveCompression.OpenDecompress(new MemoryStream(data), kind)) decompressed.CopyTo(output);
        return output.ToArray();
    }

    public static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    // With a content checksum, as the zstd CLI (which Incus runs) writes by default.
    private static byte[] Zstd(byte[] data)
    {
        using var compressor = new ZstdSharp.Compressor(3);
        compressor.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        return compressor.Wrap(data).ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static byte[] RunTool(string tool, string[] arguments, byte[] input)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var feed = Task.Run(() =>
        {
            process.StandardInput.BaseStream.Write(input);
            process.StandardInput.Close();
        });
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        feed.Wait();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} failed with {process.ExitCode}");
        return output.ToArray();
    }

    private static byte[] BinaryXattrEntry()
    {
        var content = "data\n"u8.ToArray();
        return
        [
            .. RawTarBlocks.PaxHeader("backup/container/rootfs/root/PaxHeaders.0/x"u8.ToArray(),
                ("SCHILY.xattr.security.capability", CapabilityXattr),
                ("SCHILY.xattr.user.bin", [0xe8, 0x03, 0xff, 0x00])),
            .. RawTarBlocks.Header(Encoding.ASCII.GetBytes(BinaryXattrPath), '0', content.Length),
            .. RawTarBlocks.Padded(content),
        ];
    }

    // Go's archive/tar puts the raw bytes in a PAX path record and strips them from the ustar name field.
    private static byte[] NonUtf8NameEntry() =>
    [
        .. RawTarBlocks.PaxHeader("PaxHeaders.0/caf-latin1"u8.ToArray(), ("path", NonUtf8Path)),
        .. RawTarBlocks.Header("backup/container/rootfs/root/caf-latin1"u8.ToArray(), '0', 1, uid: HostRootUid, gid: HostRootUid),
        .. RawTarBlocks.Padded("x"u8.ToArray()),
    ];

    private static byte[] YamlWithPaxSize(string path, string yaml)
    {
        var content = Encoding.UTF8.GetBytes(yaml);
        return
        [
            .. RawTarBlocks.PaxHeader("PaxHeaders.0/backup.yaml"u8.ToArray(),
                ("size", Encoding.ASCII.GetBytes(content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                ("SCHILY.xattr.user.kept", "yes"u8.ToArray())),
            .. RawTarBlocks.Header(Encoding.ASCII.GetBytes(path), '0', content.Length, mode: 0x100 /* 0400 */),
            .. RawTarBlocks.Padded(content),
        ];
    }

    private static void AddFile(TarWriter writer, string name, string content, string mode = "644", int uid = 0, int gid = 0) =>
        AddBinary(writer, name, Encoding.UTF8.GetBytes(content), mode, uid, gid);

    private static void AddBinary(TarWriter writer, string name, byte[] content, string mode = "644", int uid = 0, int gid = 0,
        Dictionary<string, string>? xattrs = null)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name, Xattrs(xattrs ?? []))
        {
            DataStream = new MemoryStream(content),
            Mode = (UnixFileMode)Convert.ToInt32(mode, 8),
            Uid = uid,
            Gid = gid,
            UserName = "root",
            GroupName = "root",
            ModificationTime = MTime,
        };
        writer.WriteEntry(entry);
    }

    private static void AddDirectory(TarWriter writer, string name, int uid = 0, int gid = 0, string mode = "755") =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name)
        {
            Mode = (UnixFileMode)Convert.ToInt32(mode, 8),
            Uid = uid,
            Gid = gid,
            ModificationTime = MTime,
        });

    private static Dictionary<string, string> Xattrs(Dictionary<string, string> xattrs) =>
        xattrs.ToDictionary(pair => "SCHILY.xattr." + pair.Key, pair => pair.Value);
}
