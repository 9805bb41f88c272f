using System.Text;

namespace IncusBackup.Tests.Core.Archive;

/// <summary>One logical entry of a plain tar: its path and every byte it occupies (extended headers, header, data, padding).</summary>
internal sealed record SplitEntry(string Path, byte[] Raw);

/// <summary>
/// A deliberately small, independent tar walker used as the test oracle: it does not share code with the rewriter.
/// Paths are decoded as Latin-1 so non-UTF-8 names stay distinct.
/// </summary>
internal static class TarSplitter
{
    public static List<SplitEntry> Split(byte[] tar)
    {
        var entries = new List<SplitEntry>();
        int position = 0, entryStart = 0;
        string? longPath = null;
        while (position + 512 <= tar.Length)
        {
            var header = tar.AsSpan(position, 512);
            if (!header.ContainsAnyExcept((byte)0)) break;
            char type = (char)header[156];
            long size = Convert.ToInt64(Encoding.ASCII.GetString(header.Slice(124, 12)).Trim('\0', ' '), 8);
            int dataStart = position + 512;
            if (type == 'x')
                longPath = PaxPath(tar.AsSpan(dataStart, (int)size)) ?? longPath;
            else if (type == 'L')
                longPath = Encoding.Latin1.GetString(tar, dataStart, (int)size).TrimEnd('\0');
            if (type is '1' or '2' or '3' or '4' or '5' or '6') size = 0;
            position = dataStart + (int)((size + 511) / 512 * 512);
            if (type is 'x' or 'L' or 'K') continue;

            string name = longPath ?? UstarPath(header);
            entries.Add(new SplitEntry(name, tar[entryStart..position]));
            entryStart = position;
            longPath = null;
        }
        return entries;
    }

    private static string UstarPath(ReadOnlySpan<byte> header)
    {
        string name = Encoding.Latin1.GetString(header[..100]).TrimEnd('\0');
        string prefix = Encoding.Latin1.GetString(header.Slice(345, 155)).TrimEnd('\0');
        return prefix.Length > 0 ? prefix + "/" + name : name;
    }

    private static string? PaxPath(ReadOnlySpan<byte> records)
    {
        string text = Encoding.Latin1.GetString(records);
        foreach (string record in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string body = record[(record.IndexOf(' ') + 1)..];
            if (body.StartsWith("path=", StringComparison.Ordinal)) return body["path=".Length..];
        }
        return null;
    }
}
