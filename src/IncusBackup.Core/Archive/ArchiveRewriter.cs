using System.Text.RegularExpressions;
using ZstdSharp;

namespace IncusBackup.Archive;

/// <summary>
/// Streams an Incus backup tarball (any supported compression) to a plain tar, rewriting only the YAML that names pools,
/// networks, profiles, projects and the instance/volume. Incus 6.0.4 has no import overrides beyond name and pool, and
/// builds the instance from backup.yaml, so remapping means changing the tarball itself.
/// </summary>
/// <remarks>
/// Every other entry is copied block-for-block (headers, PAX/GNU extended headers, data), not re-encoded: .NET's
/// TarReader decodes PAX values as UTF-8, which corrupts the binary xattrs (security.capability) and non-UTF-8 file
/// names Incus writes. Entry data is streamed; only YAML entries are held in memory.
/// </remarks>
public static partial class ArchiveRewriter
{
    /// <summary>Rewrites <paramref name="source"/> into an uncompressed tar on <paramref name="destination"/>. Neither stream is closed.</summary>
    /// <exception cref="InvalidDataException">Not a tarball, first entry not index.yaml, corrupt data or YAML.</exception>
    /// <exception cref="IOException">An external decompressor (xz, bzip2, lzma, lz4) is missing or failed.</exception>
    public static Task<RewriteSummary> RewriteAsync(Stream source, Stream destination, RestoreMapping mapping, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        return RewriteAsync(source, destination, new MappingEdit(mapping), ct);
    }

    /// <summary>Rewrites <paramref name="source"/> into an uncompressed tar with any <see cref="IArchiveEdit"/>. Neither stream is closed.</summary>
    internal static async Task<RewriteSummary> RewriteAsync(Stream source, Stream destination, IArchiveEdit edit, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var (tar, compression) = await ArchiveCompression.OpenTarAsync(source, ct).ConfigureAwait(false);
        await using (tar.ConfigureAwait(false))
        {
            try
            {
                var pass = new RewritePass(new RawTarReader(tar), new RawTarWriter(destination), edit);
                return await pass.RunAsync(compression, ct).ConfigureAwait(false);
            }
            catch (ZstdException ex)
            {
                throw new InvalidDataException($"The backup's zstd data is corrupt: {ex.Message}", ex);
            }
        }
    }

    /// <summary>backup.yaml of the instance and of each snapshot, for containers and VMs. Custom volumes have none.</summary>
    [GeneratedRegex("^backup/(container|virtual-machine|(snapshots|virtual-machine-snapshots)/[^/]+)/backup\\.yaml$")]
    private static partial Regex InstanceConfigPath();

    private sealed class RewritePass(RawTarReader reader, RawTarWriter writer, IArchiveEdit edit)
    {
        private readonly ChangeList _changes = new();
        private readonly List<string> _rewritten = [];
        private readonly List<string> _warnings = [];
        private long _entries;

        public async Task<RewriteSummary> RunAsync(CompressionKind compression, CancellationToken ct)
        {
            var (index, indexEntry, indexData) = await BackupIndex.ReadFirstEntryAsync(reader, ct).ConfigureAwait(false);
            if (index.Optimized && edit.ChangesAnything)
                _warnings.Add("This is an optimized backup: its backup.yaml is inside the storage driver stream and cannot be rewritten; only index.yaml was changed.");
            await WriteYamlEntryAsync(indexEntry, indexData, edit.EditIndex(index.RawYaml, _changes), ct).ConfigureAwait(false);

            while (await reader.ReadNextAsync(ct).ConfigureAwait(false) is { } entry)
            {
                if (index.IsInstance && entry.IsRegularFile && InstanceConfigPath().IsMatch(entry.Path))
                    await RewriteInstanceConfigAsync(entry, ct).ConfigureAwait(false);
                else
                    await CopyEntryAsync(entry, ct).ConfigureAwait(false);
            }

            // Read to the very end first: that is when gzip/zstd/xz verify their checksums, and a corrupt source must
            // not produce an output that looks complete.
            await reader.DrainAsync(ct).ConfigureAwait(false);
            await writer.WriteEndAsync(ct).ConfigureAwait(false);
            return new RewriteSummary(index, compression, _changes.Items, _rewritten, _warnings, _entries, writer.BytesWritten);
        }

        private async Task CopyEntryAsync(RawTarEntry entry, CancellationToken ct)
        {
            await writer.WriteEntryHeadersAsync(entry.Metadata, entry.Header, entry.HeaderExtensions, ct).ConfigureAwait(false);
            await reader.CopyDataAsync(writer.AsStream(), ct).ConfigureAwait(false);
            await writer.WritePaddingAsync(entry.DataSize, ct).ConfigureAwait(false);
            _entries++;
        }

        private async Task RewriteInstanceConfigAsync(RawTarEntry entry, CancellationToken ct)
        {
            var data = await reader.ReadDataAsync(BackupIndex.MaxSize, ct).ConfigureAwait(false);
            string yaml = BackupYaml.Decode(data, entry.Path);
            await WriteYamlEntryAsync(entry, data, edit.EditBackupConfig(yaml, entry.Path, _changes), ct).ConfigureAwait(false);
        }

        private async Task WriteYamlEntryAsync(RawTarEntry entry, byte[] originalData, string? rewritten, CancellationToken ct)
        {
            if (rewritten is null)
            {
                await WriteEntryAsync(entry.Metadata, entry.Header, entry.HeaderExtensions, originalData, ct).ConfigureAwait(false);
                return;
            }
            var data = BackupYaml.Encode(rewritten);
            // Same header except size (and checksum); a PAX size record would now be wrong, so it goes.
            var metadata = entry.Metadata.Select(block => block == entry.PaxSizeSource ? WithoutPaxSize(block) : block);
            var header = TarHeaderBlock.WithDataSize(entry.Header, data.Length);
            await WriteEntryAsync(metadata, header, entry.HeaderExtensions, data, ct).ConfigureAwait(false);
            _rewritten.Add(entry.Path);
        }

        private async Task WriteEntryAsync(IEnumerable<TarMetadataBlock> metadata, byte[] header, byte[] headerExtensions, byte[] data, CancellationToken ct)
        {
            await writer.WriteEntryHeadersAsync(metadata, header, headerExtensions, ct).ConfigureAwait(false);
            await writer.WriteAsync(data, ct).ConfigureAwait(false);
            await writer.WritePaddingAsync(data.Length, ct).ConfigureAwait(false);
            _entries++;
        }

        private static TarMetadataBlock WithoutPaxSize(TarMetadataBlock block)
        {
            var data = PaxRecords.Without(block.Data, "size");
            return block with { Header = TarHeaderBlock.WithDataSize(block.Header, data.Length), Data = data };
        }
    }
}
