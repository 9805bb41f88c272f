namespace IncusBackup.Archive;

/// <summary>What <see cref="ArchiveRewriter"/> did.</summary>
/// <param name="Index">index.yaml as read from the source, before any change.</param>
/// <param name="SourceCompression">The compression of the source; the output is always a plain tar.</param>
/// <param name="Changes">Distinct human-readable changes, e.g. "instance a1: device root: pool default -> pool2".</param>
/// <param name="RewrittenEntries">Paths of the YAML entries whose content changed.</param>
/// <param name="Warnings">Changes that could not take full effect (e.g. optimized backups).</param>
/// <param name="EntryCount">Logical tar entries written (extended headers not counted).</param>
/// <param name="BytesWritten">Size of the plain tar written.</param>
public sealed record RewriteSummary(
    BackupIndex Index,
    CompressionKind SourceCompression,
    IReadOnlyList<string> Changes,
    IReadOnlyList<string> RewrittenEntries,
    IReadOnlyList<string> Warnings,
    long EntryCount,
    long BytesWritten);
