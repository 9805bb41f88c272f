namespace IncusBackup.Archive;

/// <summary>How a backup tarball is compressed, as detected from its first bytes.</summary>
public enum CompressionKind
{
    /// <summary>A plain, uncompressed tar.</summary>
    None,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
    Lzma,
    Lz4,
    /// <summary>A squashfs image: not a tar, so it cannot be read or rewritten here.</summary>
    Squashfs,
    Unknown,
}
