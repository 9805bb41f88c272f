using System.Globalization;
using System.Text;

namespace IncusBackup.Archive;

/// <summary>
/// Reads PAX extended-header records ("&lt;len&gt; key=value\n") as raw bytes. Values stay bytes because Incus writes
/// binary xattrs (security.capability) and non-UTF-8 paths there, which a string round trip would corrupt.
/// </summary>
internal static class PaxRecords
{
    public readonly record struct Record(int Start, int Length, string Key, ReadOnlyMemory<byte> Value);

    public static List<Record> Parse(ReadOnlyMemory<byte> data)
    {
        var records = new List<Record>();
        var span = data.Span;
        int position = 0;
        while (position < span.Length)
        {
            // Some writers pad the data with NULs after the last record.
            if (span[position] == 0) break;
            int space = span[position..].IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(span.Slice(position, space), NumberStyles.None, CultureInfo.InvariantCulture, out int length)
                || length <= space + 1 || position + length > span.Length || span[position + length - 1] != (byte)'\n')
                throw new InvalidDataException("Malformed PAX extended header in the tar archive.");
            var body = span.Slice(position + space + 1, length - space - 2);
            int equals = body.IndexOf((byte)'=');
            if (equals <= 0) throw new InvalidDataException("Malformed PAX record (no key) in the tar archive.");
            string key = Encoding.UTF8.GetString(body[..equals]);
            var value = data.Slice(position + space + 1 + equals + 1, body.Length - equals - 1);
            records.Add(new Record(position, length, key, value));
            position += length;
        }
        return records;
    }

    /// <summary>The data with every record named <paramref name="key"/> removed; all other bytes are kept as they were.</summary>
    public static byte[] Without(ReadOnlyMemory<byte> data, string key)
    {
        using var kept = new MemoryStream(data.Length);
        int copiedUpTo = 0;
        foreach (var record in Parse(data))
        {
            if (record.Key != key) continue;
            kept.Write(data.Span[copiedUpTo..record.Start]);
            copiedUpTo = record.Start + record.Length;
        }
        kept.Write(data.Span[copiedUpTo..]);
        return kept.ToArray();
    }
}
