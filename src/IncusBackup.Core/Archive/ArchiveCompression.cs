using System.IO.Compression;
using ZstdSharp;

namespace IncusBackup.Archive;

/// <summary>Detects and undoes the compression of an Incus backup tarball (same magic table as the server).</summary>
public static class ArchiveCompression
{
    /// <summary>Bytes needed to recognise every format; a plain tar needs "ustar" at offset 257.</summary>
    public const int HeaderLength = 512;

    private const int TarMagicOffset = 257;

    private static ReadOnlySpan<byte> GzipMagic => [0x1f, 0x8b];
    private static ReadOnlySpan<byte> ZstdMagic => [0x28, 0xb5, 0x2f, 0xfd];
    private static ReadOnlySpan<byte> XzMagic => [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
    private static ReadOnlySpan<byte> Lz4Magic => [0x04, 0x22, 0x4d, 0x18];
    private static ReadOnlySpan<byte> SquashfsMagic => "hsqs"u8;
    private static ReadOnlySpan<byte> TarMagic => "ustar"u8;
    private static ReadOnlySpan<byte> Bzip2Magic => "BZ"u8;
    private static ReadOnlySpan<byte> LzmaMagic => [0x5d, 0x00, 0x00];

    /// <summary>Detects the compression from the first bytes of a file (pass up to <see cref="HeaderLength"/> bytes).</summary>
    public static CompressionKind Detect(ReadOnlySpan<byte> header)
    {
        // Long magics first; "ustar" before the short "BZ" and 5d0000 so a tar can never be mistaken for them.
        if (header.StartsWith(XzMagic)) return CompressionKind.Xz;
        if (header.StartsWith(ZstdMagic)) return CompressionKind.Zstd;
        if (header.StartsWith(Lz4Magic)) return CompressionKind.Lz4;
        if (header.StartsWith(SquashfsMagic)) return CompressionKind.Squashfs;
        if (header.StartsWith(GzipMagic)) return CompressionKind.Gzip;
        if (header.Length >= TarMagicOffset + TarMagic.Length && header[TarMagicOffset..].StartsWith(TarMagic))
            return CompressionKind.None;
        if (header.StartsWith(LzmaMagic)) return CompressionKind.Lzma;
        if (header.StartsWith(Bzip2Magic)) return CompressionKind.Bzip2;
        return CompressionKind.Unknown;
    }

    /// <summary>The usual file extension (without a leading dot) for a backup with this compression.</summary>
    public static string FileExtension(CompressionKind kind) => kind switch
    {
        CompressionKind.None => "tar",
        CompressionKind.Gzip => "tar.gz",
        CompressionKind.Zstd => "tar.zst",
        CompressionKind.Xz => "tar.xz",
        CompressionKind.Bzip2 => "tar.bz2",
        CompressionKind.Lzma => "tar.lzma",
        CompressionKind.Lz4 => "tar.lz4",
        CompressionKind.Squashfs => "squashfs",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown compression has no file extension."),
    };

    /// <summary>
    /// The name a backup's archive gets in the repository: the base name and the extension its bytes call for
    /// ("export.tar.zst"); an archive in no known format is kept as "&lt;base&gt;.bin".
    /// </summary>
    public static string ArchiveFileName(string baseName, CompressionKind kind) =>
        baseName + "." + (kind == CompressionKind.Unknown ? "bin" : FileExtension(kind));

    /// <summary>The compression's name as Incus spells it (compression_algorithm); "none" is a plain tar.</summary>
    public static string Name(CompressionKind kind) => kind switch
    {
        CompressionKind.None => "none",
        CompressionKind.Gzip => "gzip",
        CompressionKind.Zstd => "zstd",
        CompressionKind.Xz => "xz",
        CompressionKind.Bzip2 => "bzip2",
        CompressionKind.Lzma => "lzma",
        CompressionKind.Lz4 => "lz4",
        CompressionKind.Squashfs => "squashfs",
        _ => "unknown",
    };

    /// <summary>
    /// Wraps <paramref name="compressed"/> in a stream that yields the plain tar. Gzip and zstd are decoded in process;
    /// xz, bzip2, lzma and lz4 are piped through the external tool (<c>xz -dc</c> …), whose failure surfaces as an
    /// <see cref="IOException"/> carrying its stderr. Memory use stays bounded: nothing is buffered whole.
    /// </summary>
    /// <exception cref="InvalidDataException">squashfs (not a tar) or unknown compression.</exception>
    public static Stream OpenDecompress(Stream compressed, CompressionKind kind, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        return kind switch
        {
            CompressionKind.None => leaveOpen ? new PrefixedReadStream(ReadOnlyMemory<byte>.Empty, compressed, leaveOpen: true) : compressed,
            CompressionKind.Gzip => new GZipStream(compressed, CompressionMode.Decompress, leaveOpen),
            CompressionKind.Zstd => new DecompressionStream(compressed, leaveOpen: leaveOpen),
            CompressionKind.Xz => ExternalDecompressionStream.Start("xz", compressed, leaveOpen),
            CompressionKind.Bzip2 => ExternalDecompressionStream.Start("bzip2", compressed, leaveOpen),
            CompressionKind.Lzma => ExternalDecompressionStream.Start("lzma", compressed, leaveOpen),
            CompressionKind.Lz4 => ExternalDecompressionStream.Start("lz4", compressed, leaveOpen),
            CompressionKind.Squashfs => throw new InvalidDataException(
                "This backup is a squashfs image, not a tarball; it cannot be read or rewritten."),
            _ => throw new InvalidDataException(
                "The backup is not a tarball in a known compression (gzip, zstd, xz, bzip2, lzma, lz4 or plain tar)."),
        };
    }

    /// <summary>
    /// Reads the first bytes of <paramref name="source"/> (which need not be seekable), detects the compression and
    /// returns the decompressed tar stream. <paramref name="source"/> is left open.
    /// </summary>
    internal static async Task<(Stream Tar, CompressionKind Kind)> OpenTarAsync(Stream source, CancellationToken ct)
    {
        var header = new byte[HeaderLength];
        int length = await source.ReadAtLeastAsync(header, HeaderLength, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        var kind = Detect(header.AsSpan(0, length));
        var replayed = new PrefixedReadStream(header.AsMemory(0, length), source, leaveOpen: true);
        return (OpenDecompress(replayed, kind, leaveOpen: false), kind);
    }
}
