using System.Formats.Tar;
using System.IO.Compression;

namespace IncusBackup.Tests.Integration;

/// <summary>Reads entries out of an Incus export (plain, gzip or zstd tar) the way a person would with tar -x.</summary>
internal static class ArchiveContents
{
    /// <summary>The archive file of a record from a dir: repository (its Location is the version folder).</summary>
    public static string ArchivePath(System.Management.Automation.PSObject record) =>
        Path.Combine(Infrastructure.PowerShellSession.Prop<string>(record, "Location")!, Infrastructure.PowerShellSession.Prop<string>(record, "ArchiveName")!);

    public static Dictionary<string, byte[]> ReadFiles(string archivePath, Func<string, bool> wanted)
    {
        using var file = File.OpenRead(archivePath);
        using var decompressed = Decompress(file);
        using var reader = new TarReader(decompressed);
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !wanted(entry.Name)) continue;
            using var data = new MemoryStream();
            entry.DataStream?.CopyTo(data);
            result[entry.Name] = data.ToArray();
        }
        return result;
    }

    public static List<string> EntryNames(string archivePath)
    {
        using var file = File.OpenRead(archivePath);
        using var decompressed = Decompress(file);
        using var reader = new TarReader(decompressed);
        var names = new List<string>();
        while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
        return names;
    }

    private static Stream Decompress(FileStream file)
    {
        Span<byte> head = stackalloc byte[4];
        file.ReadExactly(head);
        file.Position = 0;
        if (head[0] == 0x1f && head[1] == 0x8b) return new GZipStream(file, CompressionMode.Decompress);
        if (head.SequenceEqual((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd])) return new ZstdSharp.DecompressionStream(file);
        return file;
    }
}
