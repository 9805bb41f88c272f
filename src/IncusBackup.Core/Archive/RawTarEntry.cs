namespace IncusBackup.Archive;

/// <summary>An extended header (PAX 'x', GNU 'L'/'K') that belongs to the entry after it, kept as raw bytes.</summary>
internal sealed record TarMetadataBlock(char TypeFlag, byte[] Header, byte[] Data);

/// <summary>
/// One logical tar entry as it appeared on the wire: its metadata blocks, its header block (plus any GNU sparse
/// extension blocks) and the size of the data that follows. Path and size already honour PAX/GNU overrides.
/// </summary>
internal sealed class RawTarEntry
{
    public required IReadOnlyList<TarMetadataBlock> Metadata { get; init; }
    public required byte[] Header { get; init; }
    public required byte[] HeaderExtensions { get; init; }
    public required string Path { get; init; }
    public required char TypeFlag { get; init; }
    public required long DataSize { get; init; }

    public bool IsRegularFile => TypeFlag is '0' or '\0' or '7';

    /// <summary>The PAX 'x' block carrying a 'size' record, if the size came from there.</summary>
    public TarMetadataBlock? PaxSizeSource { get; init; }
}
