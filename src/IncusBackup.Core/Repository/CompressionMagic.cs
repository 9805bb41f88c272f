namespace IncusBackup.Repository;

/// <summary>
/// Names the real compression of an archive from its first bytes (the server's own table, incus-api.md §9):
/// the file extension in the repository follows the bytes, never what was asked for.
/// </summary>
public static class CompressionMagic
{
    /// <summary>Bytes needed to recognise every format (plain tar is "ustar" at offset 257).</summary>
    public const int HeaderLength = 262;

    public static string Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b])) return "gzip";
        if (head.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
        if (head.StartsWith((ReadOnlySpan<byte>)[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
        if (head.StartsWith("BZ"u8)) return "bzip2";
        if (head.StartsWith((ReadOnlySpan<byte>)[0x04, 0x22, 0x4d, 0x18])) return "lz4";
        if (head.StartsWith("hsqs"u8)) return "squashfs";
        if (head.StartsWith((ReadOnlySpan<byte>)[0x5d, 0x00, 0x00])) return "lzma";
        if (head.Length >= 262 && head.Slice(257, 5).SequenceEqual("ustar"u8)) return "none";
        return "unknown";
    }

    public static string Extension(string detected) => detected switch
    {
        "gzip" => "tar.gz",
        "zstd" => "tar.zst",
        "xz" => "tar.xz",
        "bzip2" => "tar.bz2",
        "lz4" => "tar.lz4",
        "lzma" => "tar.lzma",
        "squashfs" => "squashfs",
        "none" => "tar",
        _ => "bin",
    };
}
