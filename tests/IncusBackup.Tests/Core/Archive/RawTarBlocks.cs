using System.Text;

namespace IncusBackup.Tests.Core.Archive;

/// <summary>
/// Hand-built tar blocks for what TarWriter cannot write but Incus does: PAX records with binary values (xattrs such as
/// security.capability) and non-UTF-8 paths. Layout follows POSIX ustar, as Go's archive/tar writes it.
/// </summary>
internal static class RawTarBlocks
{
    public const int BlockSize = 512;

    public static byte[] Header(byte[] name, char type, long size, int mode = 0x1a4 /* 0644 */, int uid = 0, int gid = 0,
        long mtime = 1_795_478_847, string linkName = "")
    {
        var header = new byte[BlockSize];
        name.AsSpan(0, Math.Min(name.Length, 100)).CopyTo(header);
        Octal(header, 100, 8, mode);
        Octal(header, 108, 8, uid);
        Octal(header, 116, 8, gid);
        Octal(header, 124, 12, size);
        Octal(header, 136, 12, mtime);
        header[156] = (byte)type;
        Encoding.ASCII.GetBytes(linkName).CopyTo(header, 157);
        "ustar\u000000"u8.CopyTo(header.AsSpan(257));
        Encoding.ASCII.GetBytes("root").CopyTo(header, 265);
        Encoding.ASCII.GetBytes("root").CopyTo(header, 297);
        return WithChecksum(header);
    }

    /// <summary>Go's layout for sizes beyond the octal field: 0 in the header, the real size in a PAX record.</summary>
    public static byte[] HeaderWithPaxSize(byte[] name, long size) =>
    [
        .. PaxHeader("PaxHeaders.0/big"u8.ToArray(), ("size", Encoding.ASCII.GetBytes(size.ToString(System.Globalization.CultureInfo.InvariantCulture)))),
        .. Header(name, '0', 0),
    ];

    /// <summary>GNU layout for big sizes: base-256, high bit of the first byte set.</summary>
    public static byte[] HeaderWithBase256Size(byte[] name, long size)
    {
        var header = Header(name, '0', 0);
        header.AsSpan(124, 12).Clear();
        header[124] = 0x80;
        for (int i = 135; i > 124 && size > 0; i--, size >>= 8) header[i] = (byte)size;
        return WithChecksum(header);
    }

    private static byte[] WithChecksum(byte[] header)
    {
        "        "u8.CopyTo(header.AsSpan(148));
        int sum = header.Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header, 148);
        return header;
    }

    /// <summary>A PAX 'x' header plus its padded record data.</summary>
    public static byte[] PaxHeader(byte[] headerName, params (string Key, byte[] Value)[] records)
    {
        using var data = new MemoryStream();
        foreach (var (key, value) in records) data.Write(PaxRecord(key, value));
        var bytes = data.ToArray();
        return [.. Header(headerName, 'x', bytes.Length), .. Padded(bytes)];
    }

    public static byte[] PaxRecord(string key, byte[] value)
    {
        // The length prefix counts itself, so grow it until it is stable.
        int bodyLength = Encoding.UTF8.GetByteCount(key) + value.Length + 3; // ' ', '=', '\n'
        int length = bodyLength + 1;
        while (length != bodyLength + length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length)
            length = bodyLength + length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        return [.. Encoding.ASCII.GetBytes($"{length} {key}="), .. value, (byte)'\n'];
    }

    public static byte[] Padded(byte[] data)
    {
        int padding = (BlockSize - data.Length % BlockSize) % BlockSize;
        return [.. data, .. new byte[padding]];
    }

    private static void Octal(byte[] header, int offset, int length, long value) =>
        Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(length - 1, '0') + "\0").CopyTo(header, offset);
}
